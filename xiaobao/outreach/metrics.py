"""Outreach figures in the metric registry: plan targets, assessment and the year-end summary
read them from here. Each sums the approved activities led in the unit's subtree and begun in the
period (joint activities once, by their lead unit; reads never added to people)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaobao.lib.metrics import lazy_format, metric, rate
from xiaobao.outreach.choices import CountingMethod, KeyGroup
from xiaobao.outreach.selectors import Figures, figures, in_period, in_subtree


def period_figures(*, unit: Any, first: date, last: date) -> Figures:
    return figures(in_period(in_subtree(unit), first, last), unit=unit)


def _counter(key: str, name: str, label: Any, unit_label: Any, description: Any = "") -> None:
    def read(*, unit: Any, first: date, last: date) -> int:
        return period_figures(unit=unit, first=first, last=last)[name]

    read.__name__ = f"outreach_{name}"
    metric(key, label=label, unit_label=unit_label, description=description, higher_is_better=True)(
        read
    )


TIMES, PEOPLE, COPIES = _("次"), _("人次"), _("份")

_counter("outreach.activities", "activities", _("宣传教育活动"), TIMES)
_counter("outreach.activities_offline", "activities_offline", _("线下宣传教育活动"), TIMES)
_counter("outreach.activities_online", "activities_online", _("线上宣传教育活动"), TIMES)
_counter("outreach.outlets_covered", "outlets_covered", _("开展活动的网点"), _("家"))
_counter("outreach.staff", "staff", _("参与员工"), PEOPLE)
_counter(
    "outreach.audience",
    "audience",
    _("线下受众"),
    PEOPLE,
    _("线下活动的受众人次（不含员工，不含线上阅读量）"),
)
_counter("outreach.audience_online", "audience_online", _("线上参与（平台统计）"), PEOPLE)
_counter(
    "outreach.divisions_reached",
    "divisions_reached",
    _("覆盖县/乡镇/村"),
    _("个"),
    _("线下活动登记的不同行政区划代码个数"),
)
_counter("outreach.materials", "materials", _("发放宣传资料"), COPIES)
_counter("outreach.sms", "sms", _("发送短信"), _("条"))
_counter("outreach.posts", "posts", _("发布信息"), _("篇"))
_counter("outreach.reads", "reads", _("阅读/观看量"), _("次"), _("不计入受众人次"))
_counter("outreach.media_reports", "media_reports", _("媒体报道"), _("篇"))
_counter("outreach.consultations", "consultations", _("解答咨询"), PEOPLE)
for _method in (CountingMethod.SIGN_IN, CountingMethod.ESTIMATE):
    _counter(
        f"outreach.audience.{_method.value}",
        f"audience_{_method.value}",
        lazy_format(_("线下受众（%(method)s）"), method=_method.label),
        PEOPLE,
    )
for _group in KeyGroup:
    _counter(
        f"outreach.audience.{_group.value}",
        f"group_{_group.value}",
        lazy_format(_("线下受众：%(group)s"), group=_group.label),
        PEOPLE,
    )


@metric(
    "outreach.outlets_covered_share",
    label=_("开展活动网点占比"),
    unit_label="%",
    description=_("期内至少牵头开展一次已审核活动的网点占全部在用网点的比例"),
    higher_is_better=True,
)
def outlets_covered_share(*, unit: Any, first: date, last: date) -> Decimal | None:
    found = period_figures(unit=unit, first=first, last=last)
    return rate(found["outlets_covered"], found["outlets_total"])
