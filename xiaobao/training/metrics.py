"""Training figures in the metric registry (see metrics-contract): the assessment, plan targets
and the year-end summary read them from here. Each reads `unit`'s subtree over `first`..`last`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaobao.lib.metrics import lazy_format, metric, rate
from xiaobao.organisation.choices import StaffCategory
from xiaobao.training import selectors as s


@metric(
    "training.sessions",
    label=_("培训场次"),
    unit_label=_("次"),
    higher_is_better=True,
    description=_("期内开始并已结束的培训场次（按举办机构）"),
)
def sessions(*, unit: Any, first: date, last: date) -> int:
    return int(s.session_figures(unit, first, last)["sessions"])


@metric(
    "training.hours",
    label=_("培训学时"),
    unit_label=_("学时"),
    higher_is_better=True,
    description=_("期内已结束场次的学时合计（知识竞赛不计学时）"),
)
def hours(*, unit: Any, first: date, last: date) -> Decimal:
    return Decimal(s.session_figures(unit, first, last)["hours"])


@metric(
    "training.attendance",
    label=_("参训人次"),
    unit_label=_("人次"),
    higher_is_better=True,
    description=_("期内已结束场次中出席或迟到的人次"),
)
def attendance(*, unit: Any, first: date, last: date) -> int:
    return int(s.session_figures(unit, first, last)["attendance"])


@metric(
    "training.staff_trained",
    label=_("参训员工"),
    unit_label=_("人"),
    higher_is_better=True,
    description=_("本机构及下级员工中期内至少参加一次培训的人数（不论在哪里举办）"),
)
def staff_trained(*, unit: Any, first: date, last: date) -> int:
    return s.trained(unit, first, last).count()


@metric(
    "training.coverage",
    label=_("培训覆盖率"),
    unit_label="%",
    higher_is_better=True,
    description=_("期内参训员工人数占期末在岗人数（含外包、派遣人员）的比例"),
)
def coverage(*, unit: Any, first: date, last: date) -> Decimal | None:
    return s.coverage(unit, first, last)[-1].rate


def _category(category: StaffCategory) -> None:
    def read(*, unit: Any, first: date, last: date) -> Decimal | None:
        row = next(r for r in s.coverage(unit, first, last) if r.category == category.value)
        return row.rate

    read.__name__ = f"coverage_{category.value}"
    metric(
        f"training.coverage.{category.value}",
        label=lazy_format(_("培训覆盖率：%(category)s"), category=category.label),
        unit_label="%",
        higher_is_better=True,
    )(read)


for _c in StaffCategory:
    _category(_c)


@metric(
    "training.new_hire_coverage",
    label=_("新员工30日内培训率"),
    unit_label="%",
    higher_is_better=True,
    description=_("期内入职的新员工中入职30日内参加培训的比例（未满30日且未参训者暂不计）"),
)
def new_hire_coverage(*, unit: Any, first: date, last: date) -> Decimal | None:
    due, on_time = s.new_hire_figures(unit, first, last)
    return rate(on_time, due)


@metric("training.exam_takers", label=_("参考人数"), unit_label=_("人"), higher_is_better=True)
def exam_takers(*, unit: Any, first: date, last: date) -> int:
    return int(s.exam_figures(unit, first, last)["takers"])


@metric(
    "training.mean_score",
    label=_("考试平均分"),
    unit_label=_("分"),
    higher_is_better=True,
    description=_("每位考生期内最好成绩的平均值"),
)
def mean_score(*, unit: Any, first: date, last: date) -> Decimal | None:
    value = s.exam_figures(unit, first, last)["mean_score"]
    return Decimal(value) if value is not None else None


@metric(
    "training.pass_rate",
    label=_("考试合格率"),
    unit_label="%",
    higher_is_better=True,
    description=_("期内参考人员中至少一次及格的比例"),
)
def pass_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    value = s.exam_figures(unit, first, last)["pass_rate"]
    return Decimal(value) if value is not None else None


@metric("training.contests", label=_("知识竞赛"), unit_label=_("次"), higher_is_better=True)
def contests(*, unit: Any, first: date, last: date) -> int:
    return s.contest_figures(unit, first, last)["contests"]


@metric(
    "training.contest_participants",
    label=_("竞赛参赛"),
    unit_label=_("人次"),
    higher_is_better=True,
)
def contest_participants(*, unit: Any, first: date, last: date) -> int:
    return s.contest_figures(unit, first, last)["participants"]


@metric(
    "training.qualified_sellers",
    label=_("持有效资格的销售人员"),
    unit_label=_("人"),
    higher_is_better=True,
    description=_("期末持有有效从业资格的销售人员"),
)
def qualified_sellers(*, unit: Any, first: date, last: date) -> int:
    return s.qualified_sellers(unit, last).count()


@metric(
    "training.unqualified_sellers",
    label=_("无有效资格的销售人员"),
    unit_label=_("人"),
    higher_is_better=False,
)
def unqualified_sellers(*, unit: Any, first: date, last: date) -> int:
    return s.unqualified_sellers(unit, last).count()


@metric(
    "training.qualifications_expiring",
    label=_("60日内到期的从业资格"),
    unit_label=_("张"),
    higher_is_better=False,
)
def qualifications_expiring(*, unit: Any, first: date, last: date) -> int:
    return s.expiring(unit, last, 60).count()
