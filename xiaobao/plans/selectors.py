"""Reads of plans and tasks: always through the viewer's scope, never hand-rolled."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q, QuerySet

from xiaobao.lib import metrics
from xiaobao.organisation.scope import visible_to
from xiaobao.plans.choices import OPEN_TASK_STATUSES, Comparator, TaskStatus
from xiaobao.plans.models import Plan, Task

DUE_SOON_DAYS = 7


def plans_visible(user: Any) -> QuerySet[Plan]:
    return visible_to(user, Plan.objects.select_related("unit", "approved_by"))


def tasks_visible(user: Any) -> QuerySet[Task]:
    return visible_to(
        user,
        Task.objects.select_related(
            "owner_unit", "owner_department", "issuing_unit", "responsible", "plan", "measure"
        ),
    )


def tasks_for_source(source: models.Model) -> QuerySet[Task]:
    """The tasks another record gave rise to (a complaint's rectifications …); the caller has
    already decided the viewer may see `source`."""
    return Task.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    ).select_related("owner_unit", "owner_department", "issuing_unit")


def my_tasks(user: Any) -> QuerySet[Task]:
    """Every open task the person or their department owns or co-owns, whatever the source."""
    mine = Q(responsible=user)
    if getattr(user, "department_id", None):
        mine |= Q(owner_department=user.department_id) | Q(co_departments=user.department_id)
    return tasks_visible(user).filter(mine, status__in=OPEN_TASK_STATUSES).distinct()


def to_verify(user: Any) -> QuerySet[Task]:
    """Tasks submitted for acceptance to an office in the user's scope."""
    if not user.has_perm("plans.verify_task") or getattr(user, "unit", None) is None:
        return Task.objects.none()
    return tasks_visible(user).filter(
        status=TaskStatus.SUBMITTED, issuing_unit__path__startswith=user.unit.path
    )


def due_state(task: Task, today: date) -> str:
    """ "overdue", "due_soon" or "" for an open task."""
    if not task.is_open:
        return ""
    if task.due_date < today:
        return "overdue"
    if task.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return ""


def target_progress(task: Task, today: date) -> dict[str, Any] | None:
    """The live value of a task's measurable target, and whether it is met."""
    if not task.target_metric or task.target_value is None:
        return None
    metric = metrics.get(task.target_metric)
    first = task.start_date or date(task.due_date.year, 1, 1)
    last = max(first, min(today, task.due_date))
    current = metric.value(unit=task.owner_unit, first=first, last=last)
    met = None
    if current is not None:
        value = Decimal(current)
        met = (
            value >= task.target_value
            if task.target_comparator == Comparator.AT_LEAST
            else value <= task.target_value
        )
    return {"metric": metric, "value": current, "met": met}


def task_figures(tasks: QuerySet[Task], today: date) -> dict[str, Any]:
    """Totals of a set of tasks (cancelled left out), and the same by owning department."""
    tasks = tasks.exclude(status=TaskStatus.CANCELLED)
    rows = list(
        tasks.values("owner_department__name", "owner_unit__name")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        )
        .order_by("-total", "owner_department__name")
    )
    total = sum(r["total"] for r in rows)
    done = sum(r["done"] for r in rows)
    return {
        "total": total,
        "done": done,
        "open": total - done,
        "overdue": tasks.filter(status__in=OPEN_TASK_STATUSES, due_date__lt=today).count(),
        "by_department": [
            {
                "name": f"{r['owner_unit__name']}{r['owner_department__name'] or ''}",
                "total": r["total"],
                "done": r["done"],
                "open": r["total"] - r["done"],
            }
            for r in rows
        ],
    }
