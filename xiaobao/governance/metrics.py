"""Figures of governance records, registered in the metric registry (`xiaobao.lib.metrics`)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xiaobao.governance.choices import RuleStatus
from xiaobao.governance.models import InternalRule, Meeting
from xiaobao.lib.metrics import metric


def _meetings_drill(*, unit: Any, first: date, last: date) -> str:
    return reverse("governance:meetings") + "?" + urlencode({"unit": unit.code})


@metric(
    "governance.meetings",
    label=_("消保会议次数"),
    unit_label=_("次"),
    description=_("期内召开的消保委员会、领导小组会议及消保工作例会次数（含下级机构）"),
    higher_is_better=True,
    drill=_meetings_drill,
)
def meetings(*, unit: Any, first: date, last: date) -> int:
    return Meeting.objects.filter(
        unit__path__startswith=unit.path, held_on__gte=first, held_on__lte=last
    ).count()


@metric(
    "governance.rules_review_overdue",
    label=_("逾期未评估制度数"),
    unit_label=_("项"),
    description=_("截至期末仍现行有效、但已超过下次评估日期的内部制度数量"),
    higher_is_better=False,
)
def rules_review_overdue(*, unit: Any, first: date, last: date) -> int:
    return InternalRule.objects.filter(
        unit__path__startswith=unit.path,
        status=RuleStatus.IN_FORCE,
        next_review_on__lt=last,
    ).count()
