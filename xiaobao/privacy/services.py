"""Revealing personal data (with a reason and a record), retention policy, subject requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from xiaobao.audit.services import audit_record
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_list
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.privacy.choices import (
    FIELD_LABELS,
    TEXT_FIELD_LABELS,
    RecordType,
    RequestKind,
    RequestStatus,
)
from xiaobao.privacy.crypto import blind_index
from xiaobao.privacy.models import DataSubjectRequest, PersonalDataAccess, RetentionPolicy
from xiaobao.privacy.registry import retention_checks, retention_jobs

UNMASK_PERMISSION = "privacy.unmask_personal_data"
MIN_REASON_LENGTH = 4
DEFAULT_RETENTION_YEARS = {RecordType.COMPLAINT: 3, RecordType.SALES: 5, RecordType.ACCESS_LOG: 5}
DSR_DAYS = 15  # answer within 15 days (institutions' common practice; PIPL sets no number)


def can_unmask(user: Any, unit: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and user.has_perm(UNMASK_PERMISSION)
        and unit_in_scope(user, unit)
    )


@transaction.atomic
def personal_data_reveal(
    *,
    actor: Any,
    obj: models.Model,
    field: str,
    reason: str,
    unit: Any,
    case_ref: str,
    value: Callable[[], str] | None = None,
) -> str:
    """Return one field in full and record the look; refused without right, scope or reason.

    `value`: how to read the full value when it is not the attribute `field` of `obj` (free text
    sealed by `privacy.sealing`, whose field is one of `TEXT_FIELD_LABELS`)."""
    if field not in FIELD_LABELS and not (value is not None and field in TEXT_FIELD_LABELS):
        raise DomainError(
            "字段“%(field)s”不是可查看的个人信息。", params={"field": field}, field="field"
        )
    if not can_unmask(actor, unit):
        raise PermissionDeniedError("您没有查看完整个人信息的权限。", code="unmask_denied")
    reason = (reason or "").strip()
    # Letters, digits and Chinese characters count; "...." or "    " is no reason.
    if sum(ch.isalnum() for ch in reason) < MIN_REASON_LENGTH:
        raise DomainError(
            "查看完整个人信息须说明理由（至少%(min_length)s个字）。",
            params={"min_length": MIN_REASON_LENGTH},
            code="reason_required",
            field="reason",
        )
    PersonalDataAccess.objects.create(
        actor=actor,
        unit=unit,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        case_ref=case_ref,
        field=field,
        reason=reason[:200],
    )
    return value() if value is not None else str(getattr(obj, field) or "")


def retention_years(record_type: str) -> int:
    row = RetentionPolicy.objects.filter(record_type=record_type).first()
    return row.years if row else DEFAULT_RETENTION_YEARS[RecordType(record_type)]


def retention_run(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Run every registered retention job (anonymise what has expired, skip held records)."""
    now = now or timezone.now()
    return {name: job(now, dry_run) for name, job in sorted(retention_jobs.items())}


def reasons_to_keep(
    *, id_number: str = "", phone: str = "", now: datetime | None = None
) -> list[str]:
    now = now or timezone.now()
    id_hash = blind_index(id_number, kind="id_number") if id_number else ""
    phone_hash = blind_index(phone, kind="phone") if phone else ""
    reasons: list[str] = []
    for check in retention_checks.values():
        reasons.extend(check(id_hash, phone_hash, now))
    return reasons


@transaction.atomic
def dsr_register(
    *,
    actor: Any,
    unit: Any,
    kind: str,
    subject_name: str,
    details: str,
    received_at: datetime,
    id_number: str = "",
    phone: str = "",
) -> DataSubjectRequest:
    if not (actor.has_perm("privacy.add_datasubjectrequest") and unit_in_scope(actor, unit)):
        raise PermissionDeniedError("您没有登记个人信息权利请求的权限。")
    if kind not in RequestKind.values:
        raise DomainError("请选择请求类型。", field="kind")
    if not subject_name.strip() or not details.strip():
        raise DomainError("请填写申请人和请求内容。", field="details")
    if not (id_number or phone):
        raise DomainError("请填写证件号码或联系电话，以便核实身份并查找数据。", field="id_number")
    if timezone.is_naive(received_at) or received_at > timezone.now() + timedelta(minutes=5):
        raise DomainError("收到时间不能晚于当前时间。", field="received_at")
    due = received_at.astimezone(TZ).date() + timedelta(days=DSR_DAYS)
    request = DataSubjectRequest.objects.create(
        unit=unit,
        kind=kind,
        subject_name=subject_name.strip(),
        subject_id_number=id_number.strip().upper(),
        subject_id_hash=blind_index(id_number, kind="id_number") if id_number else "",
        subject_phone=phone.strip(),
        details=details.strip(),
        received_at=received_at,
        due_date=due,
        handled_by=actor,
    )
    audit_record(
        actor=actor,
        action="dsr.register",
        obj=request,
        unit=unit,
        summary=f"{request.get_kind_display()}，答复期限{due:%Y-%m-%d}",
        data={"kind": kind, "due_date": due.isoformat()},
    )
    return request


@transaction.atomic
def dsr_answer(
    *, actor: Any, request: DataSubjectRequest, status: str, answer: str
) -> DataSubjectRequest:
    """Answer a request; deletion of data under a legal retention period becomes a restriction."""
    if not (
        actor.has_perm("privacy.change_datasubjectrequest") and unit_in_scope(actor, request.unit)
    ):
        raise PermissionDeniedError("您没有处理该请求的权限。")
    request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise DomainError("该请求已答复。", code="already_answered")
    if status not in (RequestStatus.FULFILLED, RequestStatus.RESTRICTED, RequestStatus.REFUSED):
        raise DomainError("请选择办理结果。", field="status")
    if not answer.strip():
        raise DomainError("请填写答复内容。", field="answer")
    if request.kind == RequestKind.DELETE and status == RequestStatus.FULFILLED:
        kept = reasons_to_keep(id_number=request.subject_id_number, phone=request.subject_phone)
        if kept:
            raise DomainError(
                "该申请人的数据仍在法定保存期内，不能删除，只能限制处理：%(reasons)s",
                params={"reasons": lazy_list(kept, "；")},
                code="retention_applies",
                field="status",
            )
    request.status = status
    request.answer = answer.strip()
    request.answered_at = timezone.now()
    request.handled_by = actor
    request.save()
    audit_record(
        actor=actor,
        action="dsr.answer",
        obj=request,
        unit=request.unit,
        summary=request.get_status_display(),
        data={
            "from": RequestStatus.OPEN,
            "to": status,
            "on_time": request.answered_at.astimezone(TZ).date() <= request.due_date,
        },
    )
    return request
