"""Several task sweepers at once: each step fires and notifies once. PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from django.conf import settings
from django.db import connections

from xiaobao.plans.models import Task, TaskReminder
from xiaobao.plans.reminders import sweep_tasks
from xiaobao.watch.models import Notification
from xiaobao.watch.tests.conftest import at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_four_sweepers_remind_each_task_once(org, people):
    moment = at(2026, 4, 15, 10)  # one day overdue: the owner and branch A's officer
    Task.objects.bulk_create(
        [
            Task(
                issuing_unit=org.hq,
                owner_unit=org.sub_a,
                responsible=people.handler_a,
                title=f"整改任务{i}",
                due_date=date(2026, 4, 14),
                created_at=at(2026, 3, 1, 9),
                next_check_at=at(2026, 3, 1, 9),
            )
            for i in range(120)
        ]
    )
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            sweep_tasks(now=moment, batch=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_task = Counter(
        TaskReminder.objects.filter(step="overdue_1").values_list("task_id", flat=True)
    )
    assert len(per_task) == 120 and set(per_task.values()) == {1}
    told = Counter(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"handler_a": 120, "officer_a": 120}
