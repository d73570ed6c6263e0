"""API test fixtures: token clients for the named roles, and a guard that no response leaks PI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.conftest import PHONE, VALID_ID, person

NAME = "张伟"
ADDRESS_TAIL = "钱江路58号"
CARD = "6222021234567890128"
# Raw personal data that must never appear in an API response (except from the reveal endpoint).
RAW_PI = (PHONE, VALID_ID, NAME, ADDRESS_TAIL, CARD)


class GuardedClient(APIClient):
    """An API client that fails the test when any response body contains raw personal data."""

    allow_pi = False

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        if not self.allow_pi:
            text = response.content.decode("utf-8", "replace")
            leaked = [v for v in RAW_PI if v in text]
            assert not leaked, f"personal data leaked in {response.status_code}: {leaked}"
        return response


@pytest.fixture
def client_for(people) -> Callable[[Any], GuardedClient]:
    def make(user: Any) -> GuardedClient:
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = GuardedClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api_a(client_for, people) -> GuardedClient:
    """A handler of sub-branch A (handles, registers, cannot assign)."""
    return client_for(people.handler_a)


@pytest.fixture
def api_b(client_for, people) -> GuardedClient:
    return client_for(people.handler_b)


def ago(**kwargs: int):
    return timezone.now() - timedelta(**kwargs)


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "unit": "SUB-a",
        "received_at": ago(hours=2).isoformat(),
        "intake_channel": "HOTLINE",
        "title": "信用卡年费未告知即扣收",
        "narrative": f"客户称其信用卡被扣收年费600元，联系电话{PHONE}，要求退还。",
        "demands": ["REFUND"],
        "business_channel": "COUNTER",
        "business_category": "CARD_CREDIT",
        "cause": "PRICING",
        "complainants": [
            {
                "name": NAME,
                "id_number": VALID_ID,
                "phone": PHONE,
                "address": "浙江省杭州市上城区" + ADDRESS_TAIL,
                "card_number": CARD,
            }
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def case_a(org, people) -> Complaint:
    """A registered case of sub-branch A, received two hours ago."""
    return services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=ago(hours=2),
        intake_channel="HOTLINE",
        title="信用卡年费未告知即扣收",
        narrative=f"联系电话{PHONE}，身份证{VALID_ID}。",
        complainants=[person(name=NAME, card_number=CARD)],
        demands=["REFUND"],
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause="PRICING",
    )


@pytest.fixture
def accepted_a(case_a, people) -> Complaint:
    return services.complaint_accept(actor=people.handler_a, complaint=case_a)


@pytest.fixture
def decided_a(accepted_a, people) -> Complaint:
    services.complaint_decide(
        actor=people.handler_a,
        complaint=accepted_a,
        verified_facts="经核实，办卡时未书面告知年费标准。",
        outcome="upheld",
        basis="《信用卡领用合约》第五条",
        reasons="告知义务未履行。",
        routes=["review", "mediation", "litigation"],
    )
    accepted_a.refresh_from_db()
    return accepted_a


@pytest.fixture
def notified_a(decided_a, people) -> Complaint:
    services.complaint_notify(
        actor=people.handler_a,
        complaint=decided_a,
        method="phone",
        given_at=ago(minutes=1),
        evidence="通话录音编号 REC-0031",
    )
    decided_a.refresh_from_db()
    return decided_a


def body(response: Any) -> Any:
    return json.loads(response.content)
