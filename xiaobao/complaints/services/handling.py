"""Handling: acceptance, assignment, transfer, classification, pausing the clock, new facts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from xiaobao.complaints import clock
from xiaobao.complaints.choices import (
    OPEN_STATUSES,
    Axis,
    NoticeMethod,
    PauseReason,
)
from xiaobao.complaints.models import (
    Complaint,
    Pause,
    TaxonomyTerm,
    complaint_known_names,
)
from xiaobao.complaints.services._common import (
    _check_handler,
    _event,
    _lock,
    _need,
    _not_future,
    _now,
    _require,
    _term,
    _terms,
    _transition,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.privacy.sealing import redact_text

# --- handling ------------------------------------------------------------------------------------


@transaction.atomic
def complaint_accept(
    *, actor: User, complaint: Complaint, handler: User | None = None
) -> Complaint:
    """Accept the case for handling with one named handler (专人负责)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    handler = handler or complaint.handler or actor
    _check_handler(handler, unit=complaint.unit, complained_staff=complaint.complained_staff)
    complaint.handler = handler
    _transition(
        complaint, "accept", actor=actor, data={"handler": handler.pk}, update_fields=["handler"]
    )
    return complaint


@transaction.atomic
def complaint_assign(
    *, actor: User, complaint: Complaint, handler: User, reason: str = ""
) -> Complaint:
    _require(actor, "assign_complaint", complaint)
    complaint = _lock(complaint)
    target_status("assign", complaint.status)
    _check_handler(handler, unit=complaint.unit, complained_staff=complaint.complained_staff)
    previous = complaint.handler_id
    complaint.handler = handler
    _transition(
        complaint,
        "assign",
        actor=actor,
        reason=reason,
        data={"from": previous, "to": handler.pk},
        update_fields=["handler"],
    )
    return complaint


@transaction.atomic
def complaint_transfer(
    *, actor: User, complaint: Complaint, to_unit: Unit, reason: str
) -> Complaint:
    """Move a case to another unit in the actor's scope (misrouted at intake, or the unit that
    can resolve it). The deadline is the consumer's and does not change; the handler is
    cleared for the receiving unit to name its own, and that unit is told (xiaobao.watch)."""
    _require(actor, "assign_complaint", complaint)
    complaint = _lock(complaint)
    target_status("transfer", complaint.status)
    _need(reason, "移交须说明原因。", "reason")
    if to_unit is None:
        raise DomainError("请选择接收机构。", code="required", field="to_unit")
    if not to_unit.is_active:
        raise DomainError(
            "%(to_unit)s已停用，不能接收投诉。", params={"to_unit": to_unit.name}, field="to_unit"
        )
    if to_unit.pk == complaint.unit_id:
        raise DomainError("该投诉已由此机构负责，无需移交。", code="same_unit", field="to_unit")
    if not unit_in_scope(actor, to_unit):
        raise PermissionDeniedError(
            "只能移交到您管辖范围内的机构。", code="out_of_scope", field="to_unit"
        )
    before, previous_handler = complaint.unit, complaint.handler_id
    complaint.unit = to_unit
    complaint.handler = None
    _transition(
        complaint,
        "transfer",
        actor=actor,
        reason=reason.strip(),
        data={
            "from_unit": {"id": before.pk, "code": before.code, "name": before.name},
            "to_unit": {"id": to_unit.pk, "code": to_unit.code, "name": to_unit.name},
            "previous_handler": previous_handler,
            **_deadline_data(complaint),
        },
        update_fields=["unit", "handler"],
    )
    return complaint


def complaints_record_unit_move(
    *, actor: Any, unit: Unit, from_parent: Unit | None, to_parent: Unit
) -> int:
    """A sub-branch moved in the tree: who sees its cases changed, so each open case says so.

    Called by `organisation.services.unit_move` through its move listeners (inside the move's
    transaction); returns how many cases got an event."""
    cases = Complaint.objects.filter(
        unit__path__startswith=unit.path, status__in=OPEN_STATUSES
    ).select_related("unit")
    count = 0
    for complaint in cases.order_by("pk").iterator(chunk_size=500):
        _event(
            complaint,
            "unit_moved",
            actor=actor,
            reason=f"{unit.name}由{from_parent.name if from_parent else '—'}调整至{to_parent.name}",
            data={
                "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
                "from_parent": from_parent.pk if from_parent else None,
                "to_parent": to_parent.pk,
            },
        )
        count += 1
    return count


@transaction.atomic
def complaint_classify(
    *,
    actor: User,
    complaint: Complaint,
    business_channel: TaxonomyTerm | str | None = None,
    business_category: TaxonomyTerm | str | None = None,
    cause: TaxonomyTerm | str | None = None,
    level: TaxonomyTerm | str | None = None,
    demands: Iterable[TaxonomyTerm | str] | None = None,
    tags: Iterable[TaxonomyTerm | str] | None = None,
) -> Complaint:
    """Set or correct the classification; the event keeps both the old and the new codes."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("classify", complaint.status)
    before = _classification(complaint)
    fields = []
    for name, value, axis in (
        ("business_channel", business_channel, Axis.BUSINESS_CHANNEL),
        ("business_category", business_category, Axis.BUSINESS_CATEGORY),
        ("cause", cause, Axis.CAUSE),
        ("level", level, Axis.LEVEL),
    ):
        if value is not None:
            setattr(complaint, name, _term(value, axis, name))
            fields.append(name)
    if complaint.is_major and complaint.level.code != "MAJOR":
        raise DomainError("重大投诉的处理级别须为“重大”。", field="level")
    if demands is not None:
        complaint.demands.set(_terms(demands, Axis.DEMAND, "demands"))
    if tags is not None:
        complaint.tags.set(_terms(tags, Axis.TAG, "tags"))
    after = _classification(complaint)
    _transition(
        complaint,
        "classify",
        actor=actor,
        data={"before": before, "after": after},
        update_fields=fields,
    )
    return complaint


def _classification(complaint: Complaint) -> dict[str, Any]:
    return {
        "business_channel": complaint.business_channel.code if complaint.business_channel else None,
        "business_category": complaint.business_category.code
        if complaint.business_category
        else None,
        "cause": complaint.cause.code if complaint.cause else None,
        "level": complaint.level.code if complaint.level_id else None,
        "demands": sorted(complaint.demands.values_list("code", flat=True)),
        "tags": sorted(complaint.tags.values_list("code", flat=True)),
    }


def _deadline_data(complaint: Complaint) -> dict[str, Any]:
    return {
        "due_date": complaint.due_date.isoformat() if complaint.due_date else None,
        "allowed_days": complaint.allowed_days,
    }


@transaction.atomic
def complaint_pause(
    *,
    actor: User,
    complaint: Complaint,
    reason: str,
    told_by: str,
    note: str = "",
    started_at: datetime | None = None,
) -> Pause:
    """Stop the clock for appraisal, testing, valuation or mediation; the complainant is told."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("pause", complaint.status)
    if reason not in PauseReason.values:
        raise DomainError(
            "中止计时仅适用于鉴定、检测、评估或调解。", code="invalid_pause_reason", field="reason"
        )
    if told_by not in NoticeMethod.values:
        raise DomainError("请记录告知投诉人中止计时的方式。", code="required", field="told_by")
    started_at = started_at or _now()
    _not_future(started_at, "中止开始时间", "started_at")
    if complaint.due_at is not None and started_at >= complaint.due_at:
        raise DomainError(
            "办理期限已届满，不能再中止计时。", code="deadline_passed", field="started_at"
        )
    pause = Pause.objects.create(
        complaint=complaint,
        reason=reason,
        # Masked: the note as typed is sealed with the event (privacy.sealing).
        note=redact_text(note, names=complaint_known_names(complaint)),
        started_at=started_at,
        complainant_told_by=told_by,
        started_by=actor,
    )
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "pause",
        actor=actor,
        reason=note,
        data={"pause": pause.pk, "reason": reason, "told_by": told_by},
        update_fields=["due_date", "due_at", "deadline_explanation"],
    )
    return pause


@transaction.atomic
def complaint_resume(
    *, actor: User, complaint: Complaint, ended_at: datetime | None = None, note: str = ""
) -> Complaint:
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("resume", complaint.status)
    pause = complaint.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if pause is None:  # pragma: no cover - PAUSED always has an open pause
        raise DomainError("没有正在进行的中止计时。")
    ended_at = ended_at or _now()
    _not_future(ended_at, "恢复计时时间", "ended_at")
    if ended_at < pause.started_at:
        raise DomainError("恢复时间不能早于中止开始时间。", field="ended_at")
    pause.ended_at = ended_at
    pause.ended_by = actor
    pause.save(update_fields=["ended_at", "ended_by"])
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "resume",
        actor=actor,
        reason=note,
        data={"pause": pause.pk, **_deadline_data(complaint)},
        update_fields=["due_date", "due_at", "deadline_explanation"],
    )
    return complaint


@transaction.atomic
def complaint_add_new_facts(
    *, actor: User, complaint: Complaint, received_at: datetime, description: str
) -> Complaint:
    """New facts or material restart the clock from the day they arrive (Art. 18)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("add_new_facts", complaint.status)
    _need(description, "请说明补充的新事实或新材料。", "description")
    _not_future(received_at, "新材料接收时间", "received_at")
    earliest = complaint.clock_restarted_at or complaint.received_at
    if received_at < earliest:
        raise DomainError(
            "新材料接收时间不能早于投诉接收时间或上次重新起算时间。", field="received_at"
        )
    before = _deadline_data(complaint)
    complaint.clock_restarted_at = received_at
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "add_new_facts",
        actor=actor,
        reason=description,
        data={
            "before": before,
            "after": _deadline_data(complaint),
            "received_at": received_at.isoformat(),
        },
        update_fields=["clock_restarted_at", "due_date", "due_at", "deadline_explanation"],
    )
    return complaint
