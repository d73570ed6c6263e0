"""Workbench pages of assessment: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message naming the field); a run outside the user's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.assessment import charts, exports, selectors, services
from xiaobao.assessment.choices import (
    RUN_TRANSITIONS,
    SCHEME_TRANSITIONS,
    VOLUME_METRICS,
    IndicatorKind,
    Normalisation,
    RunStatus,
    SchemeKind,
)
from xiaobao.assessment.models import Appeal, Run, Scheme, Score
from xiaobao.audit.selectors import timeline
from xiaobao.lib import metrics
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_text
from xiaobao.lib.web import domain_status
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import unit_in_scope, visible_to

FIELD_LABELS = {
    "points": "得分",
    "reason": "理由",
    "decision": "裁定意见",
    "label": "期次名称",
    "first": "期初",
    "last": "期末",
    "due_date": "完成期限",
    "title": "任务名称",
    "file": "文件",
    "requested_points": "申请得分",
    "indicators": "指标",
    "code": "代码",
    "name": "名称",
    "year": "年度",
    "kind": "类型",
    "unit_kinds": "适用机构层级",
    "staff_roles": "适用岗位",
    "kpi_share": "消保考核占综合绩效权重",
    "data_cutoff_days": "数据截止天数",
    "bands": "等级划分",
    "weight": "分值",
    "min_weight": "最低权重",
    "element": "评价要素",
    "metric_key": "取数指标",
    "target": "目标值",
    "zero_at": "零分值",
    "per_event": "每次分值",
    "cap": "封顶分值",
    "normalisation": "折算方式",
}


def _error_text(exc: DomainError, labels: dict[str, str] | None = None) -> str:
    key = (exc.field or "").split(".")[-1]
    label = (labels or {}).get(key) or FIELD_LABELS.get(key, "")
    return f"{label}：{exc.message}" if label else exc.message


@login_required
@permission_required("assessment.view_run", raise_exception=True)
def index(
    request: HttpRequest, error: str = "", status: int = 200, form: Any = None
) -> HttpResponse:
    return render(
        request,
        "assessment/index.html",
        {
            "schemes": selectors.schemes_for(request.user),
            "runs": selectors.runs_for(request.user).order_by("-last", "-id")[:100],
            "regulator_years": services.REGULATOR_YEARS,
            "this_year": date.today().year,
            "unit_kinds": UnitKind.choices,
            "roles": Role.choices,
            "error": error,
            "form": form or {},
        },
        status=status,
    )


def _int(value: str, field: str, label: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise DomainError(
            "%(label)s须为整数。", params={"label": lazy_text(label)}, code="invalid", field=field
        ) from exc


@login_required
@require_POST
def scheme_new(request: HttpRequest) -> HttpResponse:
    """Create a custom (internal) scheme in draft; elements and indicators are added on its page."""
    post = request.POST
    try:
        if not request.user.has_perm("assessment.add_scheme"):
            raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
        scheme = services.scheme_create(
            actor=request.user,
            data=services.SchemeData(
                code=post.get("code", ""),
                name=post.get("name", ""),
                year=_int(post.get("year", ""), "year", "年度"),
                unit_kinds=post.getlist("unit_kinds"),
                staff_roles=post.getlist("staff_roles"),
                kpi_share=post.get("kpi_share") or Decimal(0),  # type: ignore[arg-type]
                data_cutoff_days=_int(
                    post.get("data_cutoff_days") or "10", "data_cutoff_days", "数据截止天数"
                ),
                basis=post.get("basis", "").strip(),
            ),
        )
    except DomainError as exc:
        return index(request, error=_error_text(exc), status=domain_status(exc), form=post)
    messages.success(request, _("方案已创建，请添加评价要素和指标。"))
    return redirect("assessment:scheme", pk=scheme.pk)


def _scheme(request: HttpRequest, pk: int) -> Scheme:
    scheme = Scheme.objects.filter(pk=pk).first()
    if scheme is None or not request.user.has_perm("assessment.view_scheme"):
        raise Http404
    return scheme


@login_required
@require_POST
def element_new(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    post = request.POST
    try:
        services.element_add(
            actor=request.user, scheme=scheme, code=post.get("code", ""),
            name=post.get("name", ""), weight=post.get("weight", ""),
            min_weight=post.get("min_weight", ""), is_deduction=post.get("is_deduction") == "1",
            scope_note=post.get("scope_note", "").strip(),
            ordering=scheme.elements.count() + 1,
        )  # fmt: skip
    except DomainError as exc:
        text = _error_text(exc, {"code": "要素代码", "name": "要素名称", "weight": "权重"})
        return scheme_detail(request, pk, error=text, status=domain_status(exc))
    messages.success(request, _("评价要素已添加。"))
    return redirect("assessment:scheme", pk=pk)


@login_required
@require_POST
def indicator_new(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    post = request.POST
    try:
        element = None
        if post.get("element"):
            element = scheme.elements.filter(
                pk=_int(post["element"], "element", "评价要素")
            ).first()
            if element is None:
                raise DomainError("评价要素不属于本方案。", code="invalid", field="element")
        services.indicator_add(
            actor=request.user,
            scheme=scheme,
            data=services.IndicatorData(
                code=post.get("code", ""),
                name=post.get("name", ""),
                kind=post.get("kind", ""),
                weight=post.get("weight") or Decimal(0),  # type: ignore[arg-type]
                element=element,
                metric_key=post.get("metric_key", ""),
                target=post.get("target") or None,  # type: ignore[arg-type]
                zero_at=post.get("zero_at") or None,  # type: ignore[arg-type]
                per_event=post.get("per_event") or None,  # type: ignore[arg-type]
                cap=post.get("cap") or None,  # type: ignore[arg-type]
                normalisation=post.get("normalisation") or Normalisation.NONE,
                guidance=post.get("guidance", "").strip(),
                ordering=scheme.indicators.count() + 1,
            ),
        )
    except DomainError as exc:
        return scheme_detail(
            request, pk, error=_error_text(exc), status=domain_status(exc), form=post
        )
    messages.success(request, _("指标已添加。"))
    return redirect("assessment:scheme", pk=pk)


@login_required
def my_results(request: HttpRequest) -> HttpResponse:
    """我的考核: the person's own staff lines of final and locked runs, with their scores — only
    themself, whatever their role."""
    lines = [
        {"result": line, "scores": list(selectors.own_scores(request.user, line))}
        for line in selectors.own_results(request.user)
    ]
    return render(request, "assessment/mine.html", {"lines": lines})


@login_required
@permission_required("assessment.view_scheme", raise_exception=True)
def scheme_detail(
    request: HttpRequest, pk: int, error: str = "", status: int = 200, form: Any = None
) -> HttpResponse:
    try:
        scheme = selectors.schemes_for(request.user).get(pk=pk)
    except Scheme.DoesNotExist as exc:
        raise Http404 from exc
    units = visible_to(request.user, Unit.objects.filter(is_active=True)).order_by("path")
    return render(
        request,
        "assessment/scheme_detail.html",
        {
            "scheme": scheme,
            "elements": scheme.elements.all(),
            "indicators": scheme.indicators.select_related("element"),
            "problems": services.scheme_problems(scheme),
            "next_status": sorted(SCHEME_TRANSITIONS[scheme.status]),
            "units": units,
            "error": error,
            "form": form or {},
            "indicator_kinds": IndicatorKind.choices,
            "normalisations": Normalisation.choices,
            "metric_choices": sorted(
                (key, str(m.label))
                for key, m in metrics.registry().items()
                if key not in VOLUME_METRICS
            ),
            "events": timeline(scheme),
        },
        status=status,
    )


@login_required
@require_POST
def scheme_advance(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = Scheme.objects.filter(pk=pk).first()
    if scheme is None or not request.user.has_perm("assessment.view_scheme"):
        raise Http404
    try:
        services.scheme_advance(
            actor=request.user, scheme=scheme, to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
        )  # fmt: skip
    except DomainError as exc:
        return scheme_detail(request, pk, error=_error_text(exc), status=domain_status(exc))
    messages.success(request, _("方案状态已更新。"))
    return redirect("assessment:scheme", pk=pk)


@login_required
@require_POST
def scheme_load(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.POST.get("year", "0"))
        scheme_year = int(request.POST.get("scheme_year", "0")) or None
        scheme = services.scheme_load_regulator(
            actor=request.user, year=year, scheme_year=scheme_year
        )
    except ValueError:
        messages.error(request, _("年度：请填写数字。"))
        return redirect("assessment:index")
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("assessment:index")
    messages.success(request, _("已载入监管评价要素。"))
    return redirect("assessment:scheme", pk=scheme.pk)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("请填写有效日期（YYYY-MM-DD）。", code="invalid", field=field) from exc


@login_required
@require_POST
def run_new(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = Scheme.objects.filter(pk=pk).first()
    if scheme is None or not request.user.has_perm("assessment.view_scheme"):
        raise Http404
    try:
        unit = Unit.objects.filter(pk=request.POST.get("unit") or 0).first()
        if unit is None or not unit_in_scope(request.user, unit):
            raise DomainError("请选择考核范围。", code="required", field="unit")
        run = services.run_create(
            actor=request.user,
            scheme=scheme,
            unit=unit,
            label=request.POST.get("label", ""),
            first=_date(request.POST.get("first", ""), "first"),
            last=_date(request.POST.get("last", ""), "last"),
        )
    except DomainError as exc:
        return scheme_detail(request, pk, error=_error_text(exc), status=domain_status(exc))
    messages.success(request, _("已取数并计算得分。"))
    return redirect("assessment:run", pk=run.pk)


def _run(request: HttpRequest, pk: int) -> Run:
    try:
        return selectors.runs_for(request.user).get(pk=pk)
    except Run.DoesNotExist as exc:
        raise Http404 from exc


def _unit_of(request: HttpRequest, run: Run, results: list[Any]) -> Unit | None:
    wanted = request.GET.get("unit") or request.POST.get("view_unit")
    units = {r.unit_id: r.unit for r in results}
    if wanted and wanted.isdigit():
        if int(wanted) not in units:
            raise Http404
        return units[int(wanted)]
    own = getattr(request.user, "unit_id", None)
    if own in units:
        return units[own]
    return results[0].unit if results else None


@login_required
@permission_required("assessment.view_run", raise_exception=True)
def run_detail(request: HttpRequest, pk: int, error: str = "", status: int = 200) -> HttpResponse:
    run = _run(request, pk)
    results = list(selectors.results_for(request.user, run))
    staff_results = list(selectors.staff_results_for(request.user, run))
    person = None
    unit: Unit | None = None
    wanted = request.GET.get("staff") or request.POST.get("view_staff")
    if wanted:
        line = next((r for r in staff_results if str(r.staff_id) == wanted), None)
        if line is None:
            raise Http404
        person, unit = line.staff, line.unit
        scores = list(selectors.scores_for(request.user, run, staff=person))
    else:
        unit = _unit_of(request, run, results)
        scores = list(selectors.scores_for(request.user, run).filter(unit=unit)) if unit else []
    breakdown = selectors.element_breakdown(run, scores)
    is_regulator = run.scheme.kind == SchemeKind.REGULATOR
    rows = [
        {
            "score": s,
            "links": selectors.evidence_links(s),
            "appeals": list(s.appeals.all()),
        }
        for s in scores
    ]
    return render(
        request,
        "assessment/run_detail.html",
        {
            "run": run,
            "results": results,
            "staff_results": staff_results,
            "person": person,
            "unit": unit,
            "rows": rows,
            "breakdown": breakdown,
            "results_chart": charts.results_svg(results),
            "element_chart": charts.elements_svg(breakdown),
            "is_regulator": is_regulator,
            "next_status": sorted(RUN_TRANSITIONS[run.status]),
            "can_change": request.user.has_perm("assessment.change_run")
            and unit_in_scope(request.user, run.unit),
            "can_appeal": run.status == RunStatus.APPEAL
            and request.user.has_perm("assessment.add_appeal"),
            "appeals": list(selectors.appeals_for(request.user, run)),
            "corrections": run.corrections.all(),
            "manual_kinds": (
                IndicatorKind.MANUAL,
                IndicatorKind.VETO,
                IndicatorKind.DEDUCTION,
                IndicatorKind.BONUS,
            ),
            "missing": services.missing_manual(run),
            "error": error,
            "events": timeline(run),
        },
        status=status,
    )


def _after(request: HttpRequest, run: Run, fn: Any, ok: str) -> HttpResponse:
    try:
        fn()
    except DomainError as exc:
        return run_detail(request, run.pk, error=_error_text(exc), status=domain_status(exc))
    messages.success(request, ok)
    url = f"/assessment/runs/{run.pk}/"
    if request.POST.get("view_staff", "").isdigit():
        url += f"?staff={request.POST['view_staff']}"
    elif request.POST.get("view_unit", "").isdigit():
        url += f"?unit={request.POST['view_unit']}"
    return redirect(url)


@login_required
@require_POST
def run_advance(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    return _after(
        request, run,
        lambda: services.run_advance(
            actor=request.user, run=run, to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("考核状态已更新。"),
    )  # fmt: skip


@login_required
@require_POST
def run_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    return _after(
        request, run, lambda: services.run_refresh(actor=request.user, run=run), _("已重新取数。")
    )


@login_required
@require_POST
def run_correct(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    try:
        new = services.run_correct(
            actor=request.user, run=run, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return run_detail(request, run.pk, error=_error_text(exc), status=domain_status(exc))
    messages.success(request, _("已新建更正期次。"))
    return redirect("assessment:run", pk=new.pk)


def _score(request: HttpRequest, run: Run) -> Score:
    score = (
        visible_to(request.user, run.scores.all()).filter(pk=request.POST.get("score") or 0).first()
    )
    if score is None:
        raise Http404
    return score


@login_required
@require_POST
def score_set(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    score = _score(request, run)
    return _after(
        request, run,
        lambda: services.score_set(
            actor=request.user, score=score, points=request.POST.get("points", ""),
            note=request.POST.get("note", ""),
        ),
        _("评分已保存。"),
    )  # fmt: skip


@login_required
@require_POST
def score_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    score = _score(request, run)
    upload = request.FILES.get("file")

    def add() -> None:
        if upload is None:
            raise DomainError("请选择文件。", code="required", field="file")
        services.score_evidence_add(
            actor=request.user, score=score, upload=upload, label=request.POST.get("label", "")
        )

    return _after(request, run, add, _("证据已添加。"))


@login_required
@require_POST
def gap_task(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    score = _score(request, run)

    def create() -> None:
        due = request.POST.get("due_date", "")
        services.gap_task(
            actor=request.user, score=score, title=request.POST.get("title", ""),
            due_date=_date(due, "due_date") if due else None,
        )  # fmt: skip

    return _after(request, run, create, _("已生成整改任务。"))


@login_required
@require_POST
def appeal_file(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    score = _score(request, run)
    return _after(
        request, run,
        lambda: services.appeal_file(
            actor=request.user, score=score, reason=request.POST.get("reason", ""),
            requested_points=request.POST.get("requested_points", ""),
            upload=request.FILES.get("file"),
        ),
        _("申诉已提交。"),
    )  # fmt: skip


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    appeal = (
        selectors.appeals_for(request.user, run).filter(pk=request.POST.get("appeal") or 0).first()
    )
    if appeal is None:
        raise Http404
    return _after(
        request, run,
        lambda: services.appeal_decide(
            actor=request.user, appeal=appeal, upheld=request.POST.get("upheld") == "1",
            decision=request.POST.get("decision", ""), points=request.POST.get("points", ""),
        ),
        _("申诉已裁定。"),
    )  # fmt: skip


@login_required
@permission_required("assessment.export_run", raise_exception=True)
def run_hr_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    lines = [
        *selectors.results_for(request.user, run),
        *selectors.staff_results_for(request.user, run),
    ]
    content = exports.hr_workbook(run, lines)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{run.pk}-hr.xlsx"'
    return response


@login_required
@permission_required("assessment.view_run", raise_exception=True)
def run_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The 自评报告 (self-assessment report) by element, as Word, for the chosen unit."""
    run = _run(request, pk)
    results = list(selectors.results_for(request.user, run))
    unit = _unit_of(request, run, results)
    if unit is None:
        raise Http404
    content = exports.self_assessment_docx(
        run, unit, list(selectors.scores_for(request.user, run).filter(unit=unit))
    )
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="self-assessment-{run.pk}-{unit.code}.docx"'
    )
    return response


@login_required
@permission_required("assessment.view_run", raise_exception=True)
def self_assessment(request: HttpRequest) -> HttpResponse:
    run = selectors.latest_self_assessment(request.user)
    if run is None:
        messages.info(request, _("尚未开展监管评价自评估。"))
        return redirect("assessment:index")
    return redirect("assessment:run", pk=run.pk)


__all__ = ["Appeal"]
