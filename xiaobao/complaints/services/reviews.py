"""Reviews (核查) by the upper-level unit and follow-up calls (回访)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from xiaobao.complaints import clock
from xiaobao.complaints.choices import (
    Axis,
    Kind,
    NoticeMethod,
    PolicyKind,
    Satisfaction,
    Status,
)
from xiaobao.complaints.models import (
    Complaint,
    FollowUp,
    TaxonomyTerm,
)
from xiaobao.complaints.services._common import (
    _event,
    _lock,
    _need,
    _next_registry_no,
    _not_future,
    _now,
    _numbered_later,
    _require,
    _term,
    _transition,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.deadlines.engine import TZ, review_window
from xiaobao.lib.errors import DomainError, lazy_date
from xiaobao.organisation.models import User

# --- reviews and follow-up -----------------------------------------------------------------------


def review_deadline(complaint: Complaint) -> tuple[date, datetime] | None:
    """Last day and exclusive end of the window to ask for a review (30 days from notice)."""
    if complaint.notified_at is None:
        return None
    days = int(clock.policy_snapshot(PolicyKind.REVIEW_REQUEST)["days"])
    return review_window(notice_at=complaint.notified_at, days=days)


@transaction.atomic
def review_request(
    *,
    actor: User,
    complaint: Complaint,
    requested_at: datetime,
    narrative: str,
    intake_channel: TaxonomyTerm | str = "LETTER",
) -> Complaint:
    """A written request to the upper level to review a decision: its own case (Art. 20)."""
    complaint = _lock(complaint)
    reviewing_unit = complaint.unit.parent or complaint.unit
    _require(actor, "add_complaint", unit=reviewing_unit)
    target_status("review_request", complaint.status)
    if complaint.is_review:
        raise DomainError("核查决定为最终答复，不能再申请核查。", code="review_of_review")
    _need(narrative, "请填写核查申请的事实与理由。", "narrative")
    _not_future(requested_at, "核查申请时间", "requested_at")
    window = review_deadline(complaint)
    assert window is not None  # NOTIFIED and CLOSED cases always have a notice
    last_day, window_end = window
    if requested_at >= window_end:
        raise DomainError(
            "核查申请须在收到处理决定之日起30日内提出（最迟%(last_day)s），已超过期限。",
            params={"last_day": lazy_date(last_day)},
            code="review_window_passed",
            field="requested_at",
        )
    # Forms record minutes: a request in the same minute as the notice is not "before" it.
    if requested_at < complaint.notified_at.replace(second=0, microsecond=0):  # type: ignore[union-attr]
        raise DomainError("核查申请时间不能早于处理决定告知时间。", field="requested_at")
    if complaint.reviews.exists():
        raise DomainError("该投诉已申请过核查。", code="review_exists")
    channel = _term(intake_channel, Axis.INTAKE_CHANNEL, "intake_channel")
    local = requested_at.astimezone(TZ)
    review = Complaint(
        registry_no=_next_registry_no(Kind.REVIEW, local.year),
        kind=Kind.REVIEW,
        status=Status.REGISTERED,
        received_at=requested_at,
        intake_channel=channel,
        unit=reviewing_unit,
        complained_unit=complaint.complained_unit,
        complained_staff=complaint.complained_staff,
        complained_staff_name=complaint.complained_staff_name,
        title=f"核查：{complaint.title}"[:120],
        narrative=narrative.strip(),
        amount=complaint.amount,
        business_channel=complaint.business_channel,
        business_category=complaint.business_category,
        cause=complaint.cause,
        level=complaint.level,
        group_size=complaint.group_size,
        is_major=complaint.is_major,
        major_reason=complaint.major_reason,
        review_of=complaint,
        deadline_policy=clock.policy_snapshot(PolicyKind.REVIEW),
        created_by=actor,
    )
    review.allowed_days = int(review.deadline_policy["days"])
    clock.apply_deadline(review)
    review.save()
    _numbered_later(review)
    review.demands.set(complaint.demands.all())
    review.tags.set(complaint.tags.all())
    for person in complaint.complainants.all():
        person.pk = None
        person.complaint = review
        person.save()
    _event(
        review,
        "review_registered",
        actor=actor,
        to_status=Status.REGISTERED,
        data={
            "review_of": complaint.registry_no,
            "due_date": review.due_date.isoformat() if review.due_date else None,
        },
    )
    complaint.review_requested = True
    _transition(
        complaint,
        "review_request",
        actor=actor,
        reason=narrative,
        data={"review": review.registry_no},
        update_fields=["review_requested"],
    )
    return review


@transaction.atomic
def follow_up_record(
    *,
    actor: User,
    complaint: Complaint,
    result: str,
    method: str,
    comments: str = "",
    made_at: datetime | None = None,
) -> FollowUp:
    """The satisfaction call after closing (回访)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("follow_up", complaint.status)
    if result not in Satisfaction.values:
        raise DomainError("请选择回访结果。", code="required", field="result")
    if method not in NoticeMethod.values:
        raise DomainError("请选择回访方式。", code="required", field="method")
    made_at = made_at or _now()
    _not_future(made_at, "回访时间", "made_at")
    follow_up = FollowUp.objects.create(
        complaint=complaint,
        result=result,
        method=method,
        comments=comments.strip(),
        made_by=actor,
        made_at=made_at,
    )
    # The latest reachable call (by when it was made, which may be back-dated) is the case's.
    complaint.follow_up_result = (
        complaint.follow_ups.exclude(result=Satisfaction.UNREACHABLE)
        .order_by("-made_at", "-pk")
        .values_list("result", flat=True)
        .first()
        or ""
    )
    _transition(
        complaint,
        "follow_up",
        actor=actor,
        reason=comments,
        data={"result": result, "method": method},
        update_fields=["follow_up_result"],
    )
    return follow_up
