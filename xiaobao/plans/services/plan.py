"""Drafting and approving a plan, its measures, and the cascade of a measure to branches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction

from xiaobao.lib.errors import DomainError, InvalidTransitionError
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Department, Unit
from xiaobao.plans.choices import PlanStatus, RegulatorElement, TaskSourceKind
from xiaobao.plans.models import Measure, Plan, Task
from xiaobao.plans.services._common import need, now, plan_event, require
from xiaobao.plans.transitions import plan_target

EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)


def _lock(plan: Plan) -> Plan:
    # Lock the plan row only, not the unit joined for display.
    return Plan.objects.select_for_update(of=("self",)).select_related("unit").get(pk=plan.pk)


def _move(plan: Plan, action: str, *, actor: Any, reason: str = "", fields: Iterable[str] = ()):
    before = plan.status
    plan.status = plan_target(action, before)
    plan.save(update_fields=["status", *fields])
    plan_event(plan, action, actor=actor, from_status=before, to_status=plan.status, reason=reason)
    return plan


def _check_year(year: Any) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError("请填写有效的年度（2000—2100）。", code="invalid", field="year")
    return year


def _check_element(element: str) -> str:
    if element and element not in RegulatorElement.values:
        raise DomainError("监管评价要素无效。", code="invalid", field="element")
    return element


def _check_department(department: Department | None, plan: Plan) -> None:
    if department is not None and not department.unit.path.startswith(plan.unit.path):
        raise DomainError("牵头部门须属于本机构。", code="invalid", field="lead_department")


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    unit: Unit,
    year: int,
    title: str,
    basis: str = "",
    goals: str = "",
    parent: Plan | None = None,
) -> Plan:
    """Draft a plan; a branch plan under a head-office plan inherits its measures."""
    require(actor, "add_plan", unit, "该机构")
    _check_year(year)
    title = need(title, "请填写计划标题。", "title")
    if parent is not None and (
        parent.year != year or not unit.path.startswith(parent.unit.path) or parent.unit == unit
    ):
        raise DomainError("上级计划须为上级机构同一年度的计划。", code="invalid", field="parent")
    plan = Plan.objects.create(
        year=year,
        unit=unit,
        title=title[:200],
        basis=(basis or "").strip(),
        goals=(goals or "").strip(),
        parent=parent,
        created_by=actor,
        created_at=now(),
    )
    plan_event(plan, "create", actor=actor, to_status=plan.status)
    if parent is not None:
        for m in parent.measures.all():
            Measure.objects.create(
                plan=plan,
                number=m.number,
                heading=m.heading,
                text=m.text,
                element=m.element,
                inherited_from=m,
            )
    return plan


@transaction.atomic
def plan_submit(*, actor: Any, plan: Plan) -> Plan:
    require(actor, "change_plan", plan.unit, "该计划")
    plan = _lock(plan)
    plan_target("submit", plan.status)
    if not plan.measures.exists():
        raise DomainError(
            "计划至少须有一项工作措施才能提交。", code="no_measures", field="measures"
        )
    plan.submitted_at = now()
    return _move(plan, "submit", actor=actor, fields=["submitted_at"])


@transaction.atomic
def plan_approve(*, actor: Any, plan: Plan, note: str = "") -> Plan:
    require(actor, "approve_plan", plan.unit, "该计划")
    plan = _lock(plan)
    plan_target("approve", plan.status)
    plan.approved_by = actor
    plan.approved_at = now()
    plan.approval_note = (note or "").strip()[:200]
    return _move(
        plan,
        "approve",
        actor=actor,
        reason=plan.approval_note,
        fields=["approved_by", "approved_at", "approval_note"],
    )


@transaction.atomic
def plan_return(*, actor: Any, plan: Plan, reason: str) -> Plan:
    require(actor, "approve_plan", plan.unit, "该计划")
    plan = _lock(plan)
    plan_target("return", plan.status)
    reason = need(reason, "退回须说明理由。", "reason")
    return _move(plan, "return", actor=actor, reason=reason)


@transaction.atomic
def plan_start(*, actor: Any, plan: Plan) -> Plan:
    require(actor, "change_plan", plan.unit, "该计划")
    plan = _lock(plan)
    return _move(plan, "start", actor=actor)


@transaction.atomic
def measure_add(
    *,
    actor: Any,
    plan: Plan,
    heading: str,
    text: str = "",
    lead_department: Department | None = None,
    element: str = "",
) -> Measure:
    require(actor, "change_plan", plan.unit, "该计划")
    plan = _lock(plan)
    if plan.status not in EDITABLE:
        raise InvalidTransitionError("计划已提交或已批准，不能再修改措施。", code="not_editable")
    heading = need(heading, "请填写措施标题。", "heading")
    _check_element(element)
    _check_department(lead_department, plan)
    number = (plan.measures.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    measure = Measure.objects.create(
        plan=plan,
        number=number,
        heading=heading[:200],
        text=(text or "").strip(),
        lead_department=lead_department,
        element=element,
    )
    plan_event(
        plan, "measure_add", actor=actor, reason=measure.heading, data={"measure": measure.pk}
    )
    return measure


@transaction.atomic
def measure_update(
    *,
    actor: Any,
    measure: Measure,
    heading: str,
    text: str = "",
    lead_department: Department | None = None,
    element: str = "",
) -> Measure:
    plan = measure.plan
    require(actor, "change_plan", plan.unit, "该计划")
    plan = _lock(plan)
    if plan.status not in EDITABLE:
        raise InvalidTransitionError("计划已提交或已批准，不能再修改措施。", code="not_editable")
    heading = need(heading, "请填写措施标题。", "heading")
    _check_element(element)
    _check_department(lead_department, plan)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    measure.heading = heading[:200]
    measure.text = (text or "").strip()
    measure.lead_department = lead_department
    measure.element = element
    measure.save()
    plan_event(
        plan, "measure_update", actor=actor, reason=measure.heading, data={"measure": measure.pk}
    )
    return measure


def branches_of(unit: Unit) -> list[Unit]:
    """The units a head-office measure cascades to: the active branches directly below `unit`."""
    return list(
        Unit.objects.filter(parent=unit, is_active=True, kind=UnitKind.BRANCH).order_by("code")
    )


@transaction.atomic
def measure_cascade(
    *,
    actor: Any,
    measure: Measure,
    title: str,
    due_date: date,
    description: str = "",
    units: Iterable[Unit] | None = None,
    start_date: date | None = None,
) -> list[Task]:
    """Spawn one task of `measure` for each branch below the plan's unit (or for `units`)."""
    from xiaobao.plans.services.task import task_create

    plan = measure.plan
    require(actor, "add_task", plan.unit, "该计划")
    if plan.status == PlanStatus.CLOSED:
        raise InvalidTransitionError("计划已结束，不能再下达任务。", code="plan_closed")
    targets = list(units) if units is not None else branches_of(plan.unit)
    if not targets:
        raise DomainError("没有可分解的下级机构。", code="no_units", field="units")
    for unit in targets:
        if unit == plan.unit or not unit.path.startswith(plan.unit.path):
            raise DomainError("只能分解到本机构的下级机构。", code="invalid", field="units")
    tasks = [
        task_create(
            actor=actor,
            source=measure,
            source_kind=TaskSourceKind.PLAN_MEASURE,
            source_label=f"{plan.title} {measure.number}. {measure.heading}"[:200],
            source_url=f"/plans/{plan.pk}/",
            issuing_unit=plan.unit,
            owner_unit=unit,
            title=title,
            description=description,
            start_date=start_date,
            due_date=due_date,
            plan=plan,
            measure=measure,
        )
        for unit in targets
    ]
    plan_event(
        plan,
        "cascade",
        actor=actor,
        reason=f"{measure.number}. {measure.heading}",
        data={"measure": measure.pk, "tasks": [t.pk for t in tasks]},
    )
    return tasks
