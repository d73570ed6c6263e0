"""Webhook targets: http(s) on public addresses only, unless allow-listed; checked on create,
on edit and at delivery after DNS resolution (the connection goes to the checked address)."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from xiaobao.api import webhooks
from xiaobao.api.models import DeliveryStatus, WebhookAttempt, WebhookSubscription
from xiaobao.api.services import webhook_subscription_create
from xiaobao.organisation.choices import Role

from .test_webhooks import SECRET, Receiver

pytestmark = pytest.mark.django_db

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://127.0.0.1:8000/hook",
    "http://localhost:8000/hook",
    "http://[::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://0.0.0.0/hook",
]


@pytest.fixture
def root(org, make_user):
    """Webhook subscriptions are managed in the admin by an administrator with the api rights."""
    return make_user("root", org.hq, Role.SYSADMIN, is_superuser=True)


def _form(org, url, **extra):
    return {"name": "客服中心", "url": url, "unit": org.branch_a.pk, "events": "[]", **extra}


@pytest.mark.parametrize(
    "url", ["ftp://files.example.com/x", "gopher://x.example/", "file:///etc/passwd"]
)
def test_admin_refuses_other_schemes_with_a_form_error(client, org, root, url):
    """The hole: `ftp://` on create was a 500."""
    client.force_login(root)
    response = client.post(reverse("admin:api_webhooksubscription_add"), _form(org, url))
    assert response.status_code == 200
    assert "http:// 或 https://" in response.content.decode() or "URL" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", INTERNAL)
def test_admin_refuses_internal_addresses_on_create(client, org, root, url):
    client.force_login(root)
    response = client.post(reverse("admin:api_webhooksubscription_add"), _form(org, url))
    assert response.status_code == 200
    assert "内部或保留地址" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_admin_edit_checks_the_target_too(client, org, root):
    """The hole: editing a subscription skipped the checks."""
    sub, _ = webhook_subscription_create(
        actor=None, name="客服中心", url="https://8.8.8.8/hook", unit=org.branch_a
    )
    client.force_login(root)
    url = reverse("admin:api_webhooksubscription_change", args=[sub.pk])
    for target in ("http://169.254.169.254/latest/", "ftp://8.8.8.8/"):
        response = client.post(url, _form(org, target, is_active="on"))
        assert response.status_code == 200, target
        sub.refresh_from_db()
        assert sub.url == "https://8.8.8.8/hook"
    response = client.post(url, _form(org, "https://1.1.1.1/hook", is_active="on"))
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.url == "https://1.1.1.1/hook"


def test_allow_listed_host_may_be_internal(client, org, root, settings):
    settings.XIAOBAO_WEBHOOK_ALLOWED_HOSTS = ["10.8.0.5"]
    client.force_login(root)
    response = client.post(
        reverse("admin:api_webhooksubscription_add"), _form(org, "http://10.8.0.5/hook")
    )
    assert response.status_code == 302
    assert WebhookSubscription.objects.get().url == "http://10.8.0.5/hook"


@pytest.fixture
def rebinding(monkeypatch):
    """`hook.example.net` resolves to loopback at delivery (a DNS-rebinding receiver)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "hook.example.net":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _deliver_to(url, org, case_a):
    sub, _ = webhook_subscription_create(
        actor=None, name="客服中心", url=url, unit=org.branch_a, secret=SECRET
    )
    delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
    webhooks.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return sub, delivery


def test_delivery_checks_the_address_after_dns_resolution(org, case_a, settings, rebinding):
    with Receiver() as receiver:
        port = receiver.server.server_port
        # At creation the name resolves to loopback as well: refused.
        with pytest.raises(Exception, match="内部或保留地址"):
            webhook_subscription_create(
                actor=None, name="x", url=f"http://hook.example.net:{port}/h", unit=org.branch_a
            )
        # A subscription stored before (or whose name changed since) is checked at delivery.
        sub = WebhookSubscription.objects.create(
            name="旧订阅", url=f"http://hook.example.net:{port}/h", unit=org.branch_a, secret=SECRET
        )
        delivery = webhooks.event_written(case_a.events.get(action="register"))[0]
        webhooks.deliver(delivery_id=delivery.pk)
        assert receiver.requests == []
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert not attempt.succeeded and "内部或保留地址" in attempt.error
    assert sub.pk


def test_allow_listed_name_is_delivered_to_the_checked_address(org, case_a, settings, rebinding):
    settings.XIAOBAO_WEBHOOK_ALLOWED_HOSTS = ["hook.example.net"]
    with Receiver() as receiver:
        port = receiver.server.server_port
        _, delivery = _deliver_to(f"http://hook.example.net:{port}/hooks/xiaobao", org, case_a)
        [request] = receiver.requests
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert request["valid"] and request["path"] == "/hooks/xiaobao"
    assert request["headers"]["Host"] == f"hook.example.net:{port}"
