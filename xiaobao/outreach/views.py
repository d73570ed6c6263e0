"""Workbench pages of outreach: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message); a record outside the user's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.evidence.selectors import evidence_for, reused_elsewhere
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, unit_in_scope, visible_to
from xiaobao.outreach import exports, report_form, selectors, services
from xiaobao.outreach.choices import CAMPAIGN_OPEN, CAMPAIGN_TRANSITIONS, EDITABLE, ActivityStatus
from xiaobao.outreach.forms import (
    ActivityRecordForm,
    CampaignForm,
    EvidenceForm,
    MaterialForm,
    ReasonForm,
    SpotComplaintForm,
)
from xiaobao.outreach.models import Activity, Campaign, Material


def _status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, InvalidTransitionError):
        return 409
    return 400


def _form_error(form: Any, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[-1]
    form.add_error(field if field in form.fields else None, exc.message)


def _units(user: Any) -> Any:
    return visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")


@login_required
@permission_required("outreach.view_activity", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    activities = selectors.activities_for(request.user)
    status = request.GET.get("status", "")
    if status in ActivityStatus.values:
        activities = activities.filter(status=status)
    return render(
        request,
        "outreach/index.html",
        {
            "campaigns": selectors.campaigns_for(request.user)[:50],
            "activities": activities[:100],
            "statuses": ActivityStatus.choices,
            "status": status,
        },
    )


@login_required
@permission_required("outreach.add_campaign", raise_exception=True)
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, request.FILES or None, units=_units(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                actor=request.user, data=form.data_object(), notice=form.cleaned_data["notice"]
            )
        except DomainError as exc:
            _form_error(form, exc)
            return render(
                request, "outreach/campaign_form.html", {"form": form}, status=_status(exc)
            )
        messages.success(request, _("活动方案已创建（草稿）。"))
        return redirect("outreach:campaign", pk=campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "outreach/campaign_form.html", {"form": form}, status=status)


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    try:
        return selectors.campaigns_for(request.user).get(pk=pk)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc


def _report_unit(request: HttpRequest, campaign: Campaign) -> Unit:
    """The unit whose subtree the page totals: the one asked for, else the narrowest common root."""
    root = selectors.narrower(campaign.unit, request.user.unit)  # type: ignore[union-attr]
    if root is None:
        raise Http404
    wanted = request.GET.get("unit")
    if wanted and wanted.isdigit():
        unit = Unit.objects.filter(pk=int(wanted)).first()
        if (
            unit is None
            or not unit_in_scope(request.user, unit)
            or not unit.path.startswith(root.path)
        ):
            raise Http404
        return unit
    return root


@login_required
@permission_required("outreach.view_campaign", raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    unit = _report_unit(request, campaign)
    totals = selectors.campaign_figures(campaign, unit)
    labels = report_form.columns()
    columns = [(labels[key], totals[key]) for key in campaign.report_columns]
    rows = [
        (child, [figures[key] for key in campaign.report_columns])
        for child, figures in selectors.campaign_rows(campaign, unit)
    ]
    activities = selectors.activities_for(request.user).filter(campaign=campaign)
    return render(
        request,
        "outreach/campaign_detail.html",
        {
            "campaign": campaign,
            "unit": unit,
            "totals": totals,
            "columns": columns,
            "headers": [labels[key] for key in campaign.report_columns],
            "rows": rows,
            "non_reporters": selectors.non_reporters(campaign, unit),
            "activities": activities,
            "next_status": sorted(CAMPAIGN_TRANSITIONS[campaign.status]),
            "is_open": campaign.status in CAMPAIGN_OPEN,
            "events": timeline(campaign),
            "notice_files": evidence_for(campaign),
            "past_deadline": timezone.localdate() > campaign.report_deadline,
        },
    )


@login_required
@require_POST
def campaign_advance(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        services.campaign_advance(
            actor=request.user, campaign=campaign, to=request.POST.get("to", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return (
            redirect("outreach:campaign", pk=campaign.pk)
            if _status(exc) == 400
            else HttpResponse(exc.message, status=_status(exc))
        )
    messages.success(request, _("活动方案状态已更新。"))
    return redirect("outreach:campaign", pk=campaign.pk)


@login_required
@permission_required("outreach.export_campaign", raise_exception=True)
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    unit = _report_unit(request, campaign)
    response = HttpResponse(
        exports.campaign_xlsx(campaign, unit),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="outreach-{campaign.pk}-{unit.code}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- activities -----------------------------------------------------------------------------------


def _activity_form(
    request: HttpRequest, current: Activity | None = None, **kwargs: Any
) -> ActivityRecordForm:
    # Open campaigns, and the one a reopened activity already belongs to (even if locked).
    keep = Q(pk=current.campaign_id) if current is not None and current.campaign_id else Q()
    campaigns = selectors.campaigns_for(request.user).filter(Q(status__in=CAMPAIGN_OPEN) | keep)
    return ActivityRecordForm(
        request.POST or None,
        request.FILES or None,
        units=_units(request.user),
        campaigns=campaigns,
        **kwargs,
    )


@login_required
@permission_required("outreach.add_activity", raise_exception=True)
def activity_new(request: HttpRequest) -> HttpResponse:
    initial = {"unit": request.user.unit, "campaign": request.GET.get("campaign")}  # type: ignore[union-attr]
    form = _activity_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, data=form.data_object(), photos=form.cleaned_data["photos"]
            )
        except DomainError as exc:
            _form_error(form, exc)
            context = {"form": form, "activity": None}
            return render(request, "outreach/activity_form.html", context, status=_status(exc))
        messages.success(request, _("活动已保存为草稿；请核对照片后提交审核。"))
        return redirect("outreach:activity", pk=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "outreach/activity_form.html", {"form": form, "activity": None}, status=status
    )


def _initial(activity: Activity) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(activity, name) for name in services._FIELDS if name != "campaign"
    }
    initial |= {
        "campaign": activity.campaign_id,
        "unit": activity.unit_id,
        "co_units": list(activity.co_units.all()),
        "topics": list(activity.topics.all()),
        "key_groups": activity.key_groups,
    }
    for audience in activity.audiences.all():
        initial[f"group_{audience.group}"] = audience.count
    for i, handed in enumerate(activity.materials.all()[:3]):
        initial[f"material_{i}"], initial[f"quantity_{i}"] = handed.material_id, handed.quantity
    return initial


@login_required
@permission_required("outreach.change_activity", raise_exception=True)
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_visible_or_404(request.user, Activity.objects.all(), pk=pk)
    form = _activity_form(request, current=activity, initial=_initial(activity))
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, data=form.data_object())
            for upload in form.cleaned_data["photos"]:
                services.activity_add_evidence(actor=request.user, activity=activity, upload=upload)
        except DomainError as exc:
            _form_error(form, exc)
            context = {"form": form, "activity": activity}
            return render(request, "outreach/activity_form.html", context, status=_status(exc))
        messages.success(request, _("活动已修改。"))
        return redirect("outreach:activity", pk=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "outreach/activity_form.html", {"form": form, "activity": activity}, status=status
    )


def _activity(request: HttpRequest, pk: int) -> Activity:
    try:
        return selectors.activities_for(request.user).get(pk=pk)
    except Activity.DoesNotExist as exc:
        raise Http404 from exc


def _activity_context(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    files = list(evidence_for(activity))
    reused = reused_elsewhere(files)
    held_on = timezone.localdate(activity.starts_at)
    # Advisory only: apps often strip or rewrite EXIF, so a mismatch is a question, not a refusal.
    taken_elsewhen = {
        f.pk for f in files if f.taken_at and timezone.localdate(f.taken_at) != held_on
    }
    owned = unit_in_scope(request.user, activity.unit)
    return {
        "activity": activity,
        "files": [(f, reused.get(f.pk, []), f.pk in taken_elsewhen) for f in files],
        "reused_count": len(reused),
        "audiences": activity.audiences.all(),
        "materials": activity.materials.select_related("material"),
        "complaints": activity.complaints.select_related("complaint"),
        "co_units": activity.co_units.all(),
        "topics": activity.topics.all(),
        "events": timeline(activity),
        "is_co_unit_view": not owned,
        "can_edit": owned
        and activity.status in EDITABLE
        and request.user.has_perm("outreach.change_activity"),
        "can_approve": owned
        and activity.status == ActivityStatus.SUBMITTED
        and request.user.has_perm("outreach.approve_activity")
        and activity.created_by_id != request.user.pk,
        "can_reopen": owned
        and activity.status in (ActivityStatus.APPROVED, ActivityStatus.LOCKED)
        and request.user.has_perm("outreach.approve_activity"),
        "reason_form": ReasonForm(),
        "evidence_form": EvidenceForm(),
        "complaint_form": SpotComplaintForm(),
        "can_register_complaint": owned
        and activity.status != ActivityStatus.LOCKED
        and request.user.has_perm("outreach.change_activity")
        and request.user.has_perm("complaints.add_complaint"),
    }


@login_required
@permission_required("outreach.view_activity", raise_exception=True)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    return render(request, "outreach/activity_detail.html", _activity_context(request, activity))


ACTIONS = {
    "submit": ("activity_submit", gettext_lazy("活动已提交审核。")),
    "approve": ("activity_approve", gettext_lazy("活动已审核通过，已计入合计。")),
    "return": ("activity_return", gettext_lazy("活动已退回。")),
    "reopen": ("activity_reopen", gettext_lazy("活动已重新打开。")),
}


@login_required
@require_POST
def activity_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in ACTIONS:
        raise Http404
    activity = get_visible_or_404(request.user, Activity.objects.all(), pk=pk)
    service, done = ACTIONS[name]
    kwargs: dict[str, Any] = {"actor": request.user, "activity": activity}
    if name in ("return", "reopen"):
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        getattr(services, service)(**kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        activity.refresh_from_db()
        context = _activity_context(request, activity)
        return render(request, "outreach/activity_detail.html", context, status=_status(exc))
    messages.success(request, done)
    return redirect("outreach:activity", pk=activity.pk)


@login_required
@require_POST
def activity_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_visible_or_404(request.user, Activity.objects.all(), pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("outreach:activity", pk=activity.pk)
    try:
        for upload in form.cleaned_data["photos"]:
            services.activity_add_evidence(actor=request.user, activity=activity, upload=upload)
    except DomainError as exc:
        messages.error(request, exc.message)
        context = _activity_context(request, activity)
        return render(request, "outreach/activity_detail.html", context, status=_status(exc))
    messages.success(request, _("材料已上传。"))
    return redirect("outreach:activity", pk=activity.pk)


@login_required
@require_POST
def activity_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_visible_or_404(request.user, Activity.objects.all(), pk=pk)
    form = SpotComplaintForm(request.POST)
    context = _activity_context(request, activity)
    if not form.is_valid():
        messages.error(request, _("请填写现场投诉的必填项。"))
        return render(
            request, "outreach/activity_detail.html", context | {"complaint_form": form}, status=400
        )
    try:
        link = services.activity_link_complaint(
            actor=request.user, activity=activity, **form.cleaned_data
        )
    except DomainError as exc:
        _form_error(form, exc)
        messages.error(request, exc.message)
        context = context | {"complaint_form": form}
        return render(request, "outreach/activity_detail.html", context, status=_status(exc))
    messages.success(request, _("现场投诉已登记：%(no)s。") % {"no": link.complaint.registry_no})
    return redirect("outreach:activity", pk=activity.pk)


@login_required
@permission_required("outreach.view_material", raise_exception=True)
def materials(request: HttpRequest) -> HttpResponse:
    """The library; HQ adds materials (and new versions) here."""
    form = MaterialForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("outreach.add_material"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.material_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
                status = _status(exc)
            else:
                messages.success(request, _("宣传资料已加入资料库。"))
                return redirect("outreach:materials")
        else:
            status = 400
    rows = Material.objects.prefetch_related("topics")
    return render(
        request, "outreach/materials.html", {"materials": rows, "form": form}, status=status
    )
