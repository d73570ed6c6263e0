"""Pages of the reports app: dashboards, documents, typical cases and alerts (thin edges)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.complaints.models import Complaint
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.reports import charts, selectors, services
from xiaobao.reports.choices import RunKind, RunStatus
from xiaobao.reports.exports import risk_notice_docx, typical_cases_docx, typical_cases_xlsx
from xiaobao.reports.forms import (
    AlertActionForm,
    AlertFilterForm,
    DashboardForm,
    ExploreForm,
    PeriodForm,
    RiskNoticeForm,
    SummaryForm,
    TypicalEditForm,
    TypicalMarkForm,
    TypicalSearchForm,
)
from xiaobao.reports.models import Alert, ReportRun, TypicalCase
from xiaobao.reports.renderers import Column, Sheet, write_xlsx
from xiaobao.reports.selectors import (
    COUNTING_RULE,
    StatisticsRequest,
    complaint_statistics,
    complaint_statistics_many,
)
from xiaobao.reports.warning import METHOD
from xiaobao.reports.workbook import ReportPeriod, regulator_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"

TREND_MEASURES = [
    "received",
    "closed",
    "closed_rate",
    "timely_rate",
    "overdue",
    "avg_days",
    "p90_days",
    "reversal_rate",
    "satisfaction_rate",
]
RANK_MEASURES = [
    "received",
    "per_10k",
    "timely_rate",
    "overdue",
    "repeat_complainants",
    "reversal_rate",
    "compensation",
]
TIMELINESS_MEASURES = [
    "received",
    "closed",
    "timely_rate",
    "overdue",
    "avg_days",
    "p90_days",
    "extended",
    "reviewed",
    "reversal_rate",
]


def _query(request: HttpRequest) -> str:
    """The current query string without paging or export switches (for links that add them)."""
    query = request.GET.copy()
    for name in ("page", "format"):
        query.pop(name, None)
    return query.urlencode()


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- dashboards ----------------------------------------------------------------------------------


def _dashboard(request: HttpRequest, form_class: type[DashboardForm] = DashboardForm) -> Any:
    """The filter form, bound to the query with the default period filled in (so it shows)."""
    data = request.GET.copy()
    first, last = DashboardForm.default_range()
    for name, value in (("received_from", first), ("received_to", last)):
        if not data.get(name):
            data[name] = value.isoformat()
    data.setdefault("grain", "month")
    if form_class is ExploreForm and "dimensions" not in request.GET:
        data.setdefault("rollup", "on")  # first visit: sub-categories rolled up
    return form_class(data, user=request.user)


def _context(request: HttpRequest, form: DashboardForm, tab: str, **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "tab": tab,
        "counting_rule": COUNTING_RULE,
        "query": _query(request),
        **extra,
    }


def _stats(form: DashboardForm, user: Any, **kwargs: Any) -> selectors.Statistics:
    return complaint_statistics(user=user, filters=form.filters(), **kwargs)


def _stats_many(form: DashboardForm, user: Any, *requests: Any) -> list[selectors.Statistics]:
    """A page's tables, in as few passes over its cases as can share (`complaint_statistics_many`)."""
    return complaint_statistics_many(user=user, filters=form.filters(), requests=requests)


def _invalid(request: HttpRequest, form: DashboardForm, template: str, tab: str) -> HttpResponse:
    return render(request, template, _context(request, form, tab, invalid=True))


@login_required
@permission_required("reports.view_statistics", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Trends: the headline figures and their course over time."""
    form = _dashboard(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/dashboard.html", "trends")
    trend, channels = _stats_many(
        form,
        request.user,
        StatisticsRequest(["period"], grain=form.cleaned_data["grain"], repeats="total"),
        StatisticsRequest(["intake_channel"], repeats="none"),
    )
    context = _context(
        request,
        form,
        "trends",
        stats=trend,
        total=trend.total,
        table=charts.stats_table(trend, TREND_MEASURES),
        channel_table=charts.stats_table(
            channels, ["received", "timely_rate"], rows=charts.top(channels.rows, 20)
        ),
        charts={
            "trend": charts.bar_chart(
                trend, trend.rows, ["received", "closed"], line=["timely_rate"]
            ),
            "channels": charts.pie_chart(channels, charts.top(channels.rows, 8)),
        },
    )
    return render(request, "reports/dashboard.html", context)


@login_required
@permission_required("reports.view_statistics", raise_exception=True)
def causes(request: HttpRequest) -> HttpResponse:
    """Top causes and business categories."""
    form = _dashboard(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/causes.html", "causes")
    by_cause, by_category, by_leaf = _stats_many(
        form,
        request.user,
        StatisticsRequest(["cause"], repeats="total"),
        StatisticsRequest(["business_category"], repeats="none"),
        StatisticsRequest(["business_category"], rollup=False, repeats="none"),
    )
    names = ["received", "timely_rate", "overdue", "reversal_rate", "compensation"]
    top_causes, top_categories = charts.top(by_cause.rows), charts.top(by_category.rows)
    context = _context(
        request,
        form,
        "causes",
        total=by_cause.total,
        cause_table=charts.stats_table(by_cause, names, rows=charts.top(by_cause.rows, 50)),
        category_table=charts.stats_table(
            by_category, names, rows=charts.top(by_category.rows, 50)
        ),
        leaf_table=charts.stats_table(by_leaf, ["received"], rows=charts.top(by_leaf.rows, 50)),
        charts={
            "causes": charts.bar_chart(by_cause, top_causes, ["received"], horizontal=True),
            "categories": charts.bar_chart(
                by_category, top_categories, ["received"], horizontal=True
            ),
        },
    )
    return render(request, "reports/causes.html", context)


@login_required
@permission_required("reports.view_statistics", raise_exception=True)
def units(request: HttpRequest) -> HttpResponse:
    """Unit ranking: volume, volume per 10,000 customers, timeliness."""
    form = _dashboard(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/units.html", "units")
    depth = form.base_unit().depth + 1
    stats = _stats(form, request.user, dimensions=["unit"], unit_depth=depth)
    ranked = charts.top(stats.rows, 100)
    context = _context(
        request,
        form,
        "units",
        total=stats.total,
        table=charts.stats_table(stats, RANK_MEASURES, rows=ranked),
        charts={
            "units": charts.bar_chart(stats, ranked[:20], ["received"], horizontal=True),
            "per10k": charts.bar_chart(
                stats,
                [r for r in charts.top(stats.rows, 20, key="per_10k") if r.measures.per_10k],
                ["per_10k"],
                horizontal=True,
            ),
        },
    )
    return render(request, "reports/units.html", context)


@login_required
@permission_required("reports.view_statistics", raise_exception=True)
def timeliness(request: HttpRequest) -> HttpResponse:
    form = _dashboard(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/timeliness.html", "timeliness")
    depth = form.base_unit().depth + 1
    by_unit, by_period = _stats_many(
        form,
        request.user,
        StatisticsRequest(["unit"], unit_depth=depth, repeats="total"),
        StatisticsRequest(["period"], grain=form.cleaned_data["grain"], repeats="none"),
    )
    context = _context(
        request,
        form,
        "timeliness",
        total=by_unit.total,
        unit_table=charts.stats_table(by_unit, TIMELINESS_MEASURES),
        period_table=charts.stats_table(by_period, TIMELINESS_MEASURES),
        charts={
            "units": charts.bar_chart(
                by_unit, by_unit.rows, ["overdue", "extended"], line=["timely_rate"]
            ),
            "periods": charts.bar_chart(
                by_period, by_period.rows, ["avg_days", "p90_days"], line=["timely_rate"]
            ),
        },
    )
    return render(request, "reports/timeliness.html", context)


@login_required
@permission_required("reports.view_statistics", raise_exception=True)
def explore(request: HttpRequest) -> HttpResponse:
    """Any combination of dimensions, every measure; exportable to Excel."""
    form = _dashboard(request, ExploreForm)
    if not form.is_valid():
        return _invalid(request, form, "reports/explore.html", "explore")
    data = form.cleaned_data
    try:
        stats = _stats(
            form,
            request.user,
            dimensions=data["dimensions"],
            grain=data["grain"],
            rollup=data["rollup"],
            unit_depth=data.get("unit_depth") or form.base_unit().depth + 1,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return _invalid(request, form, "reports/explore.html", "explore")
    names = [m.name for m in selectors.MEASURES]
    table = charts.stats_table(stats, names)
    if request.GET.get("format") == "xlsx":
        sheet = Sheet(
            name="统计",
            title=_("投诉统计"),
            subtitle=f"{data['received_from']} — {data['received_to']}",
            columns=[Column(h, "text", 18) for h in table.headers]
            + [Column(str(s.label), s.kind) for s in table.specs],
            rows=[
                [*r.labels, *[getattr(m, n) for n in names]]
                for r, m in [(r, r.measures) for r in stats.rows]
            ]
            + [
                [_("合计")]
                + [""] * (len(table.headers) - 1)
                + [getattr(stats.total, n) for n in names]
            ],
            total_last=True,
            notes=[str(COUNTING_RULE)],
        )
        return download(write_xlsx([sheet]), "投诉统计.xlsx", XLSX)
    return render(
        request,
        "reports/explore.html",
        _context(request, form, "explore", table=table, total=stats.total),
    )


# --- documents -----------------------------------------------------------------------------------


@login_required
@permission_required("reports.view_regulator_report", raise_exception=True)
def workbook(request: HttpRequest) -> HttpResponse:
    """The regulator workbook: download now, or queue it for a worker."""
    form = PeriodForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid():
        unit = form.unit_obj()
        period = form.cleaned_data["period"]
        try:
            if form.cleaned_data["background"]:
                services.report_run_request(
                    actor=request.user,
                    kind=RunKind.REGULATOR_WORKBOOK,
                    unit=unit,
                    params={"period": period},
                )
                messages.success(request, _("已提交后台生成，完成后可在“报告文件”中下载。"))
                return redirect("reports:files")
            parsed = ReportPeriod.parse(period)
            content = regulator_workbook(viewer=selectors.UnitViewer(unit=unit), period=parsed)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            return download(content, f"{unit.code}-{parsed.code}-投诉统计.xlsx", XLSX)
    return render(
        request,
        "reports/workbook.html",
        {"form": form, "tab": "documents", "counting_rule": COUNTING_RULE},
    )


@login_required
@permission_required("reports.view_work_summary", raise_exception=True)
def summary(request: HttpRequest) -> HttpResponse:
    """The work summary (工作总结) as Word, or PDF."""
    today = localdate(now())
    initial = {"first": date(today.year, 1, 1), "last": today, "format": "docx"}
    form = SummaryForm(request.GET or None, user=request.user, initial=initial)
    if form.is_bound and form.is_valid():
        unit, first, last = form.unit_obj(), form.cleaned_data["first"], form.cleaned_data["last"]
        params = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "format": form.cleaned_data["format"] or "docx",
        }
        try:
            if form.cleaned_data["background"]:
                services.report_run_request(
                    actor=request.user, kind=RunKind.WORK_SUMMARY, unit=unit, params=params
                )
                messages.success(request, _("已提交后台生成，完成后可在“报告文件”中下载。"))
                return redirect("reports:files")
            name, content = services.report_build(
                kind=RunKind.WORK_SUMMARY, unit=unit, params=params
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            return download(content, name, PDF if name.endswith(".pdf") else DOCX)
    return render(request, "reports/summary.html", {"form": form, "tab": "documents"})


@login_required
@permission_required("reports.view_reportrun", raise_exception=True)
def files(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.report_run_list(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "reports/files.html", {"page": page, "tab": "documents"})


@login_required
@permission_required("reports.view_reportrun", raise_exception=True)
def file_download(request: HttpRequest, pk: int) -> FileResponse:
    run = get_visible_or_404(request.user, ReportRun.objects.all(), pk=pk)
    if not request.user.has_perm(f"reports.{services.RUN_PERMISSIONS[RunKind(run.kind)]}"):
        raise PermissionDenied
    if run.status != RunStatus.DONE or not run.file:
        raise Http404
    name = run.file.name.rsplit("/", 1)[-1]
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=name)


# --- typical cases -------------------------------------------------------------------------------


@login_required
@permission_required("reports.view_typicalcase", raise_exception=True)
def typical_list(request: HttpRequest) -> HttpResponse:
    form = TypicalSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    cases = selectors.typical_case_list(
        user=request.user,
        q=data.get("q", ""),
        category=data.get("category", ""),
        published_only=bool(data.get("published")),
    )
    export = request.GET.get("format")
    if export == "docx":
        return download(typical_cases_docx(cases[:500]), "典型案例汇编.docx", DOCX)
    if export == "xlsx":
        return download(typical_cases_xlsx(cases[:5000]), "典型案例清单.xlsx", XLSX)
    page = Paginator(cases, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/typical_list.html",
        {"form": form, "page": page, "tab": "typical", "query": _query(request)},
    )


@login_required
@permission_required("reports.add_typicalcase", raise_exception=True)
def typical_new(request: HttpRequest) -> HttpResponse:
    form = TypicalMarkForm(
        request.POST or None, initial={"registry_no": request.GET.get("case", "")}
    )
    if request.method == "POST" and form.is_valid():
        complaint = (
            visible_to(request.user, Complaint.objects.all())
            .filter(registry_no=form.cleaned_data["registry_no"].strip())
            .first()
        )
        if complaint is None:
            form.add_error("registry_no", _("未找到该台账编号的投诉（或不在您的管辖范围内）。"))
        else:
            try:
                case = services.typical_case_mark(
                    actor=request.user,
                    complaint=complaint,
                    title=form.cleaned_data["title"],
                    lessons=form.cleaned_data["lessons"],
                    tags=form.cleaned_data["tags"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("已生成典型案例初稿，个人信息已去除，请审阅修改后发布。")
                )
                return redirect("reports:typical_detail", pk=case.pk)
    return render(request, "reports/typical_new.html", {"form": form, "tab": "typical"})


@login_required
@permission_required("reports.view_typicalcase", raise_exception=True)
def typical_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_visible_or_404(
        request.user, TypicalCase.objects.select_related("complaint__unit", "author"), pk=pk
    )
    form = TypicalEditForm(request.POST or None, instance=case)
    if request.method == "POST":
        if not request.user.has_perm("reports.change_typicalcase"):
            raise PermissionDenied
        try:
            if "publish" in request.POST or "unpublish" in request.POST:
                services.typical_case_publish(
                    actor=request.user, case=case, publish="publish" in request.POST
                )
                messages.success(request, _("已更新发布状态。"))
                return redirect("reports:typical_detail", pk=case.pk)
            if form.is_valid():
                services.typical_case_update(
                    actor=request.user,
                    case=case,
                    title=form.cleaned_data["title"],
                    write_up=form.cleaned_data["write_up"],
                    lessons=form.cleaned_data["lessons"],
                    tags=form.cleaned_data["tags"],
                )
                messages.success(request, _("已保存（保存时再次去除个人信息）。"))
                return redirect("reports:typical_detail", pk=case.pk)
        except DomainError as exc:
            messages.error(request, str(exc))
    if request.GET.get("format") == "docx":
        return download(
            typical_cases_docx([case], title=case.title), f"典型案例-{case.pk}.docx", DOCX
        )
    return render(
        request, "reports/typical_detail.html", {"case": case, "form": form, "tab": "typical"}
    )


# --- alerts --------------------------------------------------------------------------------------


@login_required
@permission_required("reports.view_alert", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    alerts = selectors.alert_list(
        user=request.user, status=data.get("status", ""), kind=data.get("kind", "")
    )
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/alert_list.html",
        {
            "form": form,
            "page": page,
            "method": METHOD.describe(),
            "tab": "alerts",
            "query": _query(request),
        },
    )


@login_required
@permission_required("reports.view_alert", raise_exception=True)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(
        request.user, Alert.objects.select_related("unit", "handled_by"), pk=pk
    )
    notice_form = RiskNoticeForm(initial={"risk_notice": alert.risk_notice})
    action_form = AlertActionForm()
    return render(
        request,
        "reports/alert_detail.html",
        {
            "alert": alert,
            "notice_form": notice_form,
            "action_form": action_form,
            "method": METHOD.describe(),
            "tab": "alerts",
        },
    )


@login_required
@require_POST
@permission_required("reports.change_alert", raise_exception=True)
def alert_action(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(request.user, Alert.objects.all(), pk=pk)
    try:
        if "risk_notice" in request.POST:
            notice = RiskNoticeForm(request.POST)
            if not notice.is_valid():
                raise DomainError("请填写风险提示内容。")
            services.alert_update_notice(
                actor=request.user, alert=alert, text=notice.cleaned_data["risk_notice"]
            )
            messages.success(request, _("风险提示已保存。"))
        else:
            form = AlertActionForm(request.POST)
            if not form.is_valid():
                raise DomainError("无效的操作。")
            services.alert_transition(
                actor=request.user,
                alert=alert,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("预警状态已更新。"))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("reports:alert_detail", args=[alert.pk]))


@login_required
@permission_required("reports.view_alert", raise_exception=True)
def alert_notice_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk alert as a Word file, ready for the public notice board or the website."""
    alert = get_visible_or_404(request.user, Alert.objects.all(), pk=pk)
    if not alert.risk_notice:
        raise Http404
    return download(risk_notice_docx(alert.risk_notice), f"消费风险提示-{alert.pk}.docx", DOCX)
