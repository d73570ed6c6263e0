"""Extensions of the deadline: request, approval (who may, and only in time), rejection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from xiaobao.complaints import clock
from xiaobao.complaints.choices import (
    ExtensionStatus,
    NoticeMethod,
)
from xiaobao.complaints.models import (
    Complaint,
    Extension,
)
from xiaobao.complaints.services._common import (
    _lock,
    _need,
    _not_future,
    _now,
    _require,
    _transition,
)
from xiaobao.complaints.services.handling import (
    _deadline_data,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_date, lazy_list, lazy_text
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import User
from xiaobao.organisation.roles import user_roles

# --- extensions ----------------------------------------------------------------------------------


@transaction.atomic
def extension_request(
    *, actor: User, complaint: Complaint, target_days: int, reason: str
) -> Extension:
    """Ask to extend to 30 days (complex) or 60 days (especially complex) (Art. 18)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("extension_request", complaint.status)
    _need(reason, "申请延期须说明理由。", "reason")
    policy = complaint.deadline_policy
    allowed = [d for d in (policy.get("extension_days"), policy.get("max_extension_days")) if d]
    if not allowed:
        raise DomainError("该类案件不允许延期。", code="no_extension", field="target_days")
    if target_days not in allowed:
        options = lazy_list(lazy_text("%(days)s日", {"days": d}) for d in allowed)
        raise DomainError(
            "延期只能延至%(options)s。",
            params={"options": options},
            code="invalid_target",
            field="target_days",
        )
    if target_days <= complaint.allowed_days:
        raise DomainError(
            "当前期限已是%(allowed_days)s日，无需延至%(target_days)s日。",
            params={"allowed_days": complaint.allowed_days, "target_days": target_days},
            field="target_days",
        )
    if complaint.due_at is not None and _now() >= complaint.due_at:
        raise DomainError("办理期限已届满，不能再申请延期。", code="deadline_passed")
    if complaint.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise DomainError("该投诉已有待审批的延期申请。", code="pending_exists")
    extension = Extension.objects.create(
        complaint=complaint,
        target_days=target_days,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=_now(),
    )
    _transition(
        complaint,
        "extension_request",
        actor=actor,
        reason=reason,
        data={"extension": extension.pk, "target_days": target_days},
    )
    return extension


def _check_approver(actor: User, complaint: Complaint, target_days: int, requested_by: Any) -> None:
    if requested_by is not None and actor.pk == requested_by.pk:
        raise PermissionDeniedError("不能审批自己提出的延期申请。", code="self_approval")
    unit = complaint.unit
    if target_days <= int(complaint.deadline_policy.get("extension_days") or 30):
        _require(actor, "approve_extension_30", complaint)
        return
    # Beyond 30 days: the upper-level institution's head, or a head-office senior manager
    # (Art. 18). Checked by role as well as permission, so a group given the permission by hand
    # (a head-office officer, say) still cannot approve.
    _require(actor, "approve_extension_60", complaint)
    roles = user_roles(actor)
    upper_head = Role.UNIT_HEAD in roles and actor.unit.is_ancestor_of(unit)
    senior_manager = Role.HQ_SENIOR_MANAGER in roles and actor.unit.parent_id is None
    if not (upper_head or senior_manager):
        raise PermissionDeniedError(
            "延期至60日须由上级机构负责人或总行高级管理人员批准。", code="needs_upper_level"
        )


def _lock_pending_extension(actor: User, extension: Extension) -> tuple[Extension, Complaint]:
    """Lock a pending request and its case, and check the actor may decide it."""
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    complaint = _lock(extension.complaint)
    _check_approver(actor, complaint, extension.target_days, extension.requested_by)
    target_status("extension_decide", complaint.status)
    if extension.status != ExtensionStatus.PENDING:
        raise DomainError("该延期申请已审批。", code="already_decided")
    return extension, complaint


def _refuse_late_approval(complaint: Complaint) -> None:
    """An extension is approved only while the case is within its current deadline.

    We refuse a late approval rather than record it as late: approving on day 17 a request made
    on day 14 would otherwise move the deadline past a day on which the case was already
    overdue, and the case would count as timely. Refused, the deadline stays where it was, the
    case stays overdue, and the request can still be rejected to clear it."""
    if complaint.due_at is not None and _now() >= complaint.due_at:
        assert complaint.due_date is not None  # stored together with due_at
        raise DomainError(
            "办理期限已于%(due)s届满，不能再批准延期；"
            "逾期的投诉不会因事后批准而视为按时办理。如需结束该申请，请驳回。",
            params={"due": lazy_date(complaint.due_date)},
            code="deadline_passed",
            field="decision",
        )


@transaction.atomic
def extension_approve(
    *,
    actor: User,
    extension: Extension,
    note: str = "",
    told_by: str = "",
    told_at: datetime | None = None,
) -> Extension:
    extension, complaint = _lock_pending_extension(actor, extension)
    _refuse_late_approval(complaint)
    long_extension = extension.target_days > int(
        complaint.deadline_policy.get("extension_days") or 30
    )
    if long_extension:
        if told_by not in NoticeMethod.values or told_at is None:
            raise DomainError(
                "延期至60日须告知投诉人，请记录告知方式和时间。",
                code="notice_required",
                field="told_by",
            )
        _not_future(told_at, "告知时间", "told_at")
    extension.status = ExtensionStatus.APPROVED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note
    extension.complainant_told_by = told_by
    extension.complainant_told_at = told_at
    extension.save()
    before = _deadline_data(complaint)
    complaint.allowed_days = extension.target_days
    complaint.extension_approved = True
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "extension_decide",
        actor=actor,
        reason=note,
        data={
            "extension": extension.pk,
            "approved": True,
            "before": before,
            "after": _deadline_data(complaint),
        },
        update_fields=[
            "allowed_days",
            "extension_approved",
            "due_date",
            "due_at",
            "deadline_explanation",
        ],
    )
    return extension


@transaction.atomic
def extension_reject(*, actor: User, extension: Extension, note: str) -> Extension:
    extension, complaint = _lock_pending_extension(actor, extension)
    _need(note, "驳回延期申请须说明理由。", "note")
    extension.status = ExtensionStatus.REJECTED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note
    extension.save()
    _transition(
        complaint,
        "extension_decide",
        actor=actor,
        reason=note,
        data={"extension": extension.pk, "approved": False},
    )
    return extension
