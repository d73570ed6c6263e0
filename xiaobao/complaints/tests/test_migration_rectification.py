"""Migration 0006: every existing Rectification becomes a plans.Task with its status and history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from xiaobao.audit.selectors import timeline
from xiaobao.organisation.models import Department
from xiaobao.plans.models import Task

BEFORE = [("complaints", "0005_statistics_facts")]
AFTER = [("complaints", "0006_rectification_to_plans_tasks")]


@pytest.mark.django_db(transaction=True)
def test_rectifications_move_onto_tasks(org, people, migration_data):
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    department = Department.objects.create(
        unit=org.hq, code="XYK", name="信用卡部", function="credit_card"
    )
    case = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now() - timedelta(hours=2),
        intake_channel="COUNTER",
        title="信用卡年费",
        narrative="未告知年费。",
        complainants=[person()],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Rectification = old.get_model("complaints", "Rectification")
    finished = timezone.now() + timedelta(minutes=5)  # after the row's auto created_at
    Rectification.objects.create(
        complaint_id=case.pk,
        department_id=department.pk,
        description="增加年费确认栏",
        due_date=date(2026, 3, 31),
        status="done",
        result="已上线",
        completed_at=finished,
        created_by_id=people.handler_a.pk,
    )
    Rectification.objects.create(
        complaint_id=case.pk,
        department_id=department.pk,
        description="培训柜员",
        due_date=date(2026, 4, 30),
        status="open",
        created_by_id=people.handler_a.pk,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    try:
        _check_moved(case, department, people, org, finished)
    finally:
        # Back to the latest state of every app, so later tests in this process see the full schema.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_moved(case, department, people, org, finished):

    done, open_ = Task.objects.filter(source_id=case.pk).order_by("due_date")
    for task in (done, open_):
        assert (task.source_kind, task.source_type.model) == (
            "complaint_rectification",
            "complaint",
        )
        assert (task.owner_unit, task.owner_department) == (org.hq, department)
        assert (task.issuing_unit, task.source_label) == (org.sub_a, case.registry_no)
        assert task.issued_by == people.handler_a
    assert (done.status, done.completion_note, done.progress_pct) == ("done", "已上线", 100)
    assert done.completed_at == finished and [e.action for e in timeline(done)] == [
        "create",
        "accept",
    ]
    assert (open_.status, open_.description, open_.next_check_at) == (
        "open",
        "培训柜员",
        open_.created_at,
    )
