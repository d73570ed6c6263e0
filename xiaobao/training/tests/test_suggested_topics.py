"""Complaint causes of the last full quarter, most frequent first, are the suggested topics of
the next courses; the staff profile that coverage counts by is set through its service."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xiaobao.complaints import services as complaint_services
from xiaobao.complaints.tests.conftest import person
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.organisation.choices import StaffCategory
from xiaobao.training import selectors, services

pytestmark = pytest.mark.django_db


def _complaint(people, org, *, unit, received: datetime, cause: str) -> None:
    complaint_services.complaint_register(
        actor=people.hq_officer,
        unit=unit,
        received_at=received,
        intake_channel="COUNTER",
        title="投诉",
        narrative="客户对收费和服务不满意。",
        complainants=[person()],
        demands=["REFUND"],
        amount=None,
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause=cause,
    )


def test_last_quarters_causes_suggest_topics_in_the_subtree(people, org):
    q1 = datetime(2026, 2, 10, 10, tzinfo=TZ)
    for cause in ("PRICING", "PRICING", "SERVICE"):
        _complaint(people, org, unit=org.sub_a, received=q1, cause=cause)
    _complaint(people, org, unit=org.sub_b, received=q1, cause="MARKETING")
    # Outside last quarter: this quarter and the quarter before.
    _complaint(
        people, org, unit=org.sub_a, received=datetime(2026, 4, 2, 10, tzinfo=TZ), cause="CONTRACT"
    )
    _complaint(
        people,
        org,
        unit=org.sub_a,
        received=datetime(2025, 12, 20, 10, tzinfo=TZ),
        cause="CONTRACT",
    )
    on = date(2026, 4, 15)
    assert selectors.suggested_topics(org.branch_a, on) == [
        ("定价收费", 2),
        ("服务态度及服务质量", 1),
    ]
    assert selectors.suggested_topics(org.branch_b, on) == [("营销方式和手段", 1)]
    # In January the last quarter is the previous year's fourth.
    assert selectors.suggested_topics(org.branch_a, date(2026, 1, 20)) == [("合同条款", 1)]


def test_staff_profile_is_set_by_a_trainer_in_scope_only(staff, people):
    user = services.staff_profile_set(
        actor=staff.trainer,
        user=people.handler_a,
        staff_category=StaffCategory.OUTSOURCED,
        position="外包客服",
        hire_date=date(2024, 3, 1),
    )
    assert (user.staff_category, user.position) == ("outsourced", "外包客服")
    with pytest.raises(DomainError) as bad:
        services.staff_profile_set(actor=staff.trainer, user=people.handler_a, staff_category="x")
    assert bad.value.field == "staff_category"
    with pytest.raises(PermissionDeniedError):
        services.staff_profile_set(
            actor=staff.trainer, user=people.handler_b, staff_category=StaffCategory.FRONTLINE
        )
