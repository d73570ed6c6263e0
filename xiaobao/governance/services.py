"""Writes on governance records: meetings and their decisions, the internal-rules register.

Every service checks the actor's right and scope, validates, changes, and writes one append-only
`audit.RecordEvent` in the same transaction: a refused request leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from xiaobao.audit.services import record_event
from xiaobao.deadlines.engine import TZ
from xiaobao.governance.choices import (
    MEETING_TRANSITIONS,
    RULE_TRANSITIONS,
    MeetingBody,
)
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.plans.choices import TaskSourceKind
from xiaobao.plans.models import Task
from xiaobao.plans.services import task_create

ACTION_LABELS = {
    "meeting_create": gettext_noop("登记会议"),
    "decision_add": gettext_noop("记录决议"),
    "confirm": gettext_noop("确认纪要"),
    "rule_register": gettext_noop("登记制度"),
    "revise": gettext_noop("修订（由新版本替代）"),
    "revised_from": gettext_noop("修订发布"),
    "review": gettext_noop("评估"),
    "repeal": gettext_noop("废止"),
}


def today() -> date:
    return now().astimezone(TZ).date()


def _require(actor: Any, perm: str, unit: Unit) -> None:
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not actor.has_perm(f"governance.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if not unit_in_scope(actor, unit):
        raise PermissionDeniedError("该机构不在您的管辖范围内。", code="out_of_scope")


def _text(value: Any, message: str, field: str, limit: int | None = None) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(message, code="required", field=field)
    if limit and len(text) > limit:
        raise DomainError(
            "不能超过%(limit)s个字符。", params={"limit": limit}, code="too_long", field=field
        )
    return text


def _date(value: Any, message: str, field: str) -> date:
    if not isinstance(value, date):
        raise DomainError(message, code="required", field=field)
    return value


def _move(table: dict[str, tuple[tuple[str, ...], str]], action: str, status: str) -> str:
    allowed, target = table[action]
    if status not in allowed:
        raise InvalidTransitionError(
            "当前状态下不能执行该操作。", code="invalid_transition", field="status"
        )
    return target


def _event(obj: Any, action: str, *, actor: Any, unit: Unit, **extra: Any) -> None:
    record_event(
        obj, action=action, action_label=ACTION_LABELS[action], actor=actor, unit=unit, **extra
    )


# --- meetings ------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    unit: Unit,
    body: str,
    title: str,
    held_on: date | None,
    attendees: str,
    topics: str,
) -> Meeting:
    """Record a meeting held by `unit` (minutes in draft until confirmed)."""
    _require(actor, "add_meeting", unit)
    if body not in MeetingBody.values:
        raise DomainError("请选择会议机构。", code="invalid", field="body")
    held = _date(held_on, "请填写会议日期。", "held_on")
    if held > today():
        raise DomainError("会议日期不能晚于今天。", code="in_future", field="held_on")
    meeting = Meeting.objects.create(
        unit=unit,
        body=body,
        title=_text(title, "请填写会议名称。", "title", 200),
        held_on=held,
        attendees=_text(attendees, "请填写出席人员。", "attendees"),
        topics=_text(topics, "请填写会议议题。", "topics"),
        created_by=actor,
        created_at=now(),
    )
    _event(meeting, "meeting_create", actor=actor, unit=unit, to_status=meeting.status)
    return meeting


@dataclass(frozen=True)
class DecisionTask:
    """The task a decision creates: who must do what by when."""

    owner_unit: Unit
    title: str
    due_date: date | None
    owner_department: Department | None = None


@transaction.atomic
def decision_add(
    *, actor: Any, meeting: Meeting, text: str, task: DecisionTask | None = None
) -> MeetingDecision:
    """Add a decision to a meeting's draft minutes; with `task`, create the task it orders."""
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    _require(actor, "change_meeting", meeting.unit)
    _move({"decide": (("draft",), "draft")}, "decide", meeting.status)
    body = _text(text, "请填写决议事项。", "text")
    number = meeting.decisions.count() + 1
    created: Task | None = None
    if task is not None:
        if not unit_in_scope(actor, task.owner_unit):
            raise PermissionDeniedError("责任机构不在您的管辖范围内。", code="out_of_scope")
        created = task_create(
            actor=actor,
            source=meeting,
            source_kind=TaskSourceKind.COMMITTEE_DECISION,
            source_label=f"{meeting.get_body_display()} {meeting.held_on:%Y-%m-%d} 决议{number}",
            source_url=reverse("governance:meeting", args=[meeting.pk]),
            issuing_unit=meeting.unit,
            owner_unit=task.owner_unit,
            owner_department=task.owner_department,
            title=task.title or body[:200],
            description=body,
            due_date=task.due_date,
        )
    decision = MeetingDecision.objects.create(
        meeting=meeting, number=number, text=body, task=created, created_at=now()
    )
    _event(
        meeting,
        "decision_add",
        actor=actor,
        unit=meeting.unit,
        data={"decision": number, "task": created.pk if created else None},
    )
    return decision


@transaction.atomic
def meeting_confirm(*, actor: Any, meeting: Meeting) -> Meeting:
    """Confirm the minutes: the meeting and its decisions are final from now on."""
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    _require(actor, "change_meeting", meeting.unit)
    before = meeting.status
    meeting.status = _move(MEETING_TRANSITIONS, "confirm", before)
    if not meeting.decisions.exists():
        raise DomainError("请先记录至少一项会议决议。", code="required", field="decisions")
    meeting.save(update_fields=["status"])
    _event(
        meeting,
        "confirm",
        actor=actor,
        unit=meeting.unit,
        from_status=before,
        to_status=meeting.status,
    )
    return meeting


# --- internal rules ------------------------------------------------------------------------------


def _rule_dates(effective_on: Any, next_review_on: Any) -> tuple[date, date]:
    effective = _date(effective_on, "请填写生效日期。", "effective_on")
    review = _date(next_review_on, "请填写下次评估日期。", "next_review_on")
    if review <= effective:
        raise DomainError("下次评估日期须晚于生效日期。", code="invalid", field="next_review_on")
    return effective, review


def _department(unit: Unit, department: Department | None) -> Department | None:
    if department is not None and department.unit_id != unit.pk:
        raise DomainError("归口部门须属于发文机构。", code="invalid", field="owner_department")
    return department


@transaction.atomic
def rule_register(
    *,
    actor: Any,
    unit: Unit,
    title: str,
    doc_number: str,
    version: str,
    owner_department: Department | None,
    effective_on: date | None,
    next_review_on: date | None,
) -> InternalRule:
    """Enter an internal rule in force into the register."""
    _require(actor, "add_internalrule", unit)
    effective, review = _rule_dates(effective_on, next_review_on)
    rule = InternalRule.objects.create(
        unit=unit,
        title=_text(title, "请填写制度名称。", "title", 200),
        doc_number=_text(doc_number, "请填写文号。", "doc_number", 80),
        version=_text(version, "请填写版本。", "version", 20),
        owner_department=_department(unit, owner_department),
        effective_on=effective,
        next_review_on=review,
        created_by=actor,
        created_at=now(),
    )
    _event(rule, "rule_register", actor=actor, unit=unit, to_status=rule.status)
    return rule


def _lock_rule(rule: InternalRule) -> InternalRule:
    return InternalRule.objects.select_for_update().select_related("unit").get(pk=rule.pk)


@transaction.atomic
def rule_revise(
    *,
    actor: Any,
    rule: InternalRule,
    version: str,
    doc_number: str,
    effective_on: date | None,
    next_review_on: date | None,
    reason: str,
) -> InternalRule:
    """Publish a new version: the old one is kept, marked superseded, and linked to the new."""
    old = _lock_rule(rule)
    _require(actor, "change_internalrule", old.unit)
    before = old.status
    target = _move(RULE_TRANSITIONS, "revise", before)
    why = _text(reason, "请说明修订原因。", "reason")
    effective, review = _rule_dates(effective_on, next_review_on)
    if effective < old.effective_on:
        raise DomainError("新版本的生效日期不能早于原版本。", code="invalid", field="effective_on")
    new_version = _text(version, "请填写版本。", "version", 20)
    if new_version == old.version:
        raise DomainError("新版本号须与原版本不同。", code="invalid", field="version")
    old.status = target
    old.save(update_fields=["status"])
    new = InternalRule.objects.create(
        unit=old.unit,
        title=old.title,
        doc_number=_text(doc_number, "请填写文号。", "doc_number", 80),
        version=new_version,
        owner_department=old.owner_department,
        effective_on=effective,
        next_review_on=review,
        previous=old,
        created_by=actor,
        created_at=now(),
    )
    _event(
        old,
        "revise",
        actor=actor,
        unit=old.unit,
        from_status=before,
        to_status=target,
        reason=why,
        data={"new": new.pk},
    )
    _event(
        new,
        "revised_from",
        actor=actor,
        unit=new.unit,
        to_status=new.status,
        reason=why,
        data={"previous": old.pk},
    )
    return new


@transaction.atomic
def rule_review(
    *, actor: Any, rule: InternalRule, next_review_on: date | None, reason: str
) -> InternalRule:
    """Record that a rule was reviewed and still stands; set the next review date."""
    rule = _lock_rule(rule)
    _require(actor, "change_internalrule", rule.unit)
    _move(RULE_TRANSITIONS, "review", rule.status)
    why = _text(reason, "请填写评估结论。", "reason")
    review = _date(next_review_on, "请填写下次评估日期。", "next_review_on")
    if review <= today():
        raise DomainError("下次评估日期须晚于今天。", code="invalid", field="next_review_on")
    before = rule.next_review_on
    rule.next_review_on = review
    rule.last_reviewed_on = today()
    rule.save(update_fields=["next_review_on", "last_reviewed_on"])
    _event(
        rule,
        "review",
        actor=actor,
        unit=rule.unit,
        from_status=rule.status,
        to_status=rule.status,
        reason=why,
        data={"next_review_on": [before.isoformat(), review.isoformat()]},
    )
    return rule


@transaction.atomic
def rule_repeal(*, actor: Any, rule: InternalRule, reason: str) -> InternalRule:
    """Repeal a rule in force (kept in the register, marked repealed)."""
    rule = _lock_rule(rule)
    _require(actor, "change_internalrule", rule.unit)
    before = rule.status
    rule.status = _move(RULE_TRANSITIONS, "repeal", before)
    why = _text(reason, "请说明废止原因。", "reason")
    rule.save(update_fields=["status"])
    _event(
        rule,
        "repeal",
        actor=actor,
        unit=rule.unit,
        from_status=before,
        to_status=rule.status,
        reason=why,
    )
    return rule
