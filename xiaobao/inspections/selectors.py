"""Reads of inspections: what a member of staff (or a vendor's inspector) sees, and the figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from xiaobao.deadlines.engine import TZ
from xiaobao.inspections import scoring
from xiaobao.inspections.choices import COUNTED, RECTIFIED, FindingStatus, VisitKind
from xiaobao.inspections.models import (
    Checklist,
    Examination,
    Finding,
    InspectionPlan,
    ItemResult,
    ServiceMeeting,
    Visit,
)
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import scope_q, visible_to


def sees_all_in_scope(user: Any) -> bool:
    """Staff with the view right see their subtree; a vendor's inspector only their own visits."""
    return bool(getattr(user, "is_active", False) and user.has_perm("inspections.view_visit"))


def visits_for(user: Any) -> QuerySet[Visit]:
    """Visits in the user's subtree (with the view right) plus visits assigned to the user.

    Unannounced means unannounced: staff who do not review inspections (the outlet itself) see a
    visit only once the office has published it, never the planned windows."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Visit.objects.none()
    q = Q(inspector=user)
    if sees_all_in_scope(user):
        in_scope = scope_q(user, Visit)
        if not user.has_perm("inspections.review_visit"):
            in_scope &= Q(status__in=COUNTED)
        q |= in_scope
    return Visit.objects.filter(q).select_related("outlet", "checklist", "inspector", "plan")


def findings_for(user: Any) -> QuerySet[Finding]:
    return visible_to(user, Finding.objects.all()).select_related("unit", "visit", "task")


def plans_for(user: Any) -> QuerySet[InspectionPlan]:
    return visible_to(user, InspectionPlan.objects.all()).select_related("unit", "checklist")


def examinations_for(user: Any) -> QuerySet[Examination]:
    return visible_to(user, Examination.objects.all()).select_related("unit")


def meetings_for(user: Any) -> QuerySet[ServiceMeeting]:
    return visible_to(user, ServiceMeeting.objects.all()).select_related("unit")


def checklists() -> QuerySet[Checklist]:
    return Checklist.objects.all()


def results_of(visit: Visit) -> list[ItemResult]:
    return list(visit.results.select_related("item").order_by("item__ordering", "item__id"))


def recomputed_score(visit: Visit) -> scoring.Score:
    """The score computed afresh from the stored item results (must equal `visit.score`)."""
    return scoring.compute((r.item, r.value) for r in results_of(visit))


# --- figures --------------------------------------------------------------------------------------


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=TZ),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=TZ),
    )


def counted_visits(unit: Unit, first: date, last: date) -> QuerySet[Visit]:
    lo, hi = _bounds(first, last)
    return Visit.objects.filter(
        outlet__path__startswith=unit.path,
        status__in=COUNTED,
        visited_at__gte=lo,
        visited_at__lt=hi,
    )


def findings_in(unit: Unit, first: date, last: date) -> QuerySet[Finding]:
    return Finding.objects.filter(
        unit__path__startswith=unit.path, found_on__gte=first, found_on__lte=last
    ).exclude(status__in=(FindingStatus.PENDING, FindingStatus.WITHDRAWN))


def figures(unit: Unit, first: date, last: date) -> dict[str, Any]:
    visits = counted_visits(unit, first, last)
    outlets = Unit.objects.filter(
        path__startswith=unit.path, kind=UnitKind.OUTLET, is_active=True
    ).count()
    covered = visits.values("outlet").distinct().count()
    mean = visits.exclude(score__isnull=True).aggregate(m=Avg("score"))["m"]
    found = findings_in(unit, first, last)
    rectified = found.filter(status__in=RECTIFIED)
    on_time = sum(1 for f in rectified.only("closed_at", "due_date") if f.on_time)
    return {
        "visits": visits.count(),
        "visits_mystery": visits.filter(kind=VisitKind.MYSTERY).count(),
        "outlets": outlets,
        "outlets_covered": covered,
        "mean_score": Decimal(mean).quantize(Decimal("0.01")) if mean is not None else None,
        "findings": found.count(),
        "findings_rectified": rectified.count(),
        "findings_on_time": on_time,
        "repeat_findings": found.filter(repeat=True).count(),
        "test_complaints_unregistered": Visit.objects.filter(
            outlet__path__startswith=unit.path,
            test_complaint_result="unregistered",
            test_complaint_at__gte=_bounds(first, last)[0],
            test_complaint_at__lt=_bounds(first, last)[1],
        ).count(),
        "examinations": Examination.objects.filter(
            unit__path__startswith=unit.path, notice_date__gte=first, notice_date__lte=last
        ).count(),
    }


def by_kind(unit: Unit, first: date, last: date) -> dict[str, int]:
    rows = counted_visits(unit, first, last).values("kind").annotate(n=Count("id"))
    return {r["kind"]: r["n"] for r in rows}


def score_distribution(unit: Unit, first: date, last: date) -> dict[str, int]:
    bands = {"<60": 0, "60-79": 0, "80-89": 0, "90-100": 0}
    for score in (
        counted_visits(unit, first, last)
        .exclude(score__isnull=True)
        .values_list("score", flat=True)
    ):
        if score is None:
            continue
        key = (
            "<60" if score < 60 else "60-79" if score < 80 else "80-89" if score < 90 else "90-100"
        )
        bands[key] += 1
    return bands


def ranking(unit: Unit, first: date, last: date) -> list[dict[str, Any]]:
    rows = (
        counted_visits(unit, first, last)
        .exclude(score__isnull=True)
        .values("outlet", "outlet__name")
        .annotate(mean=Avg("score"), n=Count("id"))
        .order_by("-mean", "outlet__name")
    )
    return [
        {
            "outlet": r["outlet__name"],
            "mean": Decimal(r["mean"]).quantize(Decimal("0.01")),
            "visits": r["n"],
        }
        for r in rows
    ]


def worst_items(unit: Unit, first: date, last: date, limit: int = 10) -> list[dict[str, Any]]:
    rows = (
        findings_in(unit, first, last)
        .exclude(item_code="")
        .values("item_code", "item__text")
        .annotate(n=Count("id"), outlets=Count("unit", distinct=True))
        .order_by("-n", "item_code")[:limit]
    )
    return [
        {
            "code": r["item_code"],
            "text": r["item__text"],
            "findings": r["n"],
            "outlets": r["outlets"],
        }
        for r in rows
    ]


def findings_by_severity(unit: Unit, first: date, last: date) -> dict[str, int]:
    rows = findings_in(unit, first, last).values("severity").annotate(n=Count("id"))
    return {r["severity"]: r["n"] for r in rows}
