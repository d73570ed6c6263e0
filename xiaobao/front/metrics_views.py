"""The metric library (指标库): every registered figure, its definition and its value for a unit
and period the user may see. Figures come only through `xiaobao.lib.metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from xiaobao.deadlines.engine import TZ
from xiaobao.lib import metrics
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to

PERMISSION = "reports.view_statistics"


class _DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(forms.Form):
    unit = forms.CharField(label=_("机构"), required=False)
    first = forms.DateField(label=_("起始日期"), required=False, widget=_DateInput)
    last = forms.DateField(label=_("截止日期"), required=False, widget=_DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and first > last:
            self.add_error("last", _("截止日期不能早于起始日期。"))
        return data


@dataclass(frozen=True)
class Period:
    unit: Unit
    first: date
    last: date


def default_period(user: Any) -> tuple[date, date]:
    today = now().astimezone(TZ).date()
    return date(today.year, 1, 1), today


def resolve(user: Any, *, unit_code: str | None, first: date | None, last: date | None) -> Period:
    """The unit (in the user's scope, else 404) and the period (default: this year to date)."""
    unit = user.unit
    if unit_code:
        unit = visible_to(user, Unit.objects.all()).filter(code=unit_code).first()
        if unit is None:
            raise Http404
    default_first, default_last = default_period(user)
    return Period(unit, first or default_first, last or default_last)


def rows(period: Period) -> list[dict[str, Any]]:
    out = []
    for key, m in metrics.registry().items():
        kwargs: dict[str, Any] = {"unit": period.unit, "first": period.first, "last": period.last}
        out.append(
            {
                "key": key,
                "label": m.label,
                "unit_label": m.unit_label,
                "description": m.description,
                "higher_is_better": m.higher_is_better,
                "value": m.value(**kwargs),
                "drill": m.drill_url(**kwargs),
            }
        )
    return out


@login_required
@permission_required(PERMISSION, raise_exception=True)
def metric_library(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    status = 200
    data: dict[str, Any] = {}
    if request.GET and not form.is_valid():
        status = 400
    elif request.GET:
        data = form.cleaned_data
    period = resolve(
        request.user,
        unit_code=(data.get("unit") or "").strip() or None,
        first=data.get("first"),
        last=data.get("last"),
    )
    units = visible_to(request.user, Unit.objects.filter(is_active=True)).order_by("path")[:300]
    context = {
        "form": form,
        "period": period,
        "units": units,
        "metrics": rows(period) if status == 200 else [],
    }
    return render(request, "front/metric_library.html", context, status=status)
