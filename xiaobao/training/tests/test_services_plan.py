"""The annual training plan is approved like the work plan: submitted, then approved or returned
by someone else, every step on the record."""

from __future__ import annotations

import pytest

from xiaobao.audit.models import RecordEvent
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.training import services
from xiaobao.training.choices import PlanStatus

from .conftest import at

pytestmark = pytest.mark.django_db


def test_plan_is_submitted_returned_and_approved_by_someone_else(staff, people, org, course):
    plan = services.plan_create(
        actor=staff.trainer, unit=org.branch_a, year=2026, title="2026年培训计划"
    )
    with pytest.raises(InvalidTransitionError):
        services.plan_decide(actor=people.head_a, plan=plan, approve=True)
    plan = services.plan_submit(actor=staff.trainer, plan=plan)
    with pytest.raises(PermissionDeniedError):
        services.plan_decide(actor=staff.trainer, plan=plan, approve=True)  # own plan
    with pytest.raises(DomainError) as no_reason:
        services.plan_decide(actor=people.head_a, plan=plan, approve=False)
    assert no_reason.value.field == "reason"
    plan = services.plan_decide(
        actor=people.head_a, plan=plan, approve=False, reason="缺少新员工培训安排"
    )
    assert plan.status == PlanStatus.RETURNED
    plan = services.plan_submit(actor=staff.trainer, plan=plan)
    plan = services.plan_decide(actor=people.head_a, plan=plan, approve=True)
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == people.head_a
    actions = list(
        RecordEvent.objects.filter(object_id=plan.pk, content_type__model="trainingplan")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "submit", "return", "submit", "approve"]
    with pytest.raises(DomainError):
        services.plan_create(actor=staff.trainer, unit=org.branch_a, year=2026, title="重复")
    # Its sessions hang off it; a unit outside the plan's subtree cannot.
    session = services.session_create(
        actor=staff.trainer,
        data=services.SessionData(
            course=course,
            unit=org.outlet_a,
            title="计划内培训",
            starts_at=at(days=2),
            ends_at=at(days=2, hours=2),
            plan=plan,
        ),
    )
    assert session.plan == plan
    with pytest.raises(PermissionDeniedError):
        services.plan_decide(actor=people.officer_b, plan=plan, approve=True)
