"""Ending without a decision (withdrawal, decline, merge) and major complaints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from xiaobao.complaints import clock
from xiaobao.complaints.choices import (
    Axis,
    ComplainantRole,
    MajorReason,
    NoticeMethod,
)
from xiaobao.complaints.models import (
    Complaint,
)
from xiaobao.complaints.services._common import (
    _lock,
    _need,
    _not_future,
    _now,
    _require,
    _term,
    _transition,
)
from xiaobao.complaints.services.handling import (
    _deadline_data,
)
from xiaobao.complaints.services.registration import (
    _escalate,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import User

# --- ending without a decision -------------------------------------------------------------------


@transaction.atomic
def complaint_withdraw(
    *, actor: User, complaint: Complaint, received_at: datetime, note: str = ""
) -> Complaint:
    """The complainant withdraws: the case ends on the day the withdrawal arrives (Art. 15)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("withdraw", complaint.status)
    _not_future(received_at, "撤诉时间", "received_at")
    if received_at < complaint.received_at:
        raise DomainError("撤诉时间不能早于投诉接收时间。", field="received_at")
    complaint.ended_at = received_at
    complaint.end_reason = note.strip()
    _close_open_pause(complaint, received_at, actor)
    _transition(
        complaint,
        "withdraw",
        actor=actor,
        reason=note,
        data={"received_at": received_at.isoformat()},
        update_fields=["ended_at", "end_reason"],
    )
    return complaint


def _close_open_pause(complaint: Complaint, at: datetime, actor: User) -> None:
    complaint.pauses.filter(ended_at__isnull=True).update(ended_at=at, ended_by=actor)


class DeclineGround:
    NOT_A_COMPLAINT = "not_a_complaint"  # an enquiry, tip-off or petition (Art. 2)
    NO_STANDING = "no_standing"  # filed by someone who is not the consumer, guardian or agent

    labels = {
        NOT_A_COMPLAINT: "不属于投诉（咨询、举报或信访）",
        NO_STANDING: "投诉人非消费者本人、监护人或代理人",
    }


@transaction.atomic
def complaint_decline(
    *, actor: User, complaint: Complaint, ground: str, reason: str, told_by: str
) -> Complaint:
    """Decline with notice: not a complaint (Art. 2) or no standing to complain."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("decline", complaint.status)
    if ground not in DeclineGround.labels:
        raise DomainError("请选择不予受理的理由。", code="required", field="ground")
    _need(reason, "请说明不予受理的具体理由。", "reason")
    if told_by not in NoticeMethod.values:
        raise DomainError(
            "不予受理须告知投诉人，请记录告知方式。", code="notice_required", field="told_by"
        )
    if ground == DeclineGround.NO_STANDING:
        standing = complaint.complainants.exclude(role=ComplainantRole.OTHER)
        if standing.exists():
            raise DomainError(
                "投诉人为消费者本人、监护人、代理人、继承人或单位时，不能以主体不适格为由不予受理。",
                code="has_standing",
                field="ground",
            )
    complaint.ended_at = _now()
    complaint.end_reason = f"{DeclineGround.labels[ground]}：{reason.strip()}"
    _transition(
        complaint,
        "decline",
        actor=actor,
        reason=reason,
        data={"ground": ground, "told_by": told_by},
        update_fields=["ended_at", "end_reason"],
    )
    return complaint


@transaction.atomic
def complaint_merge(
    *, actor: User, complaint: Complaint, into: Complaint, new_facts: bool = False, note: str = ""
) -> Complaint:
    """Merge a repeat filing into the open case; new facts in it restart that case's clock."""
    _require(actor, "handle_complaint", complaint)
    _require(actor, "handle_complaint", into)
    if complaint.pk == into.pk:
        raise DomainError("不能把投诉合并到它自己。", field="into")
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([complaint, into], key=lambda c: c.pk)
    locked = {c.pk: _lock(c) for c in (first, second)}
    complaint, into = locked[complaint.pk], locked[into.pk]
    target_status("merge", complaint.status)
    target_status("merge_target", into.status)
    if into.kind != complaint.kind:
        raise DomainError("投诉与核查案件不能互相合并。", field="into")
    complaint.merged_into = into
    complaint.ended_at = _now()
    complaint.end_reason = note.strip()
    _close_open_pause(complaint, complaint.ended_at, actor)
    _transition(
        complaint,
        "merge",
        actor=actor,
        reason=note,
        data={"into": into.registry_no},
        update_fields=["merged_into", "ended_at", "end_reason"],
    )
    fields: list[str] = []
    data: dict[str, Any] = {"from": complaint.registry_no, "new_facts": new_facts}
    if new_facts:
        restart = max(complaint.received_at, into.clock_restarted_at or into.received_at)
        data["before"] = _deadline_data(into)
        into.clock_restarted_at = restart
        clock.apply_deadline(into)
        data["after"] = _deadline_data(into)
        fields = ["clock_restarted_at", "due_date", "due_at", "deadline_explanation"]
    _transition(into, "merge_target", actor=actor, reason=note, data=data, update_fields=fields)
    return into


# --- major complaints ----------------------------------------------------------------------------


@transaction.atomic
def complaint_flag_major(*, actor: User, complaint: Complaint, reason: str, note: str) -> Complaint:
    """Designate a major complaint (disaster, accident, public health, regulator, group)."""
    _require(actor, "flag_major", complaint)
    complaint = _lock(complaint)
    target_status("flag_major", complaint.status)
    if reason not in MajorReason.values:
        raise DomainError("请选择重大投诉的认定原因。", code="required", field="reason")
    _need(note, "请说明认定为重大投诉的情况。", "note")
    if complaint.is_major:
        raise DomainError("该投诉已认定为重大投诉。", code="already_major")
    complaint.is_major = True
    complaint.major_reason = reason
    major = _term("MAJOR", Axis.LEVEL, "level")
    assert major is not None
    complaint.level = major
    _transition(
        complaint,
        "flag_major",
        actor=actor,
        reason=note,
        data={"reason": reason},
        update_fields=["is_major", "major_reason", "level"],
    )
    _escalate(complaint, actor=actor, reason=note)
    return complaint
