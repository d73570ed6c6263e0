"""Registered figures of the task engine: tasks owned in a unit's subtree, due in the period.

A task counts in the period its due day falls in; cancelled tasks never count. "On time" means
the owner finished (the submission the issuing office later accepted) by the due day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now
from xiaobao.lib.metrics import metric, rate
from xiaobao.plans.choices import OPEN_TASK_STATUSES, TaskSourceKind, TaskStatus
from xiaobao.plans.models import Task


def due_in(*, unit: Any, first: date, last: date, kind: str = "") -> QuerySet[Task]:
    tasks = Task.objects.filter(
        owner_unit__path__startswith=unit.path, due_date__gte=first, due_date__lte=last
    ).exclude(status=TaskStatus.CANCELLED)
    return tasks.filter(source_kind=kind) if kind else tasks


def on_time_count(tasks: QuerySet[Task]) -> int:
    done = tasks.filter(status=TaskStatus.DONE).only("completed_at", "due_date")
    return sum(
        1 for t in done if t.completed_at and t.completed_at.astimezone(TZ).date() <= t.due_date
    )


@metric(
    "plans.tasks_total",
    label=_("督办任务数"),
    unit_label=_("项"),
    description=_("责任机构在本机构及下级、期限在期内的任务（不含已撤销）"),
)
def tasks_total(*, unit: Any, first: date, last: date) -> int:
    return due_in(unit=unit, first=first, last=last).count()


@metric(
    "plans.tasks_done",
    label=_("已完成任务数"),
    unit_label=_("项"),
    description=_("期限在期内的任务中已验收完成的"),
    higher_is_better=True,
)
def tasks_done(*, unit: Any, first: date, last: date) -> int:
    return due_in(unit=unit, first=first, last=last).filter(status=TaskStatus.DONE).count()


@metric(
    "plans.tasks_on_time_rate",
    label=_("任务按期完成率"),
    unit_label="%",
    description=_("期限在期内的任务中，在期限当日或之前完成并经验收的比例"),
    higher_is_better=True,
)
def tasks_on_time_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    tasks = due_in(unit=unit, first=first, last=last)
    return rate(on_time_count(tasks), tasks.count())


@metric(
    "plans.tasks_overdue",
    label=_("逾期未完成任务数"),
    unit_label=_("项"),
    description=_("期限在期内、已过期限仍未完成的任务"),
    higher_is_better=False,
)
def tasks_overdue(*, unit: Any, first: date, last: date) -> int:
    today = now().astimezone(TZ).date()
    return (
        due_in(unit=unit, first=first, last=last)
        .filter(status__in=OPEN_TASK_STATUSES, due_date__lt=today)
        .count()
    )


@metric(
    "plans.rectifications_total",
    label=_("投诉溯源整改任务数"),
    unit_label=_("项"),
    description=_("期限在期内的投诉溯源整改任务（不含已撤销）"),
)
def rectifications_total(*, unit: Any, first: date, last: date) -> int:
    kind = TaskSourceKind.COMPLAINT_RECTIFICATION
    return due_in(unit=unit, first=first, last=last, kind=kind).count()


@metric(
    "plans.rectifications_on_time_rate",
    label=_("整改按期完成率"),
    unit_label="%",
    description=_("期限在期内的投诉溯源整改任务中按期完成的比例"),
    higher_is_better=True,
)
def rectifications_on_time_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    tasks = due_in(unit=unit, first=first, last=last, kind=TaskSourceKind.COMPLAINT_RECTIFICATION)
    return rate(on_time_count(tasks), tasks.count())
