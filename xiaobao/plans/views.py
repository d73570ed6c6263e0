"""Workbench pages for plans and tasks: parse, call one service, render.

Refusals answer 403, records out of scope 404, illegal transitions 409, bad input 400 with every
error on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.evidence.selectors import evidence_for
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.scope import get_visible_or_404
from xiaobao.plans import forms, selectors, services
from xiaobao.plans.choices import OPEN_TASK_STATUSES, RegulatorElement, TaskSourceKind
from xiaobao.plans.docx import plan_docx
from xiaobao.plans.models import Plan
from xiaobao.plans.services._common import today
from xiaobao.plans.services.task import can_report, can_verify
from xiaobao.plans.transitions import plan_actions, task_actions


def status_for(exc: DomainError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, InvalidTransitionError):
        return 409
    return 400


def _form_error(form: Any, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[-1]
    form.add_error(field if field in form.fields else None, exc.message)


# --- plans ---------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    form = forms.PlanForm(initial={"year": today().year})
    status = 200
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            parent = None
            if d["parent"]:
                parent = get_visible_or_404(request.user, Plan.objects.all(), pk=d["parent"])
            try:
                plan = services.plan_create(
                    actor=request.user,
                    unit=request.user.unit,  # type: ignore[union-attr]
                    year=d["year"],
                    title=d["title"],
                    basis=d["basis"],
                    goals=d["goals"],
                    parent=parent,
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = status_for(exc)
            else:
                messages.success(request, _("已起草工作计划。"))
                return redirect("plans:plan", pk=plan.pk)
        else:
            status = 400
    plans = selectors.plans_visible(request.user).order_by("-year", "unit__path")
    return render(
        request, "plans/plan_list.html", {"plans": plans[:200], "form": form}, status=status
    )


def _plan_context(request: HttpRequest, plan: Plan, **bound: Any) -> dict[str, Any]:
    tasks = (
        selectors.tasks_visible(request.user)
        .filter(plan=plan)
        .order_by("measure__number", "owner_unit__path", "id")
    )
    day = today()
    return {
        "plan": plan,
        "measures": plan.measures.select_related("lead_department").prefetch_related("tasks"),
        "tasks": [(t, selectors.due_state(t, day)) for t in tasks],
        "actions": plan_actions(plan.status),
        "measure_form": bound.get("measure") or forms.MeasureForm(),
        "measure_edit_form": bound.get("measure_edit"),
        "element_choices": RegulatorElement.choices,
        "cascade_form": bound.get("cascade") or forms.CascadeForm(),
        "task_form": bound.get("task") or forms.TaskForm(user=request.user),
        "reason_form": bound.get("reason") or forms.ReasonForm(),
        "year_end_form": bound.get("year_end")
        or forms.YearEndForm(tasks=tasks.filter(status__in=(*OPEN_TASK_STATUSES, "done"))),
        "events": timeline(plan),
    }


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(request.user, selectors.plans_visible(request.user), pk=pk)
    return render(request, "plans/plan_detail.html", _plan_context(request, plan))


@login_required
@require_POST
def plan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    plan = get_visible_or_404(user, selectors.plans_visible(user), pk=pk)
    bound: dict[str, Any] = {}
    form: Any
    try:
        if action in ("submit", "start"):
            getattr(services, f"plan_{action}")(actor=user, plan=plan)
        elif action == "approve":
            services.plan_approve(actor=user, plan=plan, note=request.POST.get("note", ""))
        elif action == "return":
            bound["reason"] = form = forms.ReasonForm(request.POST)
            services.plan_return(actor=user, plan=plan, reason=request.POST.get("reason", ""))
        elif action == "measure":
            bound["measure"] = form = forms.MeasureForm(request.POST)
            if not form.is_valid():
                return _plan_error(request, plan, bound)
            d = form.cleaned_data
            services.measure_add(
                actor=user, plan=plan, heading=d["heading"], text=d["text"], element=d["element"]
            )
        elif action == "measure_edit":
            bound["measure_edit"] = form = forms.MeasureEditForm(request.POST)
            if not form.is_valid():
                return _plan_error(request, plan, bound)
            d = form.cleaned_data
            measure = plan.measures.filter(pk=d["measure"]).first()
            if measure is None:
                raise DomainError("工作措施不存在。", field="measure")
            services.measure_update(
                actor=user,
                measure=measure,
                heading=d["heading"],
                text=d["text"],
                lead_department=measure.lead_department,
                element=d["element"],
            )
        elif action == "cascade":
            bound["cascade"] = form = forms.CascadeForm(request.POST)
            if not form.is_valid():
                return _plan_error(request, plan, bound)
            d = form.cleaned_data
            measure = plan.measures.filter(pk=d["measure"]).first()
            if measure is None:
                raise DomainError("工作措施不存在。", field="measure")
            services.measure_cascade(
                actor=user,
                measure=measure,
                title=d["title"],
                description=d["description"],
                due_date=d["due_date"],
            )
        elif action == "task":
            bound["task"] = form = forms.TaskForm(request.POST, user=user)
            if not form.is_valid():
                return _plan_error(request, plan, bound)
            d = form.cleaned_data
            measure = plan.measures.filter(pk=d["measure"]).first()
            if measure is None:
                raise DomainError("工作措施不存在。", field="measure")
            services.task_create(
                actor=user,
                source=measure,
                source_kind=TaskSourceKind.PLAN_MEASURE,
                source_label=f"{plan.title} {measure.number}. {measure.heading}"[:200],
                source_url=reverse("plans:plan", args=[plan.pk]),
                issuing_unit=plan.unit,
                owner_unit=d["owner_unit"],
                owner_department=d["owner_department"],
                responsible=d["responsible"],
                title=d["title"],
                description=d["description"],
                start_date=d["start_date"],
                due_date=d["due_date"],
                plan=plan,
                measure=measure,
                milestones=d["milestones"],
                target_metric=d["target_metric"],
                target_comparator=d["target_comparator"],
                target_value=d["target_value"],
            )
        elif action == "close":
            tasks = plan.tasks.exclude(status="cancelled")
            bound["year_end"] = form = forms.YearEndForm(request.POST, tasks=tasks)
            form.is_valid()
            results = {
                t.pk: services.YearEndResultData(
                    request.POST.get(f"result_{t.pk}", ""), request.POST.get(f"reason_{t.pk}", "")
                )
                for t in tasks
                if request.POST.get(f"result_{t.pk}")
            }
            services.plan_close(actor=user, plan=plan, results=results)
        elif action == "copy":
            new = services.plan_copy_next_year(actor=user, plan=plan)
            messages.success(request, _("已生成%(year)s年计划草稿。") % {"year": new.year})
            return redirect("plans:plan", pk=new.pk)
        else:
            return HttpResponse(status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
        for form in bound.values():
            _form_error(form, exc)
        return _plan_error(request, plan, bound, status_for(exc))
    messages.success(request, _("操作成功。"))
    return redirect("plans:plan", pk=plan.pk)


def _plan_error(request: HttpRequest, plan: Plan, bound: dict[str, Any], status: int = 400):
    plan.refresh_from_db()
    return render(
        request, "plans/plan_detail.html", _plan_context(request, plan, **bound), status=status
    )


@login_required
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(request.user, selectors.plans_visible(request.user), pk=pk)
    response = HttpResponse(
        plan_docx(plan),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.year}-{plan.pk}.docx"'
    return response


# --- tasks ---------------------------------------------------------------------------------------


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    day = today()
    user = request.user
    mine = selectors.my_tasks(user).order_by("due_date", "id")
    verify = selectors.to_verify(user).order_by("submitted_at", "id")
    return render(
        request,
        "plans/my_tasks.html",
        {
            "mine": [(t, selectors.due_state(t, day)) for t in mine[:200]],
            "verify": [(t, selectors.due_state(t, day)) for t in verify[:200]],
        },
    )


def _task_context(request: HttpRequest, task: Any, **bound: Any) -> dict[str, Any]:
    user = request.user
    day = today()
    return {
        "task": task,
        "due_state": selectors.due_state(task, day),
        "target": selectors.target_progress(task, day),
        "actions": task_actions(task.status),
        "can_report": can_report(user, task),
        "can_verify": can_verify(user, task),
        "progress": task.progress.select_related("by"),
        "milestones": task.milestones.all(),
        "evidence": evidence_for(task),
        "events": timeline(task),
        "progress_form": bound.get("progress") or forms.ProgressForm(task=task),
        "submit_form": bound.get("submit") or forms.SubmitForm(),
        "reason_form": bound.get("reason") or forms.ReasonForm(),
        "edit_form": bound.get("edit") or forms.TaskEditForm(user=user, task=task),
        "milestone_form": bound.get("milestone") or forms.MilestoneForm(),
        "milestone_remove_form": bound.get("milestone_remove"),
        "can_edit": task.is_open and can_verify(user, task),
        "can_plan": task.is_open and (can_verify(user, task) or can_report(user, task)),
    }


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(request.user, selectors.tasks_visible(request.user), pk=pk)
    return render(request, "plans/task_detail.html", _task_context(request, task))


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    task = get_visible_or_404(user, selectors.tasks_visible(user), pk=pk)
    form_class = {
        "progress": forms.ProgressForm,
        "submit": forms.SubmitForm,
        "accept": forms.NoteForm,
        "return": forms.ReasonForm,
        "cancel": forms.ReasonForm,
        "edit": forms.TaskEditForm,
        "milestone": forms.MilestoneForm,
        "milestone_remove": forms.MilestoneRemoveForm,
    }.get(action)
    if form_class is None:
        return HttpResponse(status=404)
    extra: dict[str, Any] = {}
    if form_class is forms.ProgressForm:
        extra = {"task": task}
    elif form_class is forms.TaskEditForm:
        extra = {"task": task, "user": user}
    form = form_class(request.POST, request.FILES, **extra)
    key = "reason" if form_class is forms.ReasonForm else action
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "progress":
                services.task_progress_add(
                    actor=user,
                    task=task,
                    pct=d["pct"],
                    text=d["text"],
                    files=d["evidence"],
                    milestones_done=d.get("milestones_done") or [],
                )
            elif action == "submit":
                services.task_submit(actor=user, task=task, note=d["note"], files=d["evidence"])
            elif action == "accept":
                services.task_accept(actor=user, task=task, note=d["note"])
            elif action == "return":
                services.task_return(actor=user, task=task, reason=d["reason"])
            elif action == "edit":
                services.task_update(
                    actor=user,
                    task=task,
                    due_date=d["due_date"],
                    reason=d["reason"],
                    owner_department=d["owner_department"],
                    responsible=d["responsible"],
                    co_units=list(d["co_units"]),
                    co_departments=list(d["co_departments"]),
                )
            elif action == "milestone":
                services.milestone_add(
                    actor=user, task=task, title=d["title"], due_date=d["due_date"]
                )
            elif action == "milestone_remove":
                milestone = task.milestones.filter(pk=d["milestone"]).first()
                if milestone is None:
                    raise DomainError("节点不存在。", code="not_found", field="milestone")
                services.milestone_remove(actor=user, milestone=milestone, reason=d["reason"])
            else:
                services.task_cancel(actor=user, task=task, reason=d["reason"])
        except DomainError as exc:
            _form_error(form, exc)
            messages.error(request, exc.message)
            status = status_for(exc)
        else:
            messages.success(request, _("操作成功。"))
            return redirect("plans:task", pk=task.pk)
    task.refresh_from_db()
    context = _task_context(request, task, **{key: form})
    context["open_action"] = action
    return render(request, "plans/task_detail.html", context, status=status)
