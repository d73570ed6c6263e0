"""Webhooks: who gets which event, signed bodies against a real HTTP server, retries and the log."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from xiaobao.api import webhooks
from xiaobao.api.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from xiaobao.api.services import webhook_subscription_create
from xiaobao.complaints import services
from xiaobao.jobs.models import Job
from xiaobao.jobs.services import run_pending
from xiaobao.lib.clock import replay

from .conftest import RAW_PI, payload

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests-only-0123456789"


class Receiver:
    """A real local HTTP server that checks signatures like a subscriber would."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": raw,
                        "valid": webhooks.verify_signature(
                            SECRET,
                            self.headers[webhooks.TIMESTAMP_HEADER],
                            raw,
                            self.headers[webhooks.SIGNATURE_HEADER],
                        ),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"busy")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/xiaobao"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The test receiver listens on loopback, which only an allow-listed host may use.
    settings.XIAOBAO_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with Receiver() as r:
        yield r


@pytest.fixture
def subscribe(org):
    def make(url: str, unit=None, events=None, secret: str = SECRET):
        sub, _ = webhook_subscription_create(
            actor=None,
            name="客服中心",
            url=url,
            unit=unit or org.branch_a,
            events=events,
            secret=secret,
        )
        return sub

    return make


def test_an_event_is_queued_for_subscribers_whose_unit_contains_the_case(subscribe, case_a, org):
    branch_a = subscribe("https://a.example/hook")
    subscribe("https://hq.example/hook", unit=org.hq, events=["notify"])
    subscribe("https://b.example/hook", unit=org.branch_b)
    event = case_a.events.get(action="register")
    created = webhooks.event_written(event)
    assert [d.subscription for d in created] == [branch_a]  # HQ wants only notify; B is elsewhere
    assert Job.objects.filter(name=webhooks.DELIVER_JOB).count() == 1
    assert webhooks.event_written(event) == []  # calling the hook twice never sends twice


def test_the_body_carries_no_personal_data(subscribe, case_a):
    subscribe("https://a.example/hook")
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    text = webhooks.encode(delivery.payload).decode()
    assert not [v for v in RAW_PI if v in text]
    payload = delivery.payload
    assert payload["type"] == "complaint.register"
    assert payload["complaint"]["registry_no"] == case_a.registry_no
    assert "complainants" not in payload["complaint"] and "narrative" not in payload["complaint"]


def test_delivery_is_signed_and_logged(subscribe, receiver, case_a):
    sub = subscribe(receiver.url)
    run_pending()  # the case's own index job first
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    assert run_pending() == 1  # through the real job queue and the registered handler
    [request] = receiver.requests
    assert request["valid"] is True
    assert request["headers"]["X-Xiaobao-Event"] == "complaint.register"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(request["body"])["complaint"]["registry_no"] == case_a.registry_no
    # A receiver with the wrong secret (or a tampered body) would refuse it.
    ts = request["headers"][webhooks.TIMESTAMP_HEADER]
    sig = request["headers"][webhooks.SIGNATURE_HEADER]
    assert not webhooks.verify_signature("wrong-secret", ts, request["body"], sig)
    assert not webhooks.verify_signature(SECRET, ts, request["body"] + b" ", sig)
    assert not webhooks.verify_signature(SECRET, str(int(ts) - 3600), request["body"], sig)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert (attempt.number, attempt.response_status, attempt.succeeded) == (1, 200, True)
    assert sub.deliveries.count() == 1


def test_failures_are_retried_with_back_off_and_every_attempt_logged(subscribe, receiver, case_a):
    subscribe(receiver.url)
    receiver.statuses = [500, 503]
    run_pending()  # the case's own index job first
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert run_pending() == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.RETRYING
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert run_pending() == 0  # not before the back-off
        traveller.shift(timedelta(seconds=31))
        assert run_pending() == 1
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=2)
        traveller.shift(timedelta(minutes=3))
        assert run_pending() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list(
            "number", "response_status", "succeeded"
        )
    )
    assert log == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert all(r["valid"] for r in receiver.requests) and len(receiver.requests) == 3
    # Every attempt is freshly signed with its own timestamp over the same body.
    assert len({r["body"] for r in receiver.requests}) == 1


def test_gives_up_after_the_last_attempt(subscribe, settings, case_a):
    settings.XIAOBAO_WEBHOOK_MAX_ATTEMPTS = 2
    settings.XIAOBAO_WEBHOOK_TIMEOUT = 2
    settings.XIAOBAO_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    # Nothing listens on this port: connection refused.
    with Receiver() as gone:
        url = gone.url
    subscribe(url)
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    assert webhooks.deliver(delivery_id=delivery.pk)["status"] == DeliveryStatus.RETRYING
    assert webhooks.deliver(delivery_id=delivery.pk)["status"] == DeliveryStatus.FAILED
    assert webhooks.deliver(delivery_id=delivery.pk)["sent"] is False  # nothing more to do
    attempts = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempts.count() == 2 and all(a.response_status is None and a.error for a in attempts)


def test_redirects_are_not_followed(subscribe, receiver, case_a):
    subscribe(receiver.url)
    receiver.statuses = [302]
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    assert webhooks.deliver(delivery_id=delivery.pk)["http"] == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING


def test_a_deactivated_subscription_stops_deliveries(subscribe, receiver, case_a):
    sub = subscribe(receiver.url)
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    sub.is_active = False
    sub.save()
    webhooks.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and receiver.requests == []


def test_replayed_history_is_not_announced(subscribe, case_a, people):
    subscribe("https://a.example/hook")
    with replay(timezone.now() - timedelta(days=400)):
        event = case_a.events.get(action="register")
        assert webhooks.event_written(event) == []
    assert WebhookDelivery.objects.count() == 0


def test_a_rolled_back_event_sends_nothing(subscribe, case_a, people):
    from django.db import transaction

    subscribe("https://a.example/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.complaint_accept(actor=people.handler_a, complaint=case_a)
        webhooks.event_written(case_a.events.get(action="accept"))
        raise RuntimeError("the service failed after writing the event")
    assert WebhookDelivery.objects.count() == 0
    assert not Job.objects.filter(name=webhooks.DELIVER_JOB).exists()


def test_subscription_needs_an_http_url_and_a_long_secret(org):
    from xiaobao.lib.errors import DomainError

    with pytest.raises(DomainError, match="http"):
        webhook_subscription_create(actor=None, name="x", url="ftp://x", unit=org.hq)
    with pytest.raises(DomainError, match="16"):
        webhook_subscription_create(
            actor=None, name="x", url="https://x", unit=org.hq, secret="short"
        )
    sub, secret = webhook_subscription_create(actor=None, name="x", url="https://x", unit=org.hq)
    assert len(secret) >= 32 and sub.secret == secret


def test_once_wired_into_the_services_an_api_call_reaches_the_subscriber(
    monkeypatch, subscribe, receiver, api_a, case_a
):
    """What the complaint services will do once `_event` calls the hook (see the issue report)."""
    from xiaobao.complaints.services import _common

    original = services._event

    def hooked(*args: Any, **kwargs: Any):
        event = original(*args, **kwargs)
        webhooks.event_written(event)
        return event

    # Transitions write their event through the shared helper (services/_common.py).
    monkeypatch.setattr(_common, "_event", hooked)
    subscribe(receiver.url)
    run_pending()  # the case's own index job first
    response = api_a.post(f"/api/v1/complaints/{case_a.pk}/accept/", {}, format="json")
    assert response.status_code == 200
    assert run_pending() == 1
    [request] = receiver.requests
    body = json.loads(request["body"])
    assert request["valid"] and body["type"] == "complaint.accept"
    assert (body["event"]["from_status"], body["event"]["to_status"]) == ("registered", "accepted")
    assert body["complaint"]["status"] == "accepted"


def test_a_delivery_queued_while_registering_carries_the_number_taken_last(subscribe, api_a):
    # The case is numbered as the registration's last write: the payload queued by its register
    # event (before that) is given the final number too.
    subscribe("https://a.example/hook")
    response = api_a.post("/api/v1/complaints/", payload(), format="json")
    assert response.status_code == 201, response.content.decode()[:500]
    number = response.json()["registry_no"]
    assert number.startswith("TS") and number.endswith("-000001")
    delivery = WebhookDelivery.objects.get(event__complaint_id=response.json()["id"])
    assert delivery.payload["complaint"]["registry_no"] == number
    assert delivery.event.complaint.registry_no == number
