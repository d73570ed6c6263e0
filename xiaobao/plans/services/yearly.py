"""Year end: close a plan with a result per task, and draft next year's plan from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from xiaobao.lib.errors import DomainError, lazy_list, lazy_text
from xiaobao.plans.choices import OPEN_TASK_STATUSES, TaskStatus, YearEndResult
from xiaobao.plans.models import Measure, Plan, Task
from xiaobao.plans.services._common import need, now, plan_event, require, task_event
from xiaobao.plans.services.plan import _lock, _move
from xiaobao.plans.transitions import plan_target


@dataclass
class YearEndResultData:
    result: str
    reason: str = ""


def _default_result(task: Task) -> str | None:
    return YearEndResult.DONE if task.status == TaskStatus.DONE else None


@transaction.atomic
def plan_close(
    *, actor: Any, plan: Plan, results: Mapping[int, YearEndResultData] | None = None
) -> Plan:
    """Close the year: every task not cancelled gets 完成 / 部分完成 / 未完成, with a reason
    unless it was done. Done tasks default to 完成; every other task must be given a result."""
    require(actor, "change_plan", plan.unit, "该计划")
    plan = _lock(plan)
    plan_target("close", plan.status)
    results = results or {}
    tasks = list(plan.tasks.exclude(status=TaskStatus.CANCELLED).select_for_update())
    problems: list[Any] = []
    decided: list[tuple[Task, str, str]] = []
    for task in tasks:
        given = results.get(task.pk)
        result = given.result if given else _default_result(task)
        reason = (given.reason if given else "").strip()
        if result not in YearEndResult.values:
            problems.append(
                lazy_text(
                    "“%(task)s”（%(unit)s）：请评定年末完成情况。",
                    {"task": task.title, "unit": task.owner_unit},
                )
            )
        elif result != YearEndResult.DONE and not reason:
            problems.append(
                lazy_text(
                    "“%(task)s”（%(unit)s）：部分完成或未完成须说明原因。",
                    {"task": task.title, "unit": task.owner_unit},
                )
            )
        elif result == YearEndResult.DONE and task.status != TaskStatus.DONE:
            problems.append(
                lazy_text(
                    "“%(task)s”（%(unit)s）：任务尚未验收，不能评定为完成。",
                    {"task": task.title, "unit": task.owner_unit},
                )
            )
        else:
            decided.append((task, str(result), reason))
    if problems:
        raise DomainError(lazy_list(problems, "；"), code="year_end_incomplete", field="results")
    for task, result, reason in decided:
        task.year_end_result = result
        task.year_end_reason = reason
        task.save(update_fields=["year_end_result", "year_end_reason"])
        task_event(
            task, "year_end", actor=actor, reason=reason, data={"result": result, "plan": plan.pk}
        )
    plan.closed_at = now()
    return _move(plan, "close", actor=actor, fields=["closed_at"])


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def plan_copy_next_year(*, actor: Any, plan: Plan, title: str = "") -> Plan:
    """Draft next year's plan: this plan's goals and measures, and its unfinished tasks carried
    over (marked as such, due the same day a year later)."""
    require(actor, "add_plan", plan.unit, "该计划")
    year = plan.year + 1
    if Plan.objects.filter(copied_from=plan).exists():
        raise DomainError("该计划已沿用生成过下一年度计划。", code="already_copied", field="plan")
    title = (title or "").strip() or plan.title.replace(str(plan.year), str(year))
    if title == plan.title:
        title = f"{year}年{plan.title}"
    need(title, "请填写计划标题。", "title")
    parent = (
        Plan.objects.filter(unit=plan.parent.unit, year=year).order_by("-id").first()
        if plan.parent_id and plan.parent is not None
        else None
    )
    new = Plan.objects.create(
        year=year,
        unit=plan.unit,
        title=title[:200],
        basis=plan.basis,
        goals=plan.goals,
        parent=parent,
        copied_from=plan,
        created_by=actor,
        created_at=now(),
    )
    measures: dict[int, Measure] = {}
    for m in plan.measures.all():
        measures[m.pk] = Measure.objects.create(
            plan=new,
            number=m.number,
            heading=m.heading,
            text=m.text,
            lead_department=m.lead_department,
            element=m.element,
        )
    carried = []
    unfinished = plan.tasks.filter(status__in=OPEN_TASK_STATUSES) | plan.tasks.filter(
        year_end_result__in=(YearEndResult.PARTLY, YearEndResult.NOT_DONE)
    )
    for old in unfinished.exclude(status=TaskStatus.CANCELLED).distinct().order_by("id"):
        task = Task.objects.create(
            source_kind=old.source_kind,
            source_type=old.source_type,
            source_id=measures[old.measure_id].pk if old.measure_id in measures else old.source_id,
            source_label=old.source_label.replace(str(plan.year), str(year))
            if old.measure_id
            else old.source_label,
            source_url=f"/plans/{new.pk}/" if old.measure_id else old.source_url,
            plan=new,
            measure=measures.get(old.measure_id) if old.measure_id else None,
            issuing_unit=old.issuing_unit,
            issued_by=actor,
            owner_unit=old.owner_unit,
            owner_department=old.owner_department,
            responsible=old.responsible,
            title=old.title,
            description=old.description,
            due_date=_next_year(old.due_date),
            target_metric=old.target_metric,
            target_comparator=old.target_comparator,
            target_value=old.target_value,
            progress_pct=old.progress_pct,
            created_at=now(),
            carried_over_from=old,
            next_check_at=now(),
        )
        task.co_units.set(old.co_units.all())
        task.co_departments.set(old.co_departments.all())
        task_event(
            task,
            "create",
            actor=actor,
            to_status=task.status,
            reason=f"结转自{plan.year}年：{old.title}",
            data={"carried_over_from": old.pk},
        )
        task_event(old, "carry_over", actor=actor, reason=new.title, data={"task": task.pk})
        carried.append(task.pk)
    plan_event(
        new,
        "copy",
        actor=actor,
        to_status=new.status,
        reason=plan.title,
        data={"copied_from": plan.pk, "carried_over": carried},
    )
    return new
