"""Reads of the registry; every one goes through the branch scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from xiaobao.complaints.choices import OPEN_STATUSES
from xiaobao.complaints.models import Complaint, ComplaintEvent, Extension
from xiaobao.lib.clock import now
from xiaobao.organisation.scope import get_visible_or_404, visible_to


def complaint_list(*, user: Any) -> QuerySet[Complaint]:
    """Every case the user may see, with what a registry row shows."""
    return visible_to(user, Complaint.objects.all()).select_related(
        "unit", "intake_channel", "handler", "business_category", "cause", "level"
    )


# The registry page's columns (and its sort keys); everything else of the 1 KB row stays unread.
REGISTRY_COLUMNS = (
    "id",
    "registry_no",
    "received_at",
    "title",
    "is_major",
    "status",
    "due_at",
    "timely",
    "unit__name",
    "intake_channel__name",
    "intake_channel__name_en",
    "business_category__name",
    "business_category__name_en",
    "cause__name",
    "cause__name_en",
    "handler__username",
    "handler__display_name",
    "handler__first_name",
    "handler__last_name",
)


def registry_rows(*, user: Any) -> QuerySet[Complaint]:
    """Every case the user may see, with only the columns a registry row shows."""
    return (
        visible_to(user, Complaint.objects.all())
        .select_related("unit", "intake_channel", "handler", "business_category", "cause")
        .only(*REGISTRY_COLUMNS)
    )


def complaint_get(*, user: Any, pk: int | str) -> Complaint:
    qs = complaint_list(user=user).select_related(
        "complained_unit", "complained_staff", "business_channel", "review_of", "merged_into"
    )
    return get_visible_or_404(user, qs, pk=pk)


def complaint_timeline(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.select_related("actor").order_by("occurred_at", "id")


def due_soon(*, user: Any, within_days: int = 3, at: datetime | None = None) -> QuerySet[Complaint]:
    from datetime import timedelta

    moment = at or now()
    return complaint_list(user=user).filter(
        status__in=OPEN_STATUSES,
        due_at__isnull=False,
        due_at__lte=moment + timedelta(days=within_days),
    )


def my_cases(*, user: Any) -> QuerySet[Complaint]:
    return complaint_list(user=user).filter(handler=user, status__in=OPEN_STATUSES)


def unassigned(*, user: Any) -> QuerySet[Complaint]:
    return complaint_list(user=user).filter(handler__isnull=True, status__in=OPEN_STATUSES)


def extensions_awaiting(*, user: Any) -> QuerySet[Extension]:
    """Pending extension requests this user could decide."""
    qs = visible_to(user, Extension.objects.filter(status="pending")).select_related(
        "complaint", "requested_by"
    )
    allowed = Q(pk__in=[])
    if user.has_perm("complaints.approve_extension_30"):
        allowed |= Q(target_days__lte=30)
    if user.has_perm("complaints.approve_extension_60"):
        allowed |= Q(target_days__gt=30) & ~Q(complaint__unit=user.unit)
    return qs.filter(allowed).exclude(requested_by=user)


def forwarding(*, complaint: Complaint) -> dict[str, Any] | None:
    """How many working days the referrer took to forward the case, as recorded at
    registration (Art. 33 allows 7), or None for a case that was not referred."""
    if complaint.referrer_received_on is None:
        return None
    event = complaint.events.filter(action="register").only("data").first()
    data = event.data if event is not None else {}
    if "forwarding_workdays" not in data:
        return None
    return {"workdays": data["forwarding_workdays"], "late": bool(data.get("forwarded_late"))}


def forwarded_late(*, user: Any, received_from: Any, received_to: Any) -> QuerySet[Complaint]:
    """Referred complaints received in the period (local dates, both ends included) that the
    referrer forwarded more than the allowed working days after receiving them; counted like
    the statistics (no reviews, merged repeats or declined filings)."""
    from xiaobao.complaints.choices import Kind, Status
    from xiaobao.deadlines.engine import TZ

    start = datetime.combine(received_from, datetime.min.time(), tzinfo=TZ)
    end = datetime.combine(received_to, datetime.max.time(), tzinfo=TZ)
    late = ComplaintEvent.objects.filter(action="register", data__forwarded_late=True)
    return (
        visible_to(user, Complaint.objects.all())
        .filter(
            kind=Kind.COMPLAINT,
            received_at__range=(start, end),
            pk__in=late.values("complaint_id"),
        )
        .exclude(status__in=(Status.MERGED, Status.DECLINED))
        .select_related("unit")
    )


def follow_up_worklist(*, user: Any, limit: int = 200) -> list[tuple[Complaint, str]]:
    """Closed cases in scope still owed a satisfaction call (待回访), by the sampling rule
    (`xiaobao.complaints.sampling`), oldest closure first, with why each is on the list."""
    from django.conf import settings

    from xiaobao.complaints.choices import Kind, Status
    from xiaobao.complaints.sampling import follow_up_reason

    percent = int(getattr(settings, "XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT", 20))
    qs = (
        complaint_list(user=user)
        .filter(status=Status.CLOSED, kind=Kind.COMPLAINT, follow_ups__isnull=True)
        .select_related("portal_rating")
        .order_by("ended_at", "pk")
    )
    found: list[tuple[Complaint, str]] = []
    for complaint in qs.iterator(chunk_size=500):
        rating = getattr(complaint, "portal_rating", None)
        reason = follow_up_reason(
            registry_no=complaint.registry_no,
            is_major=complaint.is_major,
            portal_result=rating.result if rating is not None else "",
            percent=percent,
        )
        if reason is not None:
            found.append((complaint, reason))
            if len(found) >= limit:
                break
    return found
