"""Every registered plans metric equals a direct count of the tasks behind it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from xiaobao.deadlines.engine import TZ
from xiaobao.lib import metrics
from xiaobao.plans import services
from xiaobao.plans.models import Task

pytestmark = pytest.mark.django_db


def _direct(unit, first, last, today, kind=""):
    tasks = [
        t
        for t in Task.objects.all()
        if t.owner_unit.path.startswith(unit.path)
        and first <= t.due_date <= last
        and t.status != "cancelled"
        and (not kind or t.source_kind == kind)
    ]
    on_time = [
        t
        for t in tasks
        if t.status == "done" and t.completed_at.astimezone(TZ).date() <= t.due_date
    ]
    return {
        "total": len(tasks),
        "done": sum(t.status == "done" for t in tasks),
        "on_time": metrics.rate(len(on_time), len(tasks)),
        "overdue": sum(t.status != "done" and t.due_date < today for t in tasks),
    }


def test_plans_metrics_equal_direct_counts(hq_plan, people, org):
    plan, _, (a, _b) = hq_plan
    start = timezone.localdate()
    services.task_create(
        actor=people.hq_officer,
        issuing_unit=org.hq,
        owner_unit=org.sub_a,
        title="网点适老化改造",
        due_date=start + timedelta(days=3),
    )
    cancelled = services.task_create(
        actor=people.hq_officer,
        issuing_unit=org.hq,
        owner_unit=org.sub_a,
        title="已撤销任务",
        due_date=start + timedelta(days=3),
    )
    services.task_cancel(actor=people.hq_officer, task=cancelled, reason="合并到其他任务")
    services.task_submit(actor=people.officer_a, task=a, note="已完成")
    services.task_accept(actor=people.hq_officer, task=a)
    # Ten days later the sub-branch's task is overdue.
    later = timezone.now() + timedelta(days=10)
    with time_machine.travel(later, tick=False):
        today = later.astimezone(TZ).date()
        first, last = date(start.year, 1, 1), date(plan.year, 12, 31)
        expected = _direct(org.hq, first, last, today)
        assert expected["total"] == 3 and expected["overdue"] == 1  # not a vacuous comparison
        for unit in (org.hq, org.branch_a, org.branch_b, org.sub_a):
            want = _direct(unit, first, last, today)
            got = {
                "total": metrics.value("plans.tasks_total", unit=unit, first=first, last=last),
                "done": metrics.value("plans.tasks_done", unit=unit, first=first, last=last),
                "on_time": metrics.value(
                    "plans.tasks_on_time_rate", unit=unit, first=first, last=last
                ),
                "overdue": metrics.value("plans.tasks_overdue", unit=unit, first=first, last=last),
            }
            assert got == want, unit.code
        rectifications = _direct(org.hq, first, last, today, "complaint_rectification")
        assert (
            metrics.value("plans.rectifications_total", unit=org.hq, first=first, last=last)
            == rectifications["total"]
        )
