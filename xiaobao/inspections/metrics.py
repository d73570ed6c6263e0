"""Inspection figures in the metric registry (keys fixed by the metrics contract): visits
published in the period in the unit's subtree, findings found in it, examinations noticed in it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaobao.inspections.choices import VisitKind
from xiaobao.inspections.selectors import by_kind, figures
from xiaobao.lib.metrics import lazy_format, metric, rate


def _counter(
    key: str, name: str, label: Any, unit_label: Any, higher: bool, description: Any = ""
) -> None:
    def read(*, unit: Any, first: date, last: date) -> Any:
        return figures(unit, first, last)[name]

    read.__name__ = f"inspections_{name}"
    metric(
        key, label=label, unit_label=unit_label, description=description, higher_is_better=higher
    )(read)


TIMES, ITEMS = _("次"), _("项")
_counter("inspections.visits", "visits", _("服务检查"), TIMES, True, _("期内已发布的检查次数"))
_counter("inspections.visits_mystery", "visits_mystery", _("神秘人暗访"), TIMES, True)
_counter("inspections.outlets_covered", "outlets_covered", _("受检网点"), _("家"), True)
_counter("inspections.mean_score", "mean_score", _("检查平均得分"), _("分"), True)
_counter("inspections.findings", "findings", _("检查发现问题"), ITEMS, False)
_counter(
    "inspections.findings_rectified",
    "findings_rectified",
    _("已整改问题"),
    ITEMS,
    True,
    _("经验收证据确认的整改"),
)
_counter(
    "inspections.repeat_findings",
    "repeat_findings",
    _("重复发生的问题"),
    ITEMS,
    False,
    _("同一网点一年内同一项目再次不达标"),
)
_counter(
    "inspections.test_complaints_unregistered",
    "test_complaints_unregistered",
    _("测试投诉未登记"),
    TIMES,
    False,
    _("神秘人提出的测试投诉未在规定工作日内登记"),
)
_counter("inspections.examinations", "examinations", _("外部监管检查"), TIMES, False)

for _kind in VisitKind:

    def _read(*, unit: Any, first: date, last: date, _k: str = _kind.value) -> int:
        return by_kind(unit, first, last).get(_k, 0)

    _read.__name__ = f"inspections_kind_{_kind.value}"
    metric(
        f"inspections.visits.{_kind.value}",
        label=lazy_format(_("服务检查：%(kind)s"), kind=_kind.label),
        unit_label=TIMES,
        higher_is_better=True,
    )(_read)


@metric(
    "inspections.outlet_coverage",
    label=_("网点检查覆盖率"),
    unit_label="%",
    description=_("期内至少受检一次的网点占全部在用网点的比例"),
    higher_is_better=True,
)
def outlet_coverage(*, unit: Any, first: date, last: date) -> Decimal | None:
    found = figures(unit, first, last)
    return rate(found["outlets_covered"], found["outlets"])


@metric(
    "inspections.findings_on_time_rate",
    label=_("问题按期整改率"),
    unit_label="%",
    description=_("按期整改完成的问题占期内发现问题的比例"),
    higher_is_better=True,
)
def findings_on_time_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    found = figures(unit, first, last)
    return rate(found["findings_on_time"], found["findings"])
