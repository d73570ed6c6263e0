"""The core complaint figures in the metric registry, read through the statistics selectors, so
a figure here equals the same figure on the dashboard and in the work summary.

Cases count in the period they were received in (the summary's rule), over `unit`'s subtree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.models import Complaint
from xiaobao.lib.metrics import metric, rate
from xiaobao.plans.choices import TaskSourceKind, TaskStatus
from xiaobao.plans.models import Task
from xiaobao.reports.selectors import UnitViewer, complaint_statistics, scoped_population


def _totals(unit: Any, first: date, last: date) -> Any:
    return complaint_statistics(
        user=UnitViewer(unit=unit),
        filters={"received_from": first, "received_to": last},
        repeats="none",
    ).total


@metric(
    "complaints.received",
    label=_("受理投诉量"),
    unit_label=_("件"),
    description=_("期内受理的投诉（不含已合并、不予受理的）"),
)
def received(*, unit: Any, first: date, last: date) -> int:
    return int(_totals(unit, first, last).received)


@metric(
    "complaints.closed",
    label=_("办结投诉量"),
    unit_label=_("件"),
    description=_("期内受理、已告知处理决定或已撤诉的投诉"),
    higher_is_better=True,
)
def closed(*, unit: Any, first: date, last: date) -> int:
    return int(_totals(unit, first, last).closed)


@metric(
    "complaints.timely_rate",
    label=_("按时办结率"),
    unit_label="%",
    description=_("已告知处理决定的投诉中，在期限内告知的比例"),
    higher_is_better=True,
)
def timely_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    t = _totals(unit, first, last)
    return rate(t.timely, t.answered)


def _rectifications(unit: Any, first: date, last: date) -> Any:
    cases = scoped_population(
        user=UnitViewer(unit=unit), filters={"received_from": first, "received_to": last}
    )
    return Task.objects.filter(
        source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION,
        source_type=ContentType.objects.get_for_model(Complaint),
        source_id__in=cases.values("pk"),
    ).exclude(status=TaskStatus.CANCELLED)


@metric(
    "complaints.rectifications",
    label=_("溯源整改任务数"),
    unit_label=_("项"),
    description=_("期内受理的投诉所下达的整改任务（与工作总结口径一致）"),
)
def rectifications(*, unit: Any, first: date, last: date) -> int:
    return _rectifications(unit, first, last).count()


@metric(
    "complaints.rectifications_done",
    label=_("已完成整改任务数"),
    unit_label=_("项"),
    description=_("期内受理的投诉所下达、已验收完成的整改任务"),
    higher_is_better=True,
)
def rectifications_done(*, unit: Any, first: date, last: date) -> int:
    return _rectifications(unit, first, last).filter(status=TaskStatus.DONE).count()
