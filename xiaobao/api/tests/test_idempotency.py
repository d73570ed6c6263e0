"""`Idempotency-Key`: a retrying call centre never registers a case twice."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from xiaobao.api.models import IdempotencyKey
from xiaobao.complaints.models import Complaint

from .conftest import GuardedClient, body, payload

LIST = "/api/v1/complaints/"


@pytest.mark.django_db
def test_same_key_and_body_returns_the_first_response_without_creating(api_a):
    data = payload()
    first = api_a.post(LIST, data, format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # Same JSON with keys in another order is the same request.
    again = api_a.post(
        LIST, dict(reversed(list(data.items()))), format="json", HTTP_IDEMPOTENCY_KEY="call-0001"
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert body(again) == body(first)
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_422(api_a):
    api_a.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="call-0002")
    response = api_a.post(
        LIST, payload(title="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="call-0002"
    )
    out = body(response)
    assert response.status_code == 422 and out["code"] == "idempotency_key_reused"
    assert out["field"] == "Idempotency-Key" and "新的键" in out["message"]
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(api_a, client_for, people):
    officer = client_for(people.officer_a)
    api_a.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = officer.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_create_does_not_burn_the_key(api_a):
    response = api_a.post(LIST, payload(title=""), format="json", HTTP_IDEMPOTENCY_KEY="call-0003")
    assert response.status_code == 400
    assert not IdempotencyKey.objects.exists()
    response = api_a.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="call-0003")
    assert response.status_code == 201


@pytest.mark.django_db
def test_overlong_key_is_refused(api_a):
    response = api_a.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert response.status_code == 422 and body(response)["code"] == "invalid_idempotency_key"


@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_concurrent_retries_with_one_key_create_one_case(people):
    from xiaobao.api.services import api_token_create

    _, raw = api_token_create(actor=None, owner=people.handler_a, name="并发")
    data = payload()
    n = 8
    barrier = threading.Barrier(n)
    results: list[tuple[int, dict, bool]] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client = GuardedClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait()
            r = client.post(LIST, data, format="json", HTTP_IDEMPOTENCY_KEY="storm-1")
            results.append((r.status_code, body(r), r.has_header("Idempotent-Replayed")))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Complaint.objects.count() == 1
    assert {status for status, _, _ in results} == {201}
    assert len({out["registry_no"] for _, out, _ in results}) == 1
    assert sum(1 for _, _, replayed in results if not replayed) == 1


@pytest.mark.django_db
def test_old_keys_are_purged(api_a):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    api_a.post(LIST, payload(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=8))
    api_a.post(LIST, payload(title="新的"), format="json", HTTP_IDEMPOTENCY_KEY="new")
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "1" in out.getvalue()
