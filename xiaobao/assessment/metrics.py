"""Assessment figures in the metric registry (read by the year-end summary §八 and dashboards).

Each reads the final or locked runs whose period ends within first..last (a correction replaces
the run it corrects), over the units of `unit`'s subtree that were assessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg
from django.utils.translation import gettext_lazy as _

from xiaobao.assessment.choices import SchemeKind
from xiaobao.assessment.models import Result
from xiaobao.assessment.selectors import done_runs
from xiaobao.lib.metrics import metric


def _results(unit: Any, first: date, last: date, kind: str = SchemeKind.INTERNAL) -> Any:
    return Result.objects.filter(
        run__in=done_runs(first=first, last=last, kind=kind),
        unit__path__startswith=unit.path,
        staff=None,
    )


@metric(
    "assessment.units_assessed",
    label=_("参加考核的机构（次）"),
    unit_label=_("家次"),
    description=_("期内定稿的内部考核中被考核的机构数（每期各计一次）"),
)
def units_assessed(*, unit: Any, first: date, last: date) -> int:
    return _results(unit, first, last).count()


@metric(
    "assessment.mean_score",
    label=_("考核平均得分率"),
    unit_label="%",
    description=_("期内定稿的内部考核中各机构得分率的平均值"),
    higher_is_better=True,
)
def mean_score(*, unit: Any, first: date, last: date) -> Decimal | None:
    value = _results(unit, first, last).aggregate(v=Avg("percent"))["v"]
    return Decimal(value).quantize(Decimal("0.1")) if value is not None else None


@metric(
    "assessment.top_grade",
    label=_("获最高等级的机构（次）"),
    unit_label=_("家次"),
    description=_("期内定稿的内部考核中获得方案最高等级的机构数"),
    higher_is_better=True,
)
def top_grade(*, unit: Any, first: date, last: date) -> int:
    count = 0
    for result in _results(unit, first, last).select_related("run__scheme"):
        bands = sorted(result.run.scheme.bands, key=lambda b: -Decimal(str(b[0])))
        if bands and result.grade == str(bands[0][1]):
            count += 1
    return count


@metric(
    "assessment.vetoed",
    label=_("一票否决的机构（次）"),
    unit_label=_("家次"),
    higher_is_better=False,
)
def vetoed(*, unit: Any, first: date, last: date) -> int:
    return _results(unit, first, last).filter(vetoed=True).count()


@metric(
    "assessment.kpi_share",
    label=_("消保考核占综合绩效权重"),
    unit_label="%",
    description=_("期内定稿的内部考核方案规定的消保考核权重（取最低者）"),
    higher_is_better=True,
)
def kpi_share(*, unit: Any, first: date, last: date) -> Decimal | None:
    shares = [run.scheme.kpi_share for run in done_runs(first=first, last=last)]
    return min(shares).quantize(Decimal("0.1")) if shares else None


@metric(
    "assessment.self_score",
    label=_("监管评价自评得分率"),
    unit_label="%",
    description=_("期内定稿的自评估中本机构的得分率"),
    higher_is_better=True,
)
def self_score(*, unit: Any, first: date, last: date) -> Decimal | None:
    result = (
        Result.objects.filter(
            run__in=done_runs(first=first, last=last, kind=SchemeKind.REGULATOR),
            unit=unit,
            staff=None,
        )
        .order_by("-run__last", "-run_id")
        .first()
    )
    return result.percent if result is not None else None
