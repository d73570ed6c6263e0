"""Reads of outreach: what a member of staff sees, and the figures summed over approved activities.

Totals count an activity once, under its lead unit, and only when approved (or locked after
approval). Online reads and platform counts never add into people reached on site.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from xiaobao.deadlines.engine import TZ
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import scope_q
from xiaobao.outreach.choices import COUNTED, ActivityStatus, CountingMethod, KeyGroup
from xiaobao.outreach.models import (
    Activity,
    ActivityAudience,
    ActivityComplaint,
    ActivityMaterial,
    Campaign,
)

Figures = dict[str, int]


# --- what a user sees -----------------------------------------------------------------------------


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns whose scope covers the user's unit (issued above) or lies inside the user's
    subtree (issued below)."""
    unit = getattr(user, "unit", None)
    if unit is None or not getattr(user, "is_active", False):
        return Campaign.objects.none()
    above = [unit.path[:i] for i in range(len(unit.path)) if unit.path[i - 1 : i] == "/"]
    return Campaign.objects.filter(
        scope_q(user, Campaign) | Q(unit__path__in=[*above, unit.path])
    ).select_related("unit")


def activities_for(user: Any) -> QuerySet[Activity]:
    """Activities led in the user's subtree, and joint activities a unit of that subtree co-hosts
    (co-units see a joint activity; they never add it to their totals)."""
    unit = getattr(user, "unit", None)
    if unit is None or not getattr(user, "is_active", False):
        return Activity.objects.none()
    co_hosted = Activity.objects.filter(co_units__path__startswith=unit.path).values("pk")
    return Activity.objects.filter(scope_q(user, Activity) | Q(pk__in=co_hosted)).select_related(
        "unit", "campaign"
    )


def narrower(a: Unit, b: Unit) -> Unit | None:
    """The unit whose subtree is the intersection of both subtrees (None when they do not meet)."""
    if b.path.startswith(a.path):
        return b
    if a.path.startswith(b.path):
        return a
    return None


# --- figures --------------------------------------------------------------------------------------


def in_subtree(unit: Unit) -> QuerySet[Activity]:
    """Activities led by `unit` or below: the one place joint activities are counted once."""
    return Activity.objects.filter(unit__path__startswith=unit.path)


def in_period(activities: QuerySet[Activity], first: date, last: date) -> QuerySet[Activity]:
    start = datetime.combine(first, time.min, tzinfo=TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=TZ)
    return activities.filter(starts_at__gte=start, starts_at__lt=end)


def figures(activities: QuerySet[Activity], *, unit: Unit) -> Figures:
    """Every counter of the report form over the approved activities of `activities`."""
    counted = activities.filter(status__in=COUNTED)
    offline = Q(online=False)

    def total(field: str, condition: Q | None = None) -> Any:
        return Coalesce(Sum(field, filter=condition), 0)

    out: Figures = counted.aggregate(
        activities=Count("id"),
        activities_offline=Count("id", filter=offline),
        activities_online=Count("id", filter=~offline),
        staff=total("staff_count"),
        audience=total("audience_count", offline),
        audience_online=total("audience_count", ~offline),
        audience_sign_in=total(
            "audience_count", offline & Q(counting_method=CountingMethod.SIGN_IN)
        ),
        audience_estimate=total(
            "audience_count", offline & Q(counting_method=CountingMethod.ESTIMATE)
        ),
        sms=total("sms_sent"),
        posts=total("posts"),
        reads=total("reads"),
        media_reports=total("media_reports"),
        consultations=total("consultations"),
    )
    out["outlets_covered"] = (
        counted.filter(unit__kind=UnitKind.OUTLET).values("unit").distinct().count()
    )
    # Counties, townships and villages reached (县域行): distinct division codes of offline events.
    out["divisions_reached"] = (
        counted.filter(offline).exclude(division_code="").values("division_code").distinct().count()
    )
    out["outlets_total"] = Unit.objects.filter(
        path__startswith=unit.path, kind=UnitKind.OUTLET, is_active=True
    ).count()
    ids = counted.values("pk")
    out["materials"] = ActivityMaterial.objects.filter(activity__in=ids).aggregate(
        n=Coalesce(Sum("quantity"), 0)
    )["n"]
    out["complaints"] = ActivityComplaint.objects.filter(activity__in=ids).count()
    by_group = dict(
        ActivityAudience.objects.filter(activity__in=counted.filter(offline).values("pk"))
        .values_list("group")
        .annotate(n=Sum("count"))
    )
    for group in KeyGroup:
        out[f"group_{group.value}"] = int(by_group.get(group.value, 0))
    return {key: int(value) for key, value in out.items()}


def campaign_figures(campaign: Campaign, unit: Unit) -> Figures:
    """The campaign's live totals for `unit`'s subtree."""
    return figures(in_subtree(unit).filter(campaign=campaign), unit=unit)


def campaign_rows(campaign: Campaign, unit: Unit) -> list[tuple[Unit, Figures]]:
    """One row per unit directly below `unit` (its own row first when it holds activities)."""
    rows: list[tuple[Unit, Figures]] = []
    own = Activity.objects.filter(campaign=campaign, unit=unit)
    if own.exists():
        rows.append((unit, figures(own, unit=unit)))
    for child in Unit.objects.filter(parent=unit, is_active=True).order_by("path"):
        rows.append((child, campaign_figures(campaign, child)))
    return rows


REPORTED = (ActivityStatus.SUBMITTED, *COUNTED)


def non_reporters(campaign: Campaign, unit: Unit) -> QuerySet[Unit]:
    """Outlets in both subtrees that have not submitted any activity for the campaign yet."""
    root = narrower(campaign.unit, unit)
    if root is None:
        return Unit.objects.none()
    reported = Activity.objects.filter(campaign=campaign, status__in=REPORTED).values("unit")
    return (
        Unit.objects.filter(path__startswith=root.path, kind=UnitKind.OUTLET, is_active=True)
        .exclude(pk__in=reported)
        .order_by("path")
    )
