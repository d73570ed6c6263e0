"""Periodic work of the plans app (run by `sweep_deadlines` through `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.plans.reminders import sweep_tasks
from xiaobao.watch.schedule import periodic


@periodic("plans.task_reminders", every=timedelta(minutes=5))
def task_reminders(*, now: datetime) -> str:
    return str(sweep_tasks(now=now))
