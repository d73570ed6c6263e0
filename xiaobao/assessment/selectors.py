"""Reads of assessment: what a user may see, element breakdowns and the self-assessment view."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from xiaobao.assessment.choices import RUN_DONE, IndicatorKind, SchemeKind
from xiaobao.assessment.models import Appeal, Element, Result, Run, Scheme, Score
from xiaobao.evidence.selectors import evidence_for
from xiaobao.organisation.scope import visible_to


def schemes_for(user: Any) -> QuerySet[Scheme]:
    return Scheme.objects.all().prefetch_related("elements", "indicators")


def runs_for(user: Any) -> QuerySet[Run]:
    """Runs the user's unit is the scope of, or in which a unit of its subtree is assessed: a
    branch sees its own results and those below it."""
    unit = getattr(user, "unit", None)
    if unit is None or not getattr(user, "is_active", False):
        return Run.objects.none()
    return (
        Run.objects.filter(
            Q(unit__path__startswith=unit.path) | Q(results__unit__path__startswith=unit.path)
        )
        .distinct()
        .select_related("scheme", "unit")
    )


def results_for(user: Any, run: Run) -> QuerySet[Result]:
    """The units' lines of the run in the user's subtree."""
    return visible_to(user, run.results.filter(staff=None).select_related("unit")).order_by(
        "rank", "unit__path"
    )


def staff_results_for(user: Any, run: Run) -> QuerySet[Result]:
    """The staff members' lines of the run, for staff working in the user's subtree."""
    return visible_to(
        user, run.results.filter(staff__isnull=False).select_related("unit", "staff")
    ).order_by("rank", "unit__path", "staff__username")


def scores_for(user: Any, run: Run, *, staff: Any = None) -> QuerySet[Score]:
    """Scores of the units' lines, or of one staff member's line when `staff` is given."""
    return visible_to(
        user,
        run.scores.filter(staff=staff).select_related("unit", "indicator", "indicator__element"),
    )


def own_results(user: Any) -> QuerySet[Result]:
    """The user's own staff lines of final and locked runs (never anyone else's)."""
    if not getattr(user, "is_active", False) or user.pk is None:
        return Result.objects.none()
    return (
        Result.objects.filter(staff=user, run__status__in=RUN_DONE)
        .select_related("run", "run__scheme", "unit")
        .order_by("-run__last", "-run_id")
    )


def own_scores(user: Any, line: Result) -> QuerySet[Score]:
    """The scores behind one of the user's own lines."""
    return (
        line.run.scores.filter(staff=user, staff_id=line.staff_id, unit_id=line.unit_id)
        .select_related("indicator", "indicator__element")
        .order_by("indicator__ordering", "indicator__code")
    )


def appeals_for(user: Any, run: Run | None = None) -> QuerySet[Appeal]:
    qs = visible_to(user, Appeal.objects.select_related("score__unit", "score__indicator"))
    return qs.filter(score__run=run) if run is not None else qs


@dataclass
class ElementLine:
    code: str
    name: str
    weight: Decimal
    min_weight: Decimal | None
    points: Decimal = Decimal(0)
    maximum: Decimal = Decimal(0)
    no_data: int = 0
    scores: list[Score] = field(default_factory=list)

    @property
    def percent(self) -> Decimal | None:
        if not self.maximum:
            return None
        return (self.points * 100 / self.maximum).quantize(Decimal("0.1"))


def element_breakdown(run: Run, scores: list[Score]) -> list[ElementLine]:
    """Per element (or one line "其他" for indicators without one): points against maximum."""
    elements = {e.pk: e for e in Element.objects.filter(scheme_id=run.scheme_id)}
    lines: dict[Any, ElementLine] = {
        pk: ElementLine(code=e.code, name=e.name, weight=e.weight, min_weight=e.min_weight)
        for pk, e in elements.items()
    }
    for score in scores:
        key = score.indicator.element_id
        if key not in lines:
            lines[key] = ElementLine(code="", name="其他", weight=Decimal(0), min_weight=None)
        line = lines[key]
        line.scores.append(score)
        kind = score.indicator.kind
        if score.points is None:
            line.no_data += 1
            continue
        if kind == IndicatorKind.VETO:
            continue
        line.points += score.points
        if kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL):
            line.maximum += score.indicator.weight
    return [line for line in lines.values() if line.scores or line.code]


def evidence_links(score: Score) -> list[dict[str, str]]:
    """What an examiner would open for this score: the records behind the figure, and the
    evidence files attached."""
    from django.urls import reverse

    links = []
    if score.drill_url:
        label = "指标口径与数值" if score.drill_url.startswith("/metrics/") else "明细记录"
        links.append({"label": label, "url": score.drill_url})
    for f in evidence_for(score):
        links.append({"label": f.original_name, "url": reverse("evidence:download", args=[f.pk])})
    return links


def latest_self_assessment(user: Any, year: int | None = None) -> Run | None:
    runs = runs_for(user).filter(scheme__kind=SchemeKind.REGULATOR)
    if year is not None:
        runs = runs.filter(scheme__year=year)
    return runs.order_by("-last", "-id").first()


def done_runs(*, first: Any, last: Any, kind: str = SchemeKind.INTERNAL) -> QuerySet[Run]:
    """Final or locked runs whose period ends within first..last, corrections replacing the runs
    they correct."""
    return (
        Run.objects.filter(status__in=RUN_DONE, scheme__kind=kind, last__gte=first, last__lte=last)
        .exclude(corrections__status__in=RUN_DONE)
        .select_related("scheme")
    )


def self_assessment_elements(*, unit: Any, first: Any, last: Any) -> list[ElementLine]:
    """The element breakdown of `unit`'s latest final or locked self-assessment in the period."""
    run = (
        done_runs(first=first, last=last, kind=SchemeKind.REGULATOR)
        .filter(results__unit=unit, results__staff=None)
        .order_by("-last", "-id")
        .first()
    )
    if run is None:
        return []
    scores = list(
        run.scores.filter(unit=unit, staff=None).select_related("indicator", "indicator__element")
    )
    return element_breakdown(run, scores)
