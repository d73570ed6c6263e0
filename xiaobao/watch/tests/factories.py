"""Many open cases at once, written in bulk (the services would take minutes for thousands)."""

from __future__ import annotations

from datetime import datetime

from xiaobao.complaints import clock
from xiaobao.complaints.choices import Axis, PolicyKind, Status
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.organisation.models import Unit, User


def bulk_cases(
    n: int, *, unit: Unit, handler: User | None, received_at: datetime, prefix: str = "TS2026-8"
) -> list[Complaint]:
    channel = TaxonomyTerm.objects.get(axis=Axis.INTAKE_CHANNEL, code="COUNTER")
    level = TaxonomyTerm.objects.get(axis=Axis.LEVEL, code="NORMAL")
    policy = clock.policy_snapshot(PolicyKind.COMPLAINT)
    calendar = clock.current_calendar()
    cases = []
    for i in range(n):
        case = Complaint(
            registry_no=f"{prefix}{i:05d}",
            status=Status.ACCEPTED,
            received_at=received_at,
            intake_channel=channel,
            unit=unit,
            complained_unit=unit,
            handler=handler,
            title=f"批量测试投诉{i}",
            narrative="批量测试",
            level=level,
            deadline_policy=policy,
            allowed_days=int(policy["days"]),
        )
        result = clock.compute_for(case, calendar=calendar)
        case.due_date, case.due_at = result.due_date, result.due_at
        cases.append(case)
    return Complaint.objects.bulk_create(cases, batch_size=500)
