"""Fixtures for the complaint tests: a registration factory and frozen time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.deadlines.engine import TZ
from xiaobao.organisation.choices import Role
from xiaobao.privacy.redaction import id_check_char

ID_17 = "11010519491231002"
VALID_ID = ID_17 + id_check_char(ID_17)
PHONE = "13800138000"


def at(*args: int) -> datetime:
    """A moment in Asia/Shanghai: at(2026, 1, 5, 10) is 5 January 2026, 10:00."""
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture
def frozen() -> Iterator[Callable[[datetime], None]]:
    """Freeze the clock at a moment; call again to move it."""
    travellers: list[Any] = []

    def move(moment: datetime) -> None:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for t in travellers:
        t.stop()


@pytest.fixture
def more_people(org, make_user, people):
    """Heads at several levels for the extension rules."""

    class More:
        head_sub_a = make_user("head_sub_a", org.sub_a, Role.UNIT_HEAD)
        head_hq = make_user("head_hq", org.hq, Role.UNIT_HEAD)
        head_b = make_user("head_b", org.branch_b, Role.UNIT_HEAD)

    return More


def person(**overrides: Any) -> services.ComplainantData:
    data: dict[str, Any] = {
        "name": "张伟",
        "id_number": VALID_ID,
        "phone": PHONE,
        "address": "浙江省杭州市上城区钱江路58号",
    }
    data.update(overrides)
    return services.ComplainantData(**data)


@pytest.fixture
def register(org, people) -> Callable[..., Complaint]:
    def make(**overrides: Any) -> Complaint:
        kwargs: dict[str, Any] = {
            "actor": people.handler_a,
            "unit": org.sub_a,
            "received_at": at(2026, 1, 5, 10),
            "intake_channel": "COUNTER",
            "title": "信用卡年费未告知即扣收",
            "narrative": "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
            "complainants": [person()],
            "demands": ["REFUND"],
            "amount": None,
            "business_channel": "COUNTER",
            "business_category": "CARD_CREDIT",
            "cause": "PRICING",
        }
        kwargs.update(overrides)
        return services.complaint_register(**kwargs)

    return make


@pytest.fixture
def accepted(register, people, frozen):
    """A case received 5 Jan 2026 10:00 and accepted by handler_a the same day."""
    frozen(at(2026, 1, 5, 11))
    complaint = register()
    return services.complaint_accept(actor=people.handler_a, complaint=complaint)


@pytest.fixture
def decided(accepted, people, frozen):
    frozen(at(2026, 1, 12, 9))
    services.complaint_decide(
        actor=people.handler_a,
        complaint=accepted,
        verified_facts="经核实，办卡时未向客户书面告知年费标准。",
        outcome="upheld",
        basis="《信用卡领用合约》第五条；《银行业保险业消费投诉处理管理办法》",
        reasons="告知义务未履行，年费应予退还。",
        routes=["review", "mediation", "litigation"],
        compensation=None,
    )
    accepted.refresh_from_db()
    return accepted


@pytest.fixture
def notified(decided, people, frozen):
    frozen(at(2026, 1, 12, 15))
    services.complaint_notify(
        actor=people.handler_a,
        complaint=decided,
        method="phone",
        given_at=at(2026, 1, 12, 14, 30),
        evidence="通话录音编号 REC-20260112-0031",
    )
    decided.refresh_from_db()
    return decided
