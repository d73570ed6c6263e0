"""Workbench pages of the partner list: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message on its field); a record outside the user's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.evidence.selectors import evidence_for
from xiaobao.lib.errors import DomainError
from xiaobao.lib.web import domain_status, form_error
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.partners import selectors, services
from xiaobao.partners.choices import (
    PARTNER_TRANSITIONS,
    Criterion,
    EvaluationStatus,
    ExitStatus,
    ExitStep,
    PartnerStatus,
    PartnerType,
)
from xiaobao.partners.forms import (
    AdmissionForm,
    AgreementForm,
    ConcludeForm,
    EvaluationForm,
    ExitConfirmForm,
    ExitStartForm,
    LicenceForm,
    LinkForm,
    PartnerForm,
    SignForm,
    TransitionForm,
)
from xiaobao.partners.models import Agreement, Evaluation, Exit, Partner, PartnerComplaint


def _units(user: Any) -> Any:
    return visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")


def _partner(request: HttpRequest, pk: int) -> Partner:
    try:
        return selectors.partners_for(request.user).get(pk=pk)
    except Partner.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@permission_required("partners.view_partner", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    partners = selectors.partners_for(request.user)
    status, kind, q = (request.GET.get(k, "") for k in ("status", "type", "q"))
    if status in PartnerStatus.values:
        partners = partners.filter(status=status)
    if kind in PartnerType.values:
        partners = partners.filter(type=kind)
    if q.strip():
        partners = partners.filter(Q(name__icontains=q.strip()) | Q(credit_code=q.strip().upper()))
    return render(
        request,
        "partners/index.html",
        {
            "partners": partners.prefetch_related("licences")[:300],
            "statuses": PartnerStatus.choices,
            "types": PartnerType.choices,
            "status": status,
            "kind": kind,
            "q": q,
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("partners.add_partner", raise_exception=True)
def partner_new(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None, units=_units(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=request.user, data=form.data_object())
        except DomainError as exc:
            form_error(form, exc)
            return render(
                request, "partners/partner_form.html", {"form": form}, status=domain_status(exc)
            )
        messages.success(request, _("合作机构已登记（拟准入）。"))
        return redirect("partners:partner", pk=partner.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "partners/partner_form.html", {"form": form}, status=status)


@login_required
@permission_required("partners.change_partner", raise_exception=True)
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_visible_or_404(request.user, Partner.objects.all(), pk=pk)
    initial = {
        "name": partner.name,
        "credit_code": partner.credit_code,
        "type": partner.type,
        "business_lines": "、".join(partner.business_lines),
        "unit": partner.unit,
        "department": partner.department,
        "allowed_units": list(partner.allowed_units.all()),
    }
    form = PartnerForm(request.POST or None, initial=initial, units=_units(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(actor=request.user, partner=partner, data=form.data_object())
        except DomainError as exc:
            form_error(form, exc)
            return render(
                request,
                "partners/partner_form.html",
                {"form": form, "partner": partner},
                status=domain_status(exc),
            )
        messages.success(request, _("已保存。"))
        return redirect("partners:partner", pk=partner.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "partners/partner_form.html", {"form": form, "partner": partner}, status=status
    )


def _detail(
    request: HttpRequest, partner: Partner, status: int = 200, **forms: Any
) -> HttpResponse:
    today = timezone.localdate()
    links = visible_to(request.user, PartnerComplaint.objects.filter(partner=partner))
    owner = visible_to(request.user, Partner.objects.filter(pk=partner.pk)).exists()
    defaults = {
        "admission_form": AdmissionForm(initial={"criteria": Criterion.values}, auto_id="admit_%s"),
        "licence_form": LicenceForm(auto_id="licence_%s"),
        "agreement_form": AgreementForm(auto_id="agreement_%s"),
        "evaluation_form": EvaluationForm(
            initial={
                "period_start": today.replace(year=today.year - 1),
                "period_end": today,
                "cooperation_timely": True,
            },
            auto_id="evaluation_%s",
        ),
        "exit_form": ExitStartForm(auto_id="exit_%s"),
        "link_form": LinkForm(auto_id="link_%s"),
        "transition_form": TransitionForm(auto_id="transition_%s"),
    }
    context = {
        "partner": partner,
        "owner": owner,
        "today": today,
        "licences": partner.licences.all(),
        "allowed_units": partner.allowed_units.order_by("path"),
        "admissions": partner.admissions.select_related("decided_by"),
        "agreements": partner.agreements.all() if owner else [],
        "evaluations": partner.evaluations.all() if owner else [],
        "exits": partner.exits.all() if owner else [],
        "open_exit": selectors.open_exit(partner),
        "links": links.select_related("complaint", "complaint__unit").order_by(
            "-complaint__received_at"
        )[:100],
        "next_status": [
            s
            for s in PARTNER_TRANSITIONS[partner.status]
            if s not in (PartnerStatus.EXITED,)
            and not (s == PartnerStatus.LISTED and partner.status == PartnerStatus.PROPOSED)
        ],
        "statuses": dict(PartnerStatus.choices),
        "events": timeline(partner) if owner else [],
        "criteria": Criterion.choices,
    }
    context.update(defaults | forms)
    return render(request, "partners/partner_detail.html", context, status=status)


@login_required
@permission_required("partners.view_partner", raise_exception=True)
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _partner(request, pk))


_ACTIONS = {
    "admit": ("admission_form", AdmissionForm),
    "transition": ("transition_form", TransitionForm),
    "licence": ("licence_form", LicenceForm),
    "agreement": ("agreement_form", AgreementForm),
    "evaluation": ("evaluation_form", EvaluationForm),
    "exit": ("exit_form", ExitStartForm),
    "link": ("link_form", LinkForm),
}


def _run(request: HttpRequest, partner: Partner, name: str, form: Any) -> Any:
    c = form.cleaned_data
    user = request.user
    if name == "admit":
        criteria = {k: k in c["criteria"] for k in Criterion.values}
        services.admission_decide(
            actor=user,
            partner=partner,
            criteria=criteria,
            cp_opinion=c["cp_opinion"],
            decision=c["decision"],
            reason=c["reason"],
        )
        return redirect("partners:partner", pk=partner.pk)
    if name == "transition":
        services.partner_transition(actor=user, partner=partner, to=c["to"], reason=c["reason"])
        return redirect("partners:partner", pk=partner.pk)
    if name == "licence":
        services.licence_add(actor=user, partner=partner, **c)
        return redirect("partners:partner", pk=partner.pk)
    if name == "agreement":
        services.agreement_create(actor=user, partner=partner, data=form.data_object())
        return redirect("partners:partner", pk=partner.pk)
    if name == "evaluation":
        evaluation = services.evaluation_create(
            actor=user, partner=partner, data=form.data_object()
        )
        return redirect("partners:evaluation", pk=evaluation.pk)
    if name == "exit":
        exit = services.exit_start(actor=user, partner=partner, **c)
        return redirect("partners:exit", pk=exit.pk)
    from xiaobao.complaints.models import Complaint

    complaint = visible_to(user, Complaint.objects.filter(registry_no=c["registry_no"].strip()))
    found = complaint.first()
    if found is None:
        raise DomainError("未找到该台账编号的投诉（或不在您的管辖范围内）。", field="registry_no")
    services.complaint_link(
        actor=user, partner=partner, complaint=found, role=c["role"], note=c["note"]
    )
    return redirect("partners:partner", pk=partner.pk)


@login_required
@require_POST
def partner_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in _ACTIONS:
        raise Http404
    partner = _partner(request, pk)
    key, form_class = _ACTIONS[name]
    form = form_class(request.POST, request.FILES, auto_id=f"{name}_%s")
    if not form.is_valid():
        return _detail(request, partner, status=400, **{key: form})
    try:
        response = _run(request, partner, name, form)
    except DomainError as exc:
        form_error(form, exc)
        return _detail(request, partner, status=domain_status(exc), **{key: form})
    messages.success(request, _("已保存。"))
    return response


@login_required
@require_POST
def agreement_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    agreement = get_visible_or_404(request.user, Agreement.objects.select_related("partner"), pk=pk)
    form = SignForm(request.POST)
    form.is_valid()
    try:
        if name == "sign":
            services.agreement_sign(
                actor=request.user,
                agreement=agreement,
                exception_reason=form.cleaned_data.get("exception_reason", ""),
            )
        elif name == "review":
            review = services.agreement_submit_review(
                actor=request.user,
                agreement=agreement,
                documents=[f for f in request.FILES.getlist("document") if f],
            )
            messages.success(request, _("已提交消保审查：%(number)s") % {"number": review.number})
            return redirect("partners:partner", pk=agreement.partner_id)
        elif name == "terminate":
            services.agreement_terminate(
                actor=request.user, agreement=agreement, reason=request.POST.get("reason", "")
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
        code = domain_status(exc)
        if code == 400:
            return redirect("partners:partner", pk=agreement.partner_id)
        return HttpResponse(exc.message, status=code)
    messages.success(request, _("协议状态已更新。"))
    return redirect("partners:partner", pk=agreement.partner_id)


# --- evaluations ----------------------------------------------------------------------------------


def _evaluation_page(
    request: HttpRequest, evaluation: Evaluation, form: Any = None, status: int = 200
) -> HttpResponse:
    partner = evaluation.partner
    links = selectors.linked_complaints(partner, evaluation.period_start, evaluation.period_end)
    live = selectors.complaint_figures(partner, evaluation.period_start, evaluation.period_end)
    return render(
        request,
        "partners/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "partner": partner,
            "links": links,
            "live": live,
            "rate": selectors.evaluation_rate(evaluation),
            "form": form or ConcludeForm(),
            "is_draft": evaluation.status == EvaluationStatus.DRAFT,
            "events": timeline(evaluation),
        },
        status=status,
    )


@login_required
@permission_required("partners.view_evaluation", raise_exception=True)
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_visible_or_404(
        request.user, Evaluation.objects.select_related("partner"), pk=pk
    )
    return _evaluation_page(request, evaluation)


@login_required
@require_POST
def evaluation_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_visible_or_404(
        request.user, Evaluation.objects.select_related("partner"), pk=pk
    )
    form = ConcludeForm(request.POST)
    if not form.is_valid():
        return _evaluation_page(request, evaluation, form, status=400)
    try:
        services.evaluation_conclude(actor=request.user, evaluation=evaluation, **form.cleaned_data)
    except DomainError as exc:
        form_error(form, exc)
        return _evaluation_page(request, evaluation, form, status=domain_status(exc))
    messages.success(request, _("评价已定论。"))
    return redirect("partners:evaluation", pk=evaluation.pk)


# --- exits ----------------------------------------------------------------------------------------


def _exit_page(
    request: HttpRequest, exit: Exit, form: Any = None, status: int = 200, error: str = ""
) -> HttpResponse:
    confirmed = {c.step: c for c in exit.confirmations.select_related("confirmed_by")}
    steps = [
        {
            "key": key,
            "label": label,
            "confirmation": confirmed.get(key),
            "files": evidence_for(confirmed[key]) if key in confirmed else [],
        }
        for key, label in ExitStep.choices
    ]
    pending = [s["key"] for s in steps if s["confirmation"] is None]
    form = form or ExitConfirmForm(initial={"step": pending[0] if pending else ""})
    return render(
        request,
        "partners/exit_detail.html",
        {
            "exit": exit,
            "partner": exit.partner,
            "steps": steps,
            "form": form,
            "in_progress": exit.status == ExitStatus.IN_PROGRESS,
            "all_confirmed": not pending,
            "error": error,
            "events": timeline(exit),
        },
        status=status,
    )


def _exit(request: HttpRequest, pk: int) -> Exit:
    return get_visible_or_404(request.user, Exit.objects.select_related("partner"), pk=pk)


@login_required
@permission_required("partners.view_exit", raise_exception=True)
def exit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _exit_page(request, _exit(request, pk))


@login_required
@require_POST
def exit_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    exit = _exit(request, pk)
    form = ExitConfirmForm(request.POST, request.FILES)
    if not form.is_valid():
        return _exit_page(request, exit, form, status=400)
    c = form.cleaned_data
    try:
        services.exit_confirm(
            actor=request.user,
            exit=exit,
            step=c["step"],
            note=c["note"],
            evidence=[c["evidence"]] if c["evidence"] else [],
        )
    except DomainError as exc:
        form_error(form, exc)
        return _exit_page(request, exit, form, status=domain_status(exc))
    messages.success(request, _("已确认。"))
    return redirect("partners:exit", pk=exit.pk)


@login_required
@require_POST
def exit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    exit = _exit(request, pk)
    try:
        services.exit_complete(actor=request.user, exit=exit)
    except DomainError as exc:
        return _exit_page(request, exit, status=domain_status(exc), error=exc.message)
    messages.success(request, _("退出已完成。"))
    return redirect("partners:exit", pk=exit.pk)


@login_required
@require_POST
def case_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page's panel: name the partner a complaint involves, back to the case."""
    from xiaobao.complaints.models import Complaint

    complaint = get_visible_or_404(request.user, Complaint.objects.all(), pk=pk)
    partner_id = request.POST.get("partner", "")
    partner = (
        selectors.partners_for(request.user).filter(pk=int(partner_id)).first()
        if partner_id.isdigit()
        else None
    )
    try:
        if partner is None:
            raise DomainError("请选择合作机构。", field="partner")
        services.complaint_link(
            actor=request.user,
            partner=partner,
            complaint=complaint,
            role=request.POST.get("role", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        if domain_status(exc) != 400:
            return HttpResponse(exc.message, status=domain_status(exc))
        return redirect("complaints:detail", pk=complaint.pk)
    messages.success(request, _("已关联合作机构。"))
    return redirect("complaints:detail", pk=complaint.pk)
