"""API tokens expire; last use is recorded; an expired token gets the same 401 as an unknown one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from xiaobao.api.services import api_token_create
from xiaobao.lib.errors import DomainError

from .conftest import GuardedClient, body

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"


def _get(raw: str):
    client = GuardedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get(LIST)


def test_token_works_until_it_expires(people):
    token, raw = api_token_create(actor=None, owner=people.handler_a, name="客服中心", days=30)
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=60)
    )
    assert _get(raw).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = _get(raw)
    assert response.status_code == 401
    assert "已过期" in body(response)["message"]


def test_default_validity_and_limits(people, settings):
    token, _ = api_token_create(actor=None, owner=people.handler_a, name="默认")
    expected = timedelta(days=settings.XIAOBAO_API_TOKEN_DAYS)
    assert token.expires_at - token.created_at == pytest.approx(expected, abs=timedelta(seconds=60))
    for days in (0, settings.XIAOBAO_API_TOKEN_MAX_DAYS + 1):
        with pytest.raises(DomainError) as exc:
            api_token_create(actor=None, owner=people.handler_a, name="太长", days=days)
        assert exc.value.field == "days"


def test_last_use_is_recorded(people):
    token, raw = api_token_create(actor=None, owner=people.handler_a, name="客服中心")
    assert token.last_used_at is None
    _get(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None
