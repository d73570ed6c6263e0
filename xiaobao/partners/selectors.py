"""Reads of the partner list: what a member of staff sees, the complaint figures pulled from the
registry, and the figures the metrics sum."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from xiaobao.complaints.choices import Outcome
from xiaobao.deadlines.engine import TZ
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import scope_q
from xiaobao.partners.choices import ExitStatus
from xiaobao.partners.models import (
    Agreement,
    Evaluation,
    Exit,
    Partner,
    PartnerComplaint,
)

UPHELD = (Outcome.UPHELD, Outcome.PARTLY_UPHELD)


def _ancestors(unit: Unit) -> list[str]:
    """The paths of `unit` and every unit above it."""
    return [unit.path[:i] for i in range(1, len(unit.path) + 1) if unit.path[i - 1] == "/"]


def partners_for(user: Any) -> QuerySet[Partner]:
    """Partners owned in the user's subtree, and those allowed to the user's unit, a unit above
    it (the allowance covers the subtree) or a unit below it."""
    unit = getattr(user, "unit", None)
    if unit is None or not getattr(user, "is_active", False):
        return Partner.objects.none()
    allowed = Partner.objects.filter(
        Q(allowed_units__path__in=_ancestors(unit)) | Q(allowed_units__path__startswith=unit.path)
    ).values("pk")
    return Partner.objects.filter(scope_q(user, Partner) | Q(pk__in=allowed)).select_related(
        "unit", "department"
    )


def allowed_for(partner: Partner, unit: Unit) -> bool:
    """May `unit` use `partner`: allowed to it or to a unit above it."""
    return partner.allowed_units.filter(path__in=_ancestors(unit)).exists()


def open_exit(partner: Partner) -> Exit | None:
    return partner.exits.filter(status=ExitStatus.IN_PROGRESS).first()


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=TZ),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=TZ),
    )


def linked_complaints(partner: Partner, first: date, last: date) -> QuerySet[PartnerComplaint]:
    """The registry's complaints involving the partner, received in the period (merged-away
    cases are not counted: their links moved to the surviving case)."""
    start, end = _bounds(first, last)
    return (
        PartnerComplaint.objects.filter(
            partner=partner, complaint__received_at__gte=start, complaint__received_at__lt=end
        )
        .exclude(complaint__status="merged")
        .select_related("complaint", "complaint__unit")
        .order_by("complaint__received_at", "pk")
    )


def complaint_figures(partner: Partner, first: date, last: date) -> dict[str, int]:
    links = linked_complaints(partner, first, last)
    return {
        "complaints": links.count(),
        "upheld": links.filter(complaint__decision__outcome__in=UPHELD).count(),
    }


def evaluation_rate(evaluation: Evaluation) -> Any:
    """Complaints per 10,000 customers served in the period (None when not given)."""
    from decimal import Decimal

    if not evaluation.customers_served:
        return None
    return (Decimal(evaluation.complaints) * 10000 / evaluation.customers_served).quantize(
        Decimal("0.01")
    )


# --- figures --------------------------------------------------------------------------------------


def in_subtree(unit: Unit) -> QuerySet[Partner]:
    """Partners owned in `unit`'s subtree or allowed to a unit in it (each once)."""
    ids = Partner.objects.filter(
        Q(unit__path__startswith=unit.path) | Q(allowed_units__path__startswith=unit.path)
    ).values("pk")
    return Partner.objects.filter(pk__in=ids)


def agreements_lacking(partners: QuerySet[Partner], day: date) -> QuerySet[Agreement]:
    """Agreements in force on `day` that lack at least one consumer-protection clause."""
    from xiaobao.partners.choices import AgreementStatus, Clause

    in_force = Agreement.objects.filter(
        partner__in=partners,
        status=AgreementStatus.EFFECTIVE,
        starts_on__lte=day,
        ends_on__gte=day,
    )
    ids = [a.pk for a in in_force.only("pk", "clauses") if set(Clause.values) - set(a.clauses)]
    return Agreement.objects.filter(pk__in=ids)
