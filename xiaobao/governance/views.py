"""Workbench pages for governance records: parse, call one service, render.

Refusals answer 403, records out of scope 404, illegal transitions 409, bad input 400 with the
error on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.governance import forms, selectors, services
from xiaobao.governance.models import Meeting
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404


def status_for(exc: DomainError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, InvalidTransitionError):
        return 409
    return 400


def _form_error(form: Any, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[-1]
    form.add_error(field if field in form.fields else None, exc.message)


# --- meetings ------------------------------------------------------------------------------------


@login_required
@permission_required("governance.view_meeting", raise_exception=True)
def meeting_list(request: HttpRequest) -> HttpResponse:
    form = forms.MeetingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.meeting_create(
                    actor=request.user,
                    unit=request.user.unit,  # type: ignore[union-attr]
                    **form.cleaned_data,
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = status_for(exc)
            else:
                messages.success(request, _("已登记会议。"))
                return redirect("governance:meeting", pk=meeting.pk)
        else:
            status = 400
    meetings = selectors.meetings(request.user)
    code = request.GET.get("unit")
    unit = get_visible_or_404(request.user, Unit.objects.all(), code=code) if code else None
    if unit is not None:
        meetings = meetings.filter(unit__path__startswith=unit.path)
    context = {"meetings": meetings[:200], "form": form, "unit": unit}
    return render(request, "governance/meeting_list.html", context, status=status)


@login_required
@permission_required("governance.view_meeting", raise_exception=True)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(request.user, selectors.meetings(request.user), pk=pk)
    form = forms.DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                task = None
                if d["create_task"]:
                    code = (d["owner_unit"] or "").strip()
                    owner = Unit.objects.filter(code=code).first() if code else meeting.unit
                    if owner is None:
                        raise DomainError("责任机构代码不存在。", field="owner_unit")
                    task = services.DecisionTask(
                        owner_unit=owner, title=d["task_title"], due_date=d["due_date"]
                    )
                services.decision_add(
                    actor=request.user, meeting=meeting, text=d["text"], task=task
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = status_for(exc)
            else:
                messages.success(request, _("已记录决议。"))
                return redirect("governance:meeting", pk=meeting.pk)
        else:
            status = 400
    return _meeting_page(request, meeting, form, status)


def _meeting_page(request: HttpRequest, meeting: Meeting, form: Any, status: int) -> HttpResponse:
    context = {
        "meeting": meeting,
        "decisions": selectors.decisions(meeting),
        "form": form,
        "events": timeline(meeting),
    }
    return render(request, "governance/meeting_detail.html", context, status=status)


@login_required
@require_POST
def meeting_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(request.user, selectors.meetings(request.user), pk=pk)
    try:
        services.meeting_confirm(actor=request.user, meeting=meeting)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _meeting_page(request, meeting, forms.DecisionForm(), status_for(exc))
    messages.success(request, _("会议纪要已确认。"))
    return redirect("governance:meeting", pk=pk)


# --- internal rules ------------------------------------------------------------------------------


@login_required
@permission_required("governance.view_internalrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    form = forms.RuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.rule_register(
                    actor=request.user,
                    unit=request.user.unit,  # type: ignore[union-attr]
                    owner_department=None,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = status_for(exc)
            else:
                messages.success(request, _("已登记制度。"))
                return redirect("governance:rule", pk=rule.pk)
        else:
            status = 400
    show_all = request.GET.get("show") == "all"
    today = services.today()
    rules = list(selectors.rules(request.user, current_only=not show_all)[:500])
    context = {
        "rules": [(r, r.review_overdue(today)) for r in rules],
        "overdue": selectors.rules_review_overdue(request.user, today=today).count(),
        "show_all": show_all,
        "form": form,
    }
    return render(request, "governance/rule_list.html", context, status=status)


@login_required
@permission_required("governance.view_internalrule", raise_exception=True)
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_visible_or_404(request.user, selectors.rules(request.user), pk=pk)
    revise = forms.RuleReviseForm(request.POST if request.POST.get("do") == "revise" else None)
    review = forms.RuleReviewForm(request.POST if request.POST.get("do") == "review" else None)
    status = 200
    if request.method == "POST":
        form: Any = revise if request.POST.get("do") == "revise" else review
        if form.is_valid():
            try:
                if form is revise:
                    rule = services.rule_revise(actor=request.user, rule=rule, **form.cleaned_data)
                    messages.success(request, _("已发布新版本，原版本已保留。"))
                else:
                    services.rule_review(actor=request.user, rule=rule, **form.cleaned_data)
                    messages.success(request, _("已记录评估。"))
            except DomainError as exc:
                _form_error(form, exc)
                status = status_for(exc)
            else:
                return redirect("governance:rule", pk=rule.pk)
        else:
            status = 400
    context = {
        "rule": rule,
        "overdue": rule.review_overdue(services.today()),
        "versions": selectors.versions(rule),
        "revise": revise,
        "review": review,
        "events": timeline(rule),
    }
    return render(request, "governance/rule_detail.html", context, status=status)
