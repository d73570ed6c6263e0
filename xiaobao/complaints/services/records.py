"""Personal data (reveal with a reason), legal holds, attachments and duplicate look-ups."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from xiaobao.complaints.choices import (
    OPEN_STATUSES,
)
from xiaobao.complaints.models import (
    Complainant,
    Complaint,
)
from xiaobao.complaints.services._common import (
    _event,
    _lock,
    _need,
    _require,
)
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import User
from xiaobao.privacy.crypto import blind_index

# --- personal data and retention ----------------------------------------------------------------


def complainant_reveal(*, actor: User, complainant: Complainant, field: str, reason: str) -> str:
    """Show one personal field in full: needs the right, the case in scope, and a stated reason."""
    from xiaobao.privacy.services import personal_data_reveal

    complaint = complainant.complaint
    return personal_data_reveal(
        actor=actor,
        obj=complainant,
        field=field,
        reason=reason,
        unit=complaint.unit,
        case_ref=complaint.registry_no,
    )


def complaint_text_reveal(
    *, actor: User, complaint: Complaint, field: str, reason: str, event: int | None = None
) -> str:
    """Show free text as typed (title, narrative, demand, or one event's note) where personal
    data in it is masked: the same right, scope, reason and access log as any personal field."""
    from xiaobao.privacy.choices import TEXT_FIELD_LABELS
    from xiaobao.privacy.sealing import original
    from xiaobao.privacy.services import personal_data_reveal

    if field not in TEXT_FIELD_LABELS:
        raise DomainError(
            "字段“%(field)s”不是可查看原文的内容。", params={"field": field}, field="field"
        )
    obj: Any = complaint
    attribute = field
    if field == "event_reason":
        obj = complaint.events.filter(pk=event).first() if event else None
        if obj is None:
            raise DomainError("请选择要查看原文的处理记录。", code="not_found", field="event")
        attribute = "reason"
    return personal_data_reveal(
        actor=actor,
        obj=obj,
        field=field,
        reason=reason,
        unit=complaint.unit,
        case_ref=complaint.registry_no,
        value=lambda: original(obj, attribute),
    )


@transaction.atomic
def complaint_set_legal_hold(
    *, actor: User, complaint: Complaint, hold: bool, reason: str
) -> Complaint:
    """Place or lift a legal hold: a held file is never anonymised, whatever its age."""
    _require(actor, "set_legal_hold", complaint)
    complaint = _lock(complaint)
    _need(reason, "请说明设置或解除保全的原因。", "reason")
    if complaint.legal_hold == hold:
        raise DomainError("保全状态未改变。", code="unchanged")
    if complaint.anonymised_at is not None:
        raise DomainError("该投诉档案已匿名化。", code="anonymised")
    complaint.legal_hold = hold
    complaint.legal_hold_reason = reason.strip() if hold else ""
    complaint.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    _event(
        complaint,
        "legal_hold" if hold else "legal_hold_release",
        actor=actor,
        reason=reason,
        data={"from": not hold, "to": hold},
    )
    return complaint


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    complaint: Complaint,
    upload: Any,
    sha256: str,
    content_type: str,
    description: str = "",
) -> Any:
    """Keep a checked file with the case (type and size are checked by the caller's form)."""
    from xiaobao.complaints.models import Attachment

    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    if complaint.anonymised_at is not None:
        raise DomainError("该投诉档案已匿名化，不能再添加附件。")
    attachment = Attachment(
        complaint=complaint,
        original_name=str(upload.name)[:200],
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        description=description.strip(),
        uploaded_by=actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    _event(
        complaint,
        "attachment_add",
        actor=actor,
        reason=description,
        data={
            "attachment": attachment.pk,
            "name": attachment.original_name,
            "size": attachment.size,
        },
    )
    return attachment


def duplicates_for(*, phone: str = "", id_number: str = "", exclude_pk: int | None = None) -> Any:
    """Open cases of the same complainant, found by keyed hash (no decryption)."""

    match = Q(pk__in=[])
    if phone:
        match |= Q(phone_hash=blind_index(phone, kind="phone"))
    if id_number:
        match |= Q(id_number_hash=blind_index(id_number, kind="id_number"))
    # The people as an id subquery: no join, so no DISTINCT for callers to sort through.
    people = Complainant.objects.filter(match).values("complaint_id")
    qs = Complaint.objects.filter(pk__in=people, status__in=OPEN_STATUSES)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs
