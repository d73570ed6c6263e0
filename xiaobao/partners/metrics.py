"""Partner-list figures in the metric registry (assessment, plans and the year-end summary read
them from here). Partners count in a unit's subtree when owned there or allowed to a unit there;
complaints count where the case was registered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaobao.lib.metrics import metric, rate
from xiaobao.partners.choices import (
    ACTIVE,
    AdmissionDecision,
    EvaluationStatus,
    ExitStatus,
    PartnerStatus,
)
from xiaobao.partners.models import Admission, Evaluation, Exit, Licence, PartnerComplaint
from xiaobao.partners.selectors import _bounds, agreements_lacking, in_subtree

FIRMS = _("家")


@metric(
    "partners.listed",
    label=_("在册合作机构"),
    unit_label=FIRMS,
    description=_("当前状态为在册的合作机构"),
)
def listed(*, unit: Any, first: date, last: date) -> int:
    return in_subtree(unit).filter(status=PartnerStatus.LISTED).count()


@metric(
    "partners.watched",
    label=_("观察或暂停的合作机构"),
    unit_label=FIRMS,
    description=_("当前状态为观察或暂停的合作机构"),
    higher_is_better=False,
)
def watched(*, unit: Any, first: date, last: date) -> int:
    return (
        in_subtree(unit).filter(status__in=(PartnerStatus.WATCH, PartnerStatus.SUSPENDED)).count()
    )


@metric("partners.admitted", label=_("期内准入合作机构"), unit_label=FIRMS)
def admitted(*, unit: Any, first: date, last: date) -> int:
    start, end = _bounds(first, last)
    return (
        Admission.objects.filter(
            partner__in=in_subtree(unit),
            decision=AdmissionDecision.APPROVED,
            decided_at__gte=start,
            decided_at__lt=end,
        )
        .values("partner")
        .distinct()
        .count()
    )


@metric("partners.exited", label=_("期内退出合作机构"), unit_label=FIRMS)
def exited(*, unit: Any, first: date, last: date) -> int:
    start, end = _bounds(first, last)
    return Exit.objects.filter(
        partner__in=in_subtree(unit),
        status=ExitStatus.COMPLETED,
        completed_at__gte=start,
        completed_at__lt=end,
    ).count()


@metric(
    "partners.evaluated_share",
    label=_("合作机构评价覆盖率"),
    unit_label="%",
    description=_("在册、观察或暂停的合作机构中，期内有已定论评价的比例"),
    higher_is_better=True,
)
def evaluated_share(*, unit: Any, first: date, last: date) -> Decimal | None:
    active = in_subtree(unit).filter(status__in=ACTIVE)
    evaluated = (
        Evaluation.objects.filter(
            partner__in=active,
            status=EvaluationStatus.CONCLUDED,
            period_end__gte=first,
            period_start__lte=last,
        )
        .values("partner")
        .distinct()
        .count()
    )
    return rate(evaluated, active.count())


@metric(
    "partners.complaints",
    label=_("涉及合作机构的投诉"),
    unit_label=_("件"),
    description=_("期内接收、在投诉台账中关联到合作机构的投诉（每件只计一次）"),
    higher_is_better=False,
)
def complaints(*, unit: Any, first: date, last: date) -> int:
    start, end = _bounds(first, last)
    return (
        PartnerComplaint.objects.filter(
            complaint__unit__path__startswith=unit.path,
            complaint__received_at__gte=start,
            complaint__received_at__lt=end,
        )
        .exclude(complaint__status="merged")
        .values("complaint")
        .distinct()
        .count()
    )


@metric(
    "partners.agreements_lacking_clauses",
    label=_("缺少消保条款的协议"),
    unit_label=_("份"),
    description=_("期末有效、但缺少至少一项消保条款的合作协议"),
    higher_is_better=False,
)
def agreements_lacking_clauses(*, unit: Any, first: date, last: date) -> int:
    return agreements_lacking(in_subtree(unit), last).count()


@metric(
    "partners.licences_expired",
    label=_("已过期证照"),
    unit_label=_("张"),
    description=_("期末仍在名单上（在册、观察或暂停）的合作机构已过期的证照"),
    higher_is_better=False,
)
def licences_expired(*, unit: Any, first: date, last: date) -> int:
    return Licence.objects.filter(
        Q(partner__in=in_subtree(unit).filter(status__in=ACTIVE)), expires_on__lt=last
    ).count()
