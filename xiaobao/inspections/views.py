"""Workbench pages of inspections: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message); a record outside the user's scope is a 404 like one that does not exist. The record
page is built for a phone: one column, large controls, photos straight from the camera.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.evidence.selectors import evidence_for
from xiaobao.inspections import selectors, services
from xiaobao.inspections.choices import (
    RECORDABLE,
    FindingStatus,
    Severity,
    VisitKind,
    VisitStatus,
)
from xiaobao.inspections.forms import (
    ChecklistForm,
    DecideForm,
    ExaminationForm,
    MeetingForm,
    PlanForm,
    ReasonForm,
    RecordForm,
    RectifyForm,
    VisitForm,
)
from xiaobao.inspections.models import Finding, Visit
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import get_visible_or_404, visible_to


def _status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, InvalidTransitionError):
        return 409
    return 400


def _may_use(user: Any) -> None:
    if not (user.has_perm("inspections.view_visit") or user.has_perm("inspections.record_visit")):
        raise PermissionDenied


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _may_use(request.user)
    visits = selectors.visits_for(request.user)
    status = request.GET.get("status", "")
    if status in VisitStatus.values:
        visits = visits.filter(status=status)
    mine = visits.filter(inspector_id=request.user.pk, status__in=RECORDABLE).order_by(
        "window_start", "id"
    )
    return render(
        request,
        "inspections/index.html",
        {
            "mine": mine[:50],
            "visits": visits.order_by("-id")[:100]
            if selectors.sees_all_in_scope(request.user)
            else [],
            "statuses": VisitStatus.choices,
            "status": status,
            "can_create": request.user.has_perm("inspections.record_visit"),
        },
    )


def _outlets(user: Any) -> Any:
    # An inspector may be sent outside their own subtree; the office chooses among all outlets.
    return Unit.objects.filter(kind=UnitKind.OUTLET, is_active=True).order_by("path")


@login_required
@permission_required("inspections.record_visit", raise_exception=True)
def visit_new(request: HttpRequest) -> HttpResponse:
    form = VisitForm(
        request.POST or None, outlets=_outlets(request.user), initial={"kind": VisitKind.MYSTERY}
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
            return render(
                request, "inspections/visit_form.html", {"form": form}, status=_status(exc)
            )
        return redirect("inspections:visit", pk=visit.pk)
    return render(
        request,
        "inspections/visit_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _visit(request: HttpRequest, pk: int) -> Visit:
    try:
        return selectors.visits_for(request.user).get(pk=pk)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


def _record_form(visit: Visit, data: Any = None, files: Any = None) -> RecordForm:
    items = list(visit.checklist.items.all())
    initial: dict[str, Any] = {
        "visited_at": timezone.localtime(visit.visited_at or clock_now()).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "scenario": visit.scenario,
        "summary": visit.summary,
        "test_complaint": visit.test_complaint,
        "test_complaint_keyword": visit.test_complaint_keyword,
    }
    if visit.test_complaint_at:
        initial["test_complaint_at"] = timezone.localtime(visit.test_complaint_at).strftime(
            "%Y-%m-%dT%H:%M"
        )
    for r in visit.results.select_related("item"):
        initial[f"r_{r.item.code}"] = r.value
        initial[f"n_{r.item.code}"] = r.note
    return RecordForm(data, files, items=items, initial=initial)


def _context(request: HttpRequest, visit: Visit, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    staff_view = selectors.sees_all_in_scope(user)
    is_inspector = visit.inspector_id == user.pk and user.has_perm("inspections.record_visit")
    reviewer = user.has_perm("inspections.review_visit") and visit.inspector_id != user.pk
    in_scope = staff_view and visit.outlet.path.startswith(user.unit.path)
    today = timezone.localdate(clock_now())
    context = {
        "visit": visit,
        "results": selectors.results_of(visit),
        "files": list(evidence_for(visit)),
        "findings": list(visit.findings.all()) if staff_view else [],
        "events": timeline(visit) if staff_view else [],
        "staff_view": staff_view,
        "can_record": is_inspector and visit.status in RECORDABLE,
        "can_review": reviewer and in_scope and visit.status == VisitStatus.SUBMITTED,
        "can_appeal": user.has_perm("inspections.appeal_visit")
        and in_scope
        and visit.status == VisitStatus.PUBLISHED
        and visit.appeal_due is not None
        and today <= visit.appeal_due,
        "can_decide": reviewer and in_scope and visit.status == VisitStatus.APPEALED,
        "can_finalise": reviewer
        and in_scope
        and visit.status == VisitStatus.PUBLISHED
        and visit.appeal_due is not None
        and today > visit.appeal_due,
        "can_check": reviewer
        and in_scope
        and visit.test_complaint
        and visit.status in (VisitStatus.PUBLISHED, VisitStatus.APPEALED, VisitStatus.FINAL),
        "reason_form": ReasonForm(),
        "decide_form": DecideForm(),
    }
    if context["can_record"] and "record_form" not in extra:
        context["record_form"] = _record_form(visit)
    context.update(extra)
    return context


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request.user)
    visit = _visit(request, pk)
    return render(request, "inspections/visit_detail.html", _context(request, visit))


@login_required
@require_POST
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    form = _record_form(visit, request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return render(
            request,
            "inspections/visit_detail.html",
            _context(request, visit, record_form=form),
            status=400,
        )
    data = services.RecordData(
        results=form.results(),
        visited_at=form.cleaned_data["visited_at"],
        scenario=form.cleaned_data["scenario"],
        summary=form.cleaned_data["summary"],
        test_complaint=form.cleaned_data["test_complaint"],
        test_complaint_at=form.cleaned_data["test_complaint_at"],
        test_complaint_keyword=form.cleaned_data["test_complaint_keyword"],
    )
    try:
        services.visit_record(
            actor=request.user, visit=visit, data=data, photos=form.cleaned_data["photos"]
        )
    except DomainError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        messages.error(request, exc.message)
        return render(
            request,
            "inspections/visit_detail.html",
            _context(request, visit, record_form=form),
            status=_status(exc),
        )
    messages.success(request, _("检查结果已保存。"))
    return redirect("inspections:visit", pk=visit.pk)


VISIT_ACTIONS = {
    "submit": ("visit_submit", ()),
    "publish": ("visit_publish", ()),
    "return": ("visit_return", ("reason",)),
    "appeal": ("visit_appeal", ("reason",)),
    "decide": ("visit_decide_appeal", ("decision", "reply")),
    "finalise": ("visit_finalise", ()),
    "check": ("visit_check_test_complaint", ()),
}
DONE = {
    "submit": gettext_lazy("检查已提交审核。"),
    "publish": gettext_lazy("检查结果已发布，申诉期开始计算。"),
    "return": gettext_lazy("检查已退回检查人。"),
    "appeal": gettext_lazy("申诉已提交。"),
    "decide": gettext_lazy("申诉已答复，检查结果已定稿。"),
    "finalise": gettext_lazy("检查结果已定稿，问题已下达整改。"),
    "check": gettext_lazy("测试投诉已核对。"),
}


@login_required
@require_POST
def visit_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in VISIT_ACTIONS:
        raise Http404
    visit = _visit(request, pk)
    service, fields = VISIT_ACTIONS[name]
    kwargs: dict[str, Any] = {"actor": request.user, "visit": visit}
    for f in fields:
        kwargs[f] = request.POST.get(f, "")
    if name == "appeal":
        kwargs["items"] = request.POST.getlist("items")
    if name == "decide":
        kwargs["overturn"] = {
            k[2:]: request.POST.get(k, "")
            for k in request.POST
            if k.startswith("o_") and request.POST.get(k, "").strip()
        }
    try:
        getattr(services, service)(**kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        visit.refresh_from_db()
        return render(
            request, "inspections/visit_detail.html", _context(request, visit), status=_status(exc)
        )
    messages.success(request, DONE[name])
    return redirect("inspections:visit", pk=visit.pk)


# --- findings -------------------------------------------------------------------------------------


@login_required
@permission_required("inspections.view_finding", raise_exception=True)
def findings(request: HttpRequest) -> HttpResponse:
    rows = selectors.findings_for(request.user)
    status = request.GET.get("status", "")
    if status in FindingStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "inspections/findings.html",
        {"findings": rows[:200], "statuses": FindingStatus.choices, "status": status},
    )


def _finding_context(request: HttpRequest, finding: Finding, **extra: Any) -> dict[str, Any]:
    from xiaobao.plans.services.task import can_report, can_verify

    task = finding.task
    context = {
        "finding": finding,
        "task": task,
        "files": list(evidence_for(task)) if task else [],
        "events": timeline(finding),
        "can_submit": task is not None
        and finding.status == FindingStatus.OPEN
        and can_report(request.user, task),
        "can_verify": task is not None
        and finding.status == FindingStatus.SUBMITTED
        and can_verify(request.user, task),
        "can_confirm": finding.status == FindingStatus.CLOSED
        and request.user.has_perm("inspections.review_visit"),
        "rectify_form": RectifyForm(),
        "reason_form": ReasonForm(),
    }
    context.update(extra)
    return context


@login_required
@permission_required("inspections.view_finding", raise_exception=True)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_visible_or_404(
        request.user, Finding.objects.select_related("task", "unit", "visit"), pk=pk
    )
    return render(request, "inspections/finding_detail.html", _finding_context(request, finding))


@login_required
@require_POST
def finding_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    finding = get_visible_or_404(
        request.user, Finding.objects.select_related("task", "unit", "visit"), pk=pk
    )
    try:
        if name == "submit":
            form = RectifyForm(request.POST, request.FILES)
            if not form.is_valid():
                raise DomainError("请填写整改情况。", field="note")
            services.finding_submit(
                actor=request.user,
                finding=finding,
                note=form.cleaned_data["note"],
                files=form.cleaned_data["attachments"],
            )
            done = _("整改情况已报送，等待验收。")
        elif name == "accept":
            services.finding_accept(
                actor=request.user, finding=finding, note=request.POST.get("note", "")
            )
            done = _("整改已验收，问题已关闭。")
        elif name == "return":
            services.finding_return(
                actor=request.user, finding=finding, reason=request.POST.get("reason", "")
            )
            done = _("整改已退回。")
        elif name == "confirm":
            services.finding_confirm(actor=request.user, finding=finding)
            done = _("复查已确认整改有效。")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
        finding.refresh_from_db()
        return render(
            request,
            "inspections/finding_detail.html",
            _finding_context(request, finding),
            status=_status(exc),
        )
    messages.success(request, done)
    return redirect("inspections:finding", pk=finding.pk)


# --- figures, examinations, meetings --------------------------------------------------------------


@login_required
@permission_required("inspections.view_visit", raise_exception=True)
def figures(request: HttpRequest) -> HttpResponse:
    unit = request.user.unit  # type: ignore[union-attr]
    today = timezone.localdate(clock_now())
    first, last = date(today.year, 1, 1), today
    if request.GET.get("year", "").isdigit():
        year = int(request.GET["year"])
        first, last = date(year, 1, 1), date(year, 12, 31)
    found = selectors.figures(unit, first, last)
    severity = selectors.findings_by_severity(unit, first, last)
    return render(
        request,
        "inspections/figures.html",
        {
            "unit": unit,
            "first": first,
            "last": last,
            "f": found,
            "by_kind": [
                (label, selectors.by_kind(unit, first, last).get(key, 0))
                for key, label in VisitKind.choices
            ],
            "bands": selectors.score_distribution(unit, first, last),
            "ranking": selectors.ranking(unit, first, last),
            "worst": selectors.worst_items(unit, first, last),
            "severity": [(label, severity.get(key, 0)) for key, label in Severity.choices],
        },
    )


@login_required
@permission_required("inspections.view_examination", raise_exception=True)
def examinations(request: HttpRequest) -> HttpResponse:
    rows = selectors.examinations_for(request.user).prefetch_related("findings")
    return render(request, "inspections/examinations.html", {"examinations": rows[:100]})


@login_required
@permission_required("inspections.view_servicemeeting", raise_exception=True)
def meetings(request: HttpRequest) -> HttpResponse:
    rows = selectors.meetings_for(request.user).prefetch_related("attendance__person")
    units = visible_to(request.user, Unit.objects.filter(is_active=True)).order_by("path")
    return render(request, "inspections/meetings.html", {"meetings": rows[:100], "units": units})


# --- creating checklists, plans, examinations and weekly meetings ---------------------------------


def _create_page(request: HttpRequest, form: Any, title: Any, make: Any, done: Any) -> HttpResponse:
    """Bind, call one service, redirect; a domain error is shown on its field with its status."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                obj = make(form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = _status(exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect(done(obj))
    return render(
        request, "inspections/create_form.html", {"form": form, "title": title}, status=status
    )


def _units(user: Any) -> Any:
    return visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")


@login_required
@permission_required("inspections.add_checklist", raise_exception=True)
def checklist_new(request: HttpRequest) -> HttpResponse:
    def make(d: dict[str, Any]) -> Any:
        return services.checklist_create(
            actor=request.user, code=d["code"], name=d["name"], items=d["items"]
        )

    return _create_page(
        request,
        ChecklistForm(request.POST or None),
        gettext_lazy("新建检查清单"),
        make,
        lambda obj: "inspections:index",
    )


@login_required
@permission_required("inspections.add_inspectionplan", raise_exception=True)
def plan_new(request: HttpRequest) -> HttpResponse:
    def make(d: dict[str, Any]) -> Any:
        return services.plan_create(actor=request.user, data=services.PlanData(**d))

    return _create_page(
        request,
        PlanForm(request.POST or None, units=_units(request.user)),
        gettext_lazy("新建检查计划"),
        make,
        lambda obj: "inspections:index",
    )


@login_required
@permission_required("inspections.add_examination", raise_exception=True)
def examination_new(request: HttpRequest) -> HttpResponse:
    def make(d: dict[str, Any]) -> Any:
        notice = d.pop("notice")
        return services.examination_create(
            actor=request.user, data=services.ExaminationData(**d), notice=notice
        )

    return _create_page(
        request,
        ExaminationForm(request.POST or None, request.FILES or None, units=_units(request.user)),
        gettext_lazy("登记监管检查"),
        make,
        lambda obj: "inspections:examinations",
    )


@login_required
@permission_required("inspections.add_servicemeeting", raise_exception=True)
def meeting_new(request: HttpRequest) -> HttpResponse:
    units = _units(request.user)
    unit = getattr(request.user, "unit", None)
    people = User.objects.filter(
        is_active=True, unit__path__startswith=unit.path if unit else "\0"
    ).order_by("username")

    def make(d: dict[str, Any]) -> Any:
        return services.meeting_record(
            actor=request.user,
            unit=d["unit"],
            held_on=d["held_on"],
            topic=d["topic"],
            minutes=d["minutes"],
            present=list(d["present"]),
            absent=list(d["absent"]),
        )

    return _create_page(
        request,
        MeetingForm(request.POST or None, units=units, people=people),
        gettext_lazy("登记服务例会"),
        make,
        lambda obj: "inspections:meetings",
    )
