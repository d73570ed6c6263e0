"""The working calendar's bulk entry page (administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.calendar import calendar_year_set, unknown_year, warning_text
from xiaobao.complaints.models import CalendarDay
from xiaobao.lib.errors import DomainError


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    holidays = forms.CharField(
        label=_("法定节假日（放假日期）"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("每行一个日期或日期范围，可加说明，如：2027-02-06~2027-02-12 春节"),
    )
    workdays = forms.CharField(
        label=_("调休上班日（周末上班）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一个日期，可加说明，如：2027-02-14 春节调休"),
    )


@login_required
@permission_required("complaints.add_calendarday", raise_exception=True)
def calendar_year(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    missing = unknown_year(today)
    form = CalendarYearForm(request.POST or None, initial={"year": missing or today.year + 1})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = calendar_year_set(
                actor=request.user,
                year=data["year"],
                holidays=data["holidays"],
                workdays=data["workdays"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("已录入%(year)s年：节假日%(off)s天，调休上班%(on)s天。")
                % {"year": data["year"], "off": saved["holidays"], "on": saved["workdays"]},
            )
            return redirect("complaints:calendar")
    if request.method == "POST" and form.errors:
        status = 400
    year = form.data.get("year") if form.is_bound else form.initial["year"]
    try:
        shown_year = int(str(year))
    except (TypeError, ValueError):
        shown_year = today.year + 1
    entered = CalendarDay.objects.filter(date__year=shown_year).order_by("date")
    return render(
        request,
        "complaints/calendar_year.html",
        {
            "form": form,
            "warning": warning_text(missing) if missing else "",
            "entered": entered,
            "shown_year": shown_year,
        },
        status=status,
    )
