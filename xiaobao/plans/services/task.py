"""The task engine (督办): create, report progress, submit, accept or return, cancel.

`task_create` is the one entry point every app uses. When a `source` record from another app is
given (a closed complaint, an inspection finding …), that app has already checked the actor's
right over its own record, as `evidence_add` expects of its callers; a task without such a source
(plan work, ad-hoc tasks) needs `plans.add_task`. This module never imports the creating apps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction

from xiaobao.evidence.services import evidence_add
from xiaobao.lib import metrics
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError, lazy_text
from xiaobao.lib.uploads import CheckedUpload, check_upload
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.plans import hooks
from xiaobao.plans.choices import Comparator, TaskSourceKind
from xiaobao.plans.models import Measure, Plan, Task, TaskMilestone, TaskProgress
from xiaobao.plans.services._common import active, need, now, require, task_event, today
from xiaobao.plans.transitions import task_target

# Kinds whose source lives in this app (or nowhere): creating them needs plans.add_task.
OWN_KINDS = (TaskSourceKind.PLAN_MEASURE, TaskSourceKind.OTHER)


def _lock(task: Task) -> Task:
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("owner_unit", "issuing_unit")
        .get(pk=task.pk)
    )


def _move(task: Task, action: str, *, actor: Any, reason: str = "", fields: Sequence[str] = ()):
    before = task.status
    task.status = task_target(action, before)
    task.save(update_fields=["status", *fields])
    task_event(task, action, actor=actor, from_status=before, to_status=task.status, reason=reason)
    hooks.task_changed(task, action, actor=actor, from_status=before, reason=reason)
    return task


def can_report(actor: Any, task: Task) -> bool:
    """The owner side: the responsible person, the owning (or co-owning) department's staff, or
    a consumer-protection officer over the owning unit."""
    if actor is None or not getattr(actor, "is_active", False):
        return False
    if task.responsible_id and task.responsible_id == actor.pk:
        return True
    if actor.has_perm("plans.change_task") and unit_in_scope(actor, task.owner_unit):
        return True
    if not actor.has_perm("plans.report_task"):
        return False
    if task.owner_department_id:
        return bool(actor.department_id) and (
            actor.department_id == task.owner_department_id
            or task.co_departments.filter(pk=actor.department_id).exists()
        )
    return unit_in_scope(actor, task.owner_unit)


def can_verify(actor: Any, task: Task) -> bool:
    """The issuing office verifies: `plans.verify_task` over the issuing unit."""
    return bool(
        actor is not None
        and getattr(actor, "is_active", False)
        and actor.has_perm("plans.verify_task")
        and unit_in_scope(actor, task.issuing_unit)
    )


def _require_report(actor: Any, task: Task) -> None:
    active(actor)
    if not can_report(actor, task):
        raise PermissionDeniedError(
            "只有责任部门或责任人可以报送该任务。", code="permission_denied"
        )


def _require_verify(actor: Any, task: Task) -> None:
    active(actor)
    if not can_verify(actor, task):
        raise PermissionDeniedError("只有督办机构可以验收该任务。", code="permission_denied")


def _check_target(metric: str, comparator: str, value: Any) -> Decimal | None:
    if not metric:
        return None
    try:
        metrics.get(metric)
    except metrics.UnknownMetricError as exc:
        raise DomainError("量化指标不存在。", code="invalid", field="target_metric") from exc
    if comparator not in Comparator.values:
        raise DomainError(
            "请选择目标比较方式（≥ 或 ≤）。", code="invalid", field="target_comparator"
        )
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("请填写目标值。", code="invalid", field="target_value") from exc
    if value is None or not number.is_finite() or number < 0:
        raise DomainError("请填写有效的目标值。", code="invalid", field="target_value")
    return number


@transaction.atomic
def task_create(
    *,
    actor: Any,
    source: models.Model | None = None,
    source_kind: str = TaskSourceKind.OTHER,
    source_label: str = "",
    source_url: str = "",
    issuing_unit: Unit,
    owner_unit: Unit,
    owner_department: Department | None = None,
    responsible: Any | None = None,
    title: str,
    description: str = "",
    due_date: date | None,
    start_date: date | None = None,
    plan: Plan | None = None,
    measure: Measure | None = None,
    co_units: Sequence[Unit] = (),
    co_departments: Sequence[Department] = (),
    milestones: Sequence[tuple[str, date]] = (),
    target_metric: str = "",
    target_comparator: str = "",
    target_value: Any = None,
    cascaded_from: Task | None = None,
    carried_over_from: Task | None = None,
) -> Task:
    """Create one task; every app that needs "someone must do this by a date" calls this."""
    if source_kind not in TaskSourceKind.values:
        raise DomainError("任务来源类型无效。", code="invalid", field="source_kind")
    if source is None or source_kind in OWN_KINDS:
        require(actor, "add_task", issuing_unit, "督办机构")
    else:
        active(actor)
        if not unit_in_scope(actor, issuing_unit):
            raise PermissionDeniedError("督办机构不在您的管辖范围内。", code="out_of_scope")
    title = need(title, "请填写任务名称。", "title")
    if due_date is None:
        raise DomainError("请填写完成期限。", code="required", field="due_date")
    if carried_over_from is None and due_date < today():
        raise DomainError("完成期限不能早于今天。", code="in_past", field="due_date")
    if start_date and start_date > due_date:
        raise DomainError("开始日期不能晚于完成期限。", code="invalid", field="start_date")
    if owner_department is not None and owner_department.unit_id != owner_unit.pk:
        raise DomainError("责任部门须属于责任机构。", code="invalid", field="owner_department")
    if (
        responsible is not None
        and not unit_in_scope(responsible, owner_unit)
        and not (responsible.unit_id and responsible.unit.path.startswith(owner_unit.path))
    ):
        raise DomainError("责任人须为责任机构的员工。", code="invalid", field="responsible")
    if measure is not None and plan is not None and measure.plan_id != plan.pk:
        raise DomainError("工作措施不属于该计划。", code="invalid", field="measure")
    for i, (name, when) in enumerate(milestones):
        need(name, lazy_text("第%(i)s个节点：请填写节点名称。", {"i": i + 1}), "milestones")
        if when > due_date:
            raise DomainError(
                "第%(i)s个节点的期限不能晚于完成期限。", params={"i": i + 1}, field="milestones"
            )
    value = _check_target(target_metric, target_comparator, target_value)
    at = now()
    task = Task.objects.create(
        source_kind=source_kind,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=source.pk if source is not None else None,
        source_label=(source_label or "")[:200],
        source_url=(source_url or "")[:200],
        plan=plan if plan is not None else (measure.plan if measure is not None else None),
        measure=measure,
        issuing_unit=issuing_unit,
        issued_by=actor if getattr(actor, "pk", None) else None,
        owner_unit=owner_unit,
        owner_department=owner_department,
        responsible=responsible,
        title=title[:200],
        description=(description or "").strip(),
        start_date=start_date,
        due_date=due_date,
        target_metric=target_metric if value is not None else "",
        target_comparator=target_comparator if value is not None else "",
        target_value=value,
        created_at=at,
        cascaded_from=cascaded_from,
        carried_over_from=carried_over_from,
        # The reminder sweep looks at a new task at once and schedules its next look itself.
        next_check_at=at,
    )
    if co_units:
        task.co_units.set(co_units)
    if co_departments:
        task.co_departments.set(co_departments)
    for name, when in milestones:
        TaskMilestone.objects.create(task=task, title=name.strip()[:200], due_date=when)
    task_event(
        task,
        "create",
        actor=actor,
        to_status=task.status,
        reason=task.title,
        data={"source_kind": source_kind, "issuing_unit": issuing_unit.pk},
    )
    return task


def _check_files(files: Sequence[Any]) -> list[CheckedUpload]:
    """Check every file before anything is written, so one bad file refuses the whole report."""
    checked = []
    for upload in files:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            raise DomainError(
                "%(file)s：%(problems)s",
                params={"file": upload.name, "problems": " ".join(exc.messages)},
                code="invalid_file",
                field="files",
            ) from exc
    return checked


def _attach(actor: Any, task: Task, files: Sequence[Any], label: str) -> list[int]:
    checked = _check_files(files)
    return [
        evidence_add(
            actor=actor, target=task, unit=task.owner_unit, upload=f, label=label, checked=c
        ).pk
        for f, c in zip(files, checked, strict=True)
    ]


@transaction.atomic
def task_progress_add(
    *,
    actor: Any,
    task: Task,
    pct: Any,
    text: str,
    files: Sequence[Any] = (),
    milestones_done: Sequence[int] = (),
) -> TaskProgress:
    """Report progress (percentage, text, evidence files, milestones reached); an open task
    becomes in progress."""
    _require_report(actor, task)
    task = _lock(task)
    task_target("progress", task.status)
    text = need(text, "请填写进展情况。", "text")
    try:
        pct = int(pct)
    except (TypeError, ValueError) as exc:
        raise DomainError("进度须为0—100之间的整数。", code="invalid", field="pct") from exc
    if not 0 <= pct <= 100:
        raise DomainError("进度须为0—100之间的整数。", code="invalid", field="pct")
    _check_files(files)
    reached = list(task.milestones.filter(pk__in=milestones_done, done_at__isnull=True))
    if len(reached) != len(set(milestones_done)):
        raise DomainError("所选节点不属于该任务或已完成。", code="invalid", field="milestones_done")
    at = now()
    progress = TaskProgress.objects.create(task=task, at=at, by=actor, pct=pct, text=text)
    for milestone in reached:
        milestone.done_at = at
        milestone.save(update_fields=["done_at"])
    evidence = _attach(actor, task, files, "进展材料")
    task.progress_pct = pct
    before = task.status
    task.status = task_target("progress", before)
    task.save(update_fields=["status", "progress_pct"])
    task_event(
        task,
        "progress",
        actor=actor,
        from_status=before,
        to_status=task.status,
        reason=text,
        data={
            "pct": pct,
            "progress": progress.pk,
            "evidence": evidence,
            "milestones": [m.pk for m in reached],
        },
    )
    return progress


@transaction.atomic
def task_submit(*, actor: Any, task: Task, note: str, files: Sequence[Any] = ()) -> Task:
    """The owner reports the task done (待验收), with a completion note and evidence."""
    _require_report(actor, task)
    task = _lock(task)
    task_target("submit", task.status)
    note = need(note, "请填写完成情况。", "note")
    _check_files(files)
    evidence = _attach(actor, task, files, "完成材料")
    task.completion_note = note
    task.submitted_at = now()
    task.progress_pct = 100
    before = task.status
    task.status = task_target("submit", before)
    task.save(update_fields=["status", "completion_note", "submitted_at", "progress_pct"])
    task_event(
        task,
        "submit",
        actor=actor,
        from_status=before,
        to_status=task.status,
        reason=note,
        data={"evidence": evidence},
    )
    hooks.task_changed(task, "submit", actor=actor, from_status=before, reason=note)
    return task


@transaction.atomic
def task_accept(*, actor: Any, task: Task, note: str = "") -> Task:
    """The issuing office verifies the work; the task is done as of the owner's submission."""
    _require_verify(actor, task)
    task = _lock(task)
    task_target("accept", task.status)
    task.accepted_by = actor
    # On time means the owner finished by the due day, however long verification took.
    task.completed_at = task.submitted_at or now()
    task.next_check_at = None
    return _move(
        task,
        "accept",
        actor=actor,
        reason=(note or "").strip(),
        fields=["accepted_by", "completed_at", "next_check_at"],
    )


@transaction.atomic
def task_return(*, actor: Any, task: Task, reason: str) -> Task:
    """The issuing office sends the work back with a reason; the owner continues."""
    _require_verify(actor, task)
    task = _lock(task)
    task_target("return", task.status)
    reason = need(reason, "退回须说明理由。", "reason")
    task.submitted_at = None
    task.next_check_at = now()
    return _move(
        task, "return", actor=actor, reason=reason, fields=["submitted_at", "next_check_at"]
    )


@transaction.atomic
def task_cancel(*, actor: Any, task: Task, reason: str) -> Task:
    _require_verify(actor, task)
    task = _lock(task)
    task_target("cancel", task.status)
    reason = need(reason, "撤销须说明理由。", "reason")
    task.next_check_at = None
    return _move(task, "cancel", actor=actor, reason=reason, fields=["next_check_at"])


@transaction.atomic
def task_update(
    *,
    actor: Any,
    task: Task,
    due_date: date | None,
    reason: str,
    owner_department: Department | None = None,
    responsible: Any | None = None,
    co_units: Sequence[Unit] = (),
    co_departments: Sequence[Department] = (),
) -> Task:
    """The issuing office changes an open task's due date, owners or co-owners, with a reason.

    A moved due date re-arms the reminder sweep (`reminders.arm`): the new date has its own steps.
    """
    from xiaobao.plans.reminders import arm

    _require_verify(actor, task)
    task = _lock(task)
    if not task.is_open:
        raise InvalidTransitionError("任务已完成或已撤销，不能再修改。", code="not_editable")
    reason = need(reason, "修改任务须说明理由。", "reason")
    if due_date is None:
        raise DomainError("请填写完成期限。", code="required", field="due_date")
    if due_date != task.due_date and due_date < today():
        raise DomainError("完成期限不能早于今天。", code="in_past", field="due_date")
    if task.start_date and task.start_date > due_date:
        raise DomainError("完成期限不能早于开始日期。", code="invalid", field="due_date")
    if task.milestones.filter(due_date__gt=due_date).exists():
        raise DomainError("完成期限不能早于已有节点的期限。", code="invalid", field="due_date")
    if owner_department is not None and owner_department.unit_id != task.owner_unit_id:
        raise DomainError("责任部门须属于责任机构。", code="invalid", field="owner_department")
    if (
        responsible is not None
        and not unit_in_scope(responsible, task.owner_unit)
        and not (responsible.unit_id and responsible.unit.path.startswith(task.owner_unit.path))
    ):
        raise DomainError("责任人须为责任机构的员工。", code="invalid", field="responsible")
    for unit in co_units:
        if unit.pk == task.owner_unit_id or not unit_in_scope(actor, unit):
            raise DomainError(
                "协办机构须为您管辖范围内的其他机构。", code="invalid", field="co_units"
            )
    for department in co_departments:
        if department.pk == getattr(owner_department, "pk", None) or not unit_in_scope(
            actor, department.unit
        ):
            raise DomainError(
                "协办部门须为您管辖范围内的其他部门。", code="invalid", field="co_departments"
            )
    before = {
        "due_date": task.due_date.isoformat(),
        "owner_department": task.owner_department_id,
        "responsible": task.responsible_id,
        "co_units": sorted(task.co_units.values_list("pk", flat=True)),
        "co_departments": sorted(task.co_departments.values_list("pk", flat=True)),
    }
    moved = due_date != task.due_date
    task.due_date = due_date
    task.owner_department = owner_department
    task.responsible = responsible
    task.save(update_fields=["due_date", "owner_department", "responsible"])
    task.co_units.set(co_units)
    task.co_departments.set(co_departments)
    after = {
        "due_date": due_date.isoformat(),
        "owner_department": task.owner_department_id,
        "responsible": task.responsible_id,
        "co_units": sorted(u.pk for u in co_units),
        "co_departments": sorted(d.pk for d in co_departments),
    }
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        raise DomainError("没有需要保存的修改。", code="unchanged", field="due_date")
    if moved:
        arm(task, now=now())
    task_event(task, "update", actor=actor, reason=reason, data={"changed": changed})
    return task


def _require_plan_milestones(actor: Any, task: Task) -> None:
    active(actor)
    if not (can_verify(actor, task) or can_report(actor, task)):
        raise PermissionDeniedError(
            "只有督办机构或责任部门可以调整任务节点。", code="permission_denied"
        )


@transaction.atomic
def milestone_add(*, actor: Any, task: Task, title: str, due_date: date | None) -> TaskMilestone:
    """Add a milestone to an open task (issuing office or the owners)."""
    _require_plan_milestones(actor, task)
    task = _lock(task)
    if not task.is_open:
        raise InvalidTransitionError("任务已完成或已撤销，不能再修改。", code="not_editable")
    title = need(title, "请填写节点名称。", "title")
    if due_date is None:
        raise DomainError("请填写节点期限。", code="required", field="due_date")
    if due_date > task.due_date:
        raise DomainError("节点期限不能晚于任务完成期限。", code="invalid", field="due_date")
    milestone = TaskMilestone.objects.create(task=task, title=title[:200], due_date=due_date)
    task_event(
        task,
        "milestone_add",
        actor=actor,
        reason=f"{due_date:%Y-%m-%d} {milestone.title}",
        data={"milestone": milestone.pk},
    )
    return milestone


@transaction.atomic
def milestone_remove(*, actor: Any, milestone: TaskMilestone, reason: str) -> None:
    """Remove a milestone not yet reached, with a reason (the event keeps what it was)."""
    task = milestone.task
    _require_plan_milestones(actor, task)
    task = _lock(task)
    if not task.is_open:
        raise InvalidTransitionError("任务已完成或已撤销，不能再修改。", code="not_editable")
    milestone = TaskMilestone.objects.select_for_update().get(pk=milestone.pk, task=task)
    if milestone.done_at is not None:
        raise InvalidTransitionError("已完成的节点不能删除。", code="milestone_done")
    reason = need(reason, "删除节点须说明理由。", "reason")
    task_event(
        task,
        "milestone_remove",
        actor=actor,
        reason=reason,
        data={
            "milestone": milestone.pk,
            "title": milestone.title,
            "due_date": str(milestone.due_date),
        },
    )
    milestone.delete()
