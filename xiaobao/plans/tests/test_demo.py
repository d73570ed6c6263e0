"""The plans demo: a head-office plan cascaded to the branches, tasks in every state, and the
demo complaints' rectifications mostly completed, written through the real services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from xiaobao.audit.selectors import timeline
from xiaobao.plans.choices import PlanStatus, TaskSourceKind, TaskStatus
from xiaobao.plans.models import Plan, Task

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_plan_and_moves_rectifications_along(settings):
    settings.XIAOBAO_DEMO_CASES = 120
    out = StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    plan = Plan.objects.get()
    assert plan.status == PlanStatus.IN_PROGRESS and plan.approved_at is not None
    assert plan.measures.count() == 6 and plan.tasks.count() == 20
    branch_owned = plan.tasks.exclude(owner_unit=plan.unit)
    assert branch_owned.values("owner_unit").distinct().count() == 3
    statuses = set(plan.tasks.values_list("status", flat=True))
    assert {TaskStatus.DONE, TaskStatus.IN_PROGRESS} <= statuses
    rect = Task.objects.filter(source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION)
    done = rect.filter(status=TaskStatus.DONE).count()
    assert rect.exists() and done > rect.count() / 2  # mostly done, not all red
    assert rect.exclude(status=TaskStatus.DONE).exists()
    task = rect.filter(status=TaskStatus.DONE).first()
    assert [e.action for e in timeline(task)][-1] == "accept"
    assert "工作计划" in out.getvalue()
    # Running it again adds nothing.
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Plan.objects.count() == 1
