"""The staff workbench: registry, registration, case page and its actions.

Views parse input, call one service, and render; every read goes through the branch scope.
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xiaobao.complaints import forms, selectors, services
from xiaobao.complaints.badges import deadline_badge
from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Attachment, Complaint, Extension, SavedFilter
from xiaobao.complaints.registry_page import registry_page_rows
from xiaobao.complaints.transitions import action_label, allowed_actions, target_status
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_list
from xiaobao.lib.web import domain_status, form_error
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.roles import user_roles
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.plans import selectors as task_selectors
from xiaobao.plans.choices import OPEN_TASK_STATUSES, TaskSourceKind
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.redaction import redact

PAGE_SIZE = 50
# Actions that end the handling of a case: styled apart and confirmed before they are sent.
DESTRUCTIVE_ACTIONS = ("decline", "withdraw")
RECUSAL_UNCHECKED = _(
    "被投诉人员仅登记了姓名，未关联员工账号：系统无法自动执行回避检查，分派处理人时请人工核对。"
)
SORTS = {
    "received": ("-received_at", "-id"),
    "received_asc": ("received_at", "id"),
    "due": ("due_at", "id"),
    "registry": ("-registry_no", "-id"),
}


def _user(request: HttpRequest) -> User:
    """The signed-in member of staff (every view here requires login)."""
    return cast(User, request.user)


# --- my work -------------------------------------------------------------------------------------


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    user = request.user
    rectifications = task_selectors.tasks_visible(user).filter(
        source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION, status__in=OPEN_TASK_STATUSES
    )
    if user.department_id:  # type: ignore[union-attr]
        mine = rectifications.filter(owner_department=user.department_id)  # type: ignore[union-attr]
        rectifications = mine if mine.exists() else rectifications
    context = {
        "mine": selectors.my_cases(user=user).order_by("due_at")[:50],
        "unassigned": selectors.unassigned(user=user).order_by("due_at")[:50],
        "due_soon": selectors.due_soon(user=user).order_by("due_at")[:50],
        "extensions": selectors.extensions_awaiting(user=user).order_by("requested_at")[:50],
        "rectifications": rectifications.order_by("due_date")[:50],
        "now": timezone.now(),
        "roles": [Role(r).label for r in sorted(user_roles(user))],
    }
    return render(request, "complaints/my_work.html", context)


@login_required
@permission_required("complaints.handle_complaint", raise_exception=True)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """待回访: closed cases owed a satisfaction call under the sampling rule."""
    from django.conf import settings

    from xiaobao.complaints.sampling import REASON_LABELS

    rows = [
        {"c": c, "reason": REASON_LABELS[reason], "rating": getattr(c, "portal_rating", None)}
        for c, reason in selectors.follow_up_worklist(user=request.user)
    ]
    context = {"rows": rows, "percent": settings.XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT}
    return render(request, "complaints/follow_ups.html", context)


# --- registry ------------------------------------------------------------------------------------


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> list[Any] | None:
    try:
        return list(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))
    except (ValueError, TypeError):
        return None


def _cursor_position(values: list[Any] | None, name: str) -> tuple[Any, int] | None:
    """The (sort value, pk) a cursor names, or None for anything that is not one of ours:
    a tampered cursor shows the first page instead of failing."""
    if not values or len(values) != 2:
        return None
    first, pk = values
    if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(first, str):
        return None
    if name.endswith("_at"):
        try:
            moment = datetime.fromisoformat(first)
        except ValueError:
            return None
        if timezone.is_naive(moment):
            return None
        return moment, pk
    return first, pk


def _keyset_page(qs: QuerySet[Any], sort: str, cursor: str) -> tuple[list[dict[str, Any]], str]:
    """One page of `qs.values(...)` by keyset (no OFFSET, no COUNT): as fast on page 2,000 as
    on page 1. The values must include the sort column and the id."""
    fields = SORTS[sort]
    qs = qs.order_by(*fields)
    if sort == "due":
        qs = qs.filter(due_at__isnull=False)
    values = _decode_cursor(cursor) if cursor else None
    position = _cursor_position(values, fields[0].lstrip("-"))
    if position is not None:
        first, pk = position
        name = fields[0].lstrip("-")
        op = "lt" if fields[0].startswith("-") else "gt"
        from django.db.models import Q

        qs = qs.filter(Q(**{f"{name}__{op}": first}) | Q(**{name: first, f"pk__{op}": pk}))
    rows = list(qs[: PAGE_SIZE + 1])
    next_cursor = ""
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        next_cursor = _encode_cursor([last[fields[0].lstrip("-")], last["id"]])
    return rows, next_cursor


def _with_cursor(params: Any, cursor: str) -> str:
    params = params.copy()
    params["cursor"] = cursor
    return str(params.urlencode())


def _registry(
    request: HttpRequest, base: QuerySet[Complaint] | None = None
) -> tuple[RegistryFilter, QuerySet[Complaint]]:
    if base is None:
        base = selectors.complaint_list(user=request.user)
    flt = RegistryFilter(request.GET, queryset=base, request=request)
    qs = flt.qs if flt.is_valid() else base.none()
    return flt, qs


# The registry counts its rows up to this many and says "more than …" beyond (a bounded
# COUNT stays fast on a registry of millions).
REGISTRY_COUNT_CAP = 1_000
MAX_OPTIONS = 500


def _registry_options(request: HttpRequest) -> dict[str, Any]:
    """Names for the unit and handler filters' autocomplete, within the user's scope."""
    units = visible_to(request.user, Unit.objects.all()).order_by("path")
    staff = visible_to(request.user, User.objects.filter(is_active=True)).order_by("username")
    return {
        "unit_options": list(units.values_list("name", "code")[:MAX_OPTIONS]),
        "handler_options": [
            (display or username, username)
            for display, username in staff.values_list("display_name", "username")[:MAX_OPTIONS]
        ],
    }


# The autocomplete lists as HTML, by their content: a few hundred options rendered through the
# template engine cost more CPU than the rest of the form; they change when staff or units do.
_DATALISTS: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_DATALISTS_KEPT = 64


def _registry_datalists(request: HttpRequest) -> str:
    options = _registry_options(request)
    key = (tuple(options["unit_options"]), tuple(options["handler_options"]))
    html = _DATALISTS.get(key)
    if html is None:
        html = render_to_string("complaints/_registry_datalists.html", options)
        _DATALISTS[key] = html
        while len(_DATALISTS) > _DATALISTS_KEPT:
            _DATALISTS.popitem(last=False)
    return html


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def registry(request: HttpRequest) -> HttpResponse:
    flt, qs = _registry(request, selectors.registry_rows(user=request.user))
    sort = request.GET.get("sort", "received")
    if sort not in SORTS:
        sort = "received"
    values = qs.values(*selectors.REGISTRY_COLUMNS)
    page, next_cursor = _keyset_page(values, sort, request.GET.get("cursor", ""))
    moment = timezone.now()
    rows = registry_page_rows(page, now=moment)
    params = request.GET.copy()
    params.pop("cursor", None)
    basic = ("q", "person_token", "status", "due", "received_from", "received_to")
    total = qs.order_by().values("pk")[: REGISTRY_COUNT_CAP + 1].count()
    context = {
        "filter": flt,
        "total": min(total, REGISTRY_COUNT_CAP),
        "total_capped": total > REGISTRY_COUNT_CAP,
        "datalists": "" if request.htmx else _registry_datalists(request),  # type: ignore[attr-defined]
        "basic_filters": basic,
        "advanced_used": any(
            k not in (*basic, "sort", "cursor") and v for k, v in request.GET.items()
        ),
        "rows": rows,
        "sort": sort,
        "next_url": f"?{_with_cursor(params, next_cursor)}" if next_cursor else "",
        "first_url": f"?{params.urlencode()}" if request.GET.get("cursor") else "",
        "query": params.urlencode(),
        "person_active": bool(request.GET.get("person_token")),
        "saved": SavedFilter.objects.filter(owner=_user(request)),
        "save_form": forms.SavedFilterForm(initial={"query": _without_person(params)}),
        "now": moment,
    }
    template = "complaints/_registry_rows.html" if request.htmx else "complaints/registry.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _without_person(params: Any) -> str:
    """A query string with no person lookup in it (saved filters outlive the lookup token)."""
    params = params.copy()
    for key in ("person", "person_token", "cursor"):
        params.pop(key, None)
    return str(params.urlencode())


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
@require_POST
def person_lookup(request: HttpRequest) -> HttpResponse:
    """Every case of one person: the phone or ID number is posted, never put in a URL."""
    from django.http import QueryDict

    from xiaobao.privacy.lookup import person_lookup_token_create

    params = QueryDict(request.POST.get("query", ""), mutable=True)
    query = _without_person(params)
    try:
        token = person_lookup_token_create(user=request.user, value=request.POST.get("person", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('complaints:registry')}?{query}")
    params = QueryDict(query, mutable=True)
    params["person_token"] = token
    return redirect(f"{reverse('complaints:registry')}?{params.urlencode()}")


@login_required
@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    form = forms.SavedFilterForm(request.POST)
    if form.is_valid():
        from django.http import QueryDict

        query = _without_person(QueryDict(form.cleaned_data["query"]))
        SavedFilter.objects.update_or_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            defaults={"query": query},
        )
        messages.success(
            request, gettext("已保存筛选“%(name)s”。") % {"name": form.cleaned_data["name"]}
        )
        return redirect(f"{reverse('complaints:registry')}?{query}")
    messages.error(request, gettext("请填写筛选名称。"))
    return redirect("complaints:registry")


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    SavedFilter.objects.filter(owner=_user(request), pk=pk).delete()
    return redirect("complaints:registry")


EXPORT_LIMIT = 100_000


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def registry_export(request: HttpRequest) -> HttpResponseBase:
    """The current view as an Excel workbook; personal data masked, streamed row by row."""
    from xiaobao.complaints.exports import registry_workbook

    _, qs = _registry(request)
    sort = request.GET.get("sort", "received")
    qs = qs.order_by(*SORTS.get(sort, SORTS["received"]))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        registry_workbook(qs, limit=EXPORT_LIMIT),
        as_attachment=True,
        filename=f"投诉台账-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- registration --------------------------------------------------------------------------------


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
def register(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.RegisterForm(request.POST or None, user=user)
    duplicates: list[dict[str, Any]] = []
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = [
            # Titles are free text: what the warning shows of them has personal data masked.
            {
                "pk": d.pk,
                "registry_no": d.registry_no,
                "title": redact(d.title),
                "status": d.get_status_display(),
            }
            for d in visible_to(
                user, services.duplicates_for(phone=data["phone"], id_number=data["id_number"])
            )[:5]
        ]
        if duplicates and not data["confirm_duplicate"]:
            form.add_error(
                None,
                "该投诉人有尚未办结的投诉，请核对是否为重复投诉；如确认不是，请勾选确认后再提交。",
            )
        else:
            try:
                complaint = services.complaint_register(
                    actor=user,
                    unit=data["unit"],
                    received_at=data["received_at"],
                    intake_channel=data["intake_channel"],
                    title=data["title"],
                    narrative=data["narrative"],
                    complainants=[
                        services.ComplainantData(
                            name=data["name"],
                            role=data["role"],
                            id_type=data["id_type"],
                            id_number=data["id_number"],
                            phone=data["phone"],
                            email=data["email"],
                            address=data["address"],
                            represents=data["represents"],
                            legal_representative=data["legal_representative"],
                        )
                    ],
                    complained_staff=data["complained_staff"],
                    complained_staff_name=data["complained_staff_name"],
                    demands=list(data["demands"]),
                    demand_text=data["demand_text"],
                    amount=data["amount"],
                    business_channel=data["business_channel"],
                    business_category=data["business_category"],
                    cause=data["cause"],
                    level=data["level"],
                    tags=list(data["tags"]),
                    external_ref=data["external_ref"],
                    referrer_received_on=data["referrer_received_on"],
                    group_size=data["group_size"],
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(
                    request,
                    gettext("已登记投诉 %(no)s，截止日 %(due)s。")
                    % {
                        "no": complaint.registry_no,
                        "due": date_format(complaint.due_date) if complaint.due_date else "—",
                    },
                )
                if complaint.recusal_unchecked:
                    messages.warning(request, RECUSAL_UNCHECKED)
                into = _merge_offer(user, complaint, data)
                if into:
                    messages.warning(
                        request,
                        gettext(
                            "新投诉可能与 %(numbers)s 为同一事项。"
                            "如核对后确属重复，请在下方“合并”操作中并入原投诉；如不是，无需处理。"
                        )
                        % {"numbers": lazy_list(into)},
                    )
                    url = reverse("complaints:detail", args=[complaint.pk])
                    return redirect(f"{url}?{urlencode({'merge_into': into[0]})}#action-merge")
                return redirect("complaints:detail", pk=complaint.pk)
    from xiaobao.complaints.models import TaxonomyTerm

    referral_ids = list(
        TaxonomyTerm.objects.filter(axis="intake_channel", attributes__referral=True).values_list(
            "pk", flat=True
        )
    )
    context = {"form": form, "duplicates": duplicates, "referral_ids": referral_ids}
    return render(request, "complaints/register.html", context, status=status)


def _merge_offer(user: User, complaint: Complaint, data: dict[str, Any]) -> list[str]:
    """Registry numbers of live cases the new one could be merged into, as the form's live check
    found them, for the case page to offer its merge action. Nothing when the handler has just
    confirmed that the case is not a duplicate."""
    if data.get("confirm_duplicate") or not user.has_perm("complaints.handle_complaint"):
        return []
    from xiaobao.language.duplicates import find_duplicates

    found = find_duplicates(
        user=user,
        title=data["title"],
        narrative=data["narrative"],
        id_number=data["id_number"],
        phone=data["phone"],
        unit=data["unit"],
        exclude=complaint.pk,
    )
    return [c.complaint.registry_no for c in found if c.can_merge]


_form_error = form_error


# --- the case page -------------------------------------------------------------------------------

ACTION_FORMS: dict[str, type[Any]] = {
    "accept": forms.forms.Form,
    "assign": forms.AssignForm,
    "transfer": forms.TransferForm,
    "classify": forms.ClassifyForm,
    "pause": forms.PauseForm,
    "resume": forms.ResumeForm,
    "add_new_facts": forms.NewFactsForm,
    "extension_request": forms.ExtensionRequestForm,
    "decide": forms.DecisionForm,
    "notify": forms.NoticeForm,
    "close": forms.CloseForm,
    "withdraw": forms.WithdrawForm,
    "decline": forms.DeclineForm,
    "merge": forms.MergeForm,
    "flag_major": forms.MajorForm,
    "review_request": forms.ReviewForm,
    "follow_up": forms.FollowUpForm,
    "legal_hold": forms.LegalHoldForm,
}
# Which permission makes an action worth showing (the service checks again).
ACTION_PERMS = {
    "assign": "complaints.assign_complaint",
    "transfer": "complaints.assign_complaint",
    "legal_hold": "complaints.set_legal_hold",
    "flag_major": "complaints.flag_major",
    "review_request": "complaints.add_complaint",
}


def _make_form(action: str, complaint: Complaint, data: Any = None, user: Any = None) -> Any:
    cls = ACTION_FORMS[action]
    if cls is forms.TransferForm:
        return cls(data, user=user, unit=complaint.unit, prefix=action)
    if cls is forms.ClassifyForm and data is None:
        initial = {
            f: getattr(complaint, f)
            for f in ("business_channel", "business_category", "cause", "level")
        }
        return cls(initial=initial, prefix=action)
    if cls is forms.AssignForm:
        return cls(data, unit=complaint.unit, prefix=action)
    return cls(data, prefix=action)


def _available_actions(user: Any, complaint: Complaint) -> list[str]:
    if not any(
        user.has_perm(p)
        for p in (
            "complaints.handle_complaint",
            "complaints.assign_complaint",
            "complaints.set_legal_hold",
        )
    ):
        return []
    actions = [a for a in allowed_actions(complaint.status) if a in ACTION_FORMS]
    if complaint.is_review:
        actions = [a for a in actions if a not in ("review_request", "extension_request")]
    if complaint.is_major:
        actions = [a for a in actions if a != "flag_major"]
    return [a for a in actions if user.has_perm(ACTION_PERMS.get(a, "complaints.handle_complaint"))]


def _deadline_badge(complaint: Complaint, now: datetime) -> dict[str, Any]:
    return deadline_badge(
        status=complaint.status, due_at=complaint.due_at, timely=complaint.timely, now=now
    )


def _detail_context(
    request: HttpRequest, complaint: Complaint, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    user = request.user
    actions = _available_actions(user, complaint)
    action_forms = [
        (a, action_label(a), (bound or {}).get(a) or _make_form(a, complaint, user=user))
        for a in actions
    ]
    pending = [
        e
        for e in complaint.extensions.filter(status="pending").select_related("requested_by")
        if e.requested_by_id != user.pk
        and user.has_perm(
            "complaints.approve_extension_60"
            if e.target_days > 30
            else "complaints.approve_extension_30"
        )
    ]
    complainants = [
        {
            "pk": c.pk,
            "role": c.get_role_display(),
            "name": mask_name(c.name),
            "id_type": c.get_id_type_display(),
            "id_number": mask("id_number", c.id_number or ""),
            "phone": mask("phone", c.phone or ""),
            "email": mask("email", c.email or ""),
            "address": mask("address", c.address or ""),
            "card_number": mask("card", c.card_number or ""),
            "represents": c.represents,
        }
        for c in complaint.complainants.all()
    ]
    from xiaobao.complaints.hooks import case_panels
    from xiaobao.privacy.services import can_unmask

    timeline = list(selectors.complaint_timeline(complaint=complaint))
    return {
        "c": complaint,
        # Panels registered by other apps (partners …); the core never imports them.
        "panels": [html for panel in case_panels if (html := panel(request, complaint))],
        "badge": _deadline_badge(complaint, timezone.now()),
        "timeline": timeline,
        "sealed": _sealed_texts(complaint, timeline),
        "text_reveal_form": (bound or {}).get("text_reveal") or forms.TextRevealForm(),
        "text_revealed": (bound or {}).get("text_revealed"),
        "complainants": complainants,
        "can_unmask": can_unmask(user, complaint.unit),
        "reveal_form": (bound or {}).get("reveal") or forms.RevealForm(),
        "revealed": (bound or {}).get("revealed"),
        "action_forms": action_forms,
        "destructive_actions": DESTRUCTIVE_ACTIONS,
        "pending_extensions": pending,
        "extension_form": (bound or {}).get("extension_decide")
        or forms.ExtensionDecisionForm(prefix="ext"),
        "attachment_form": (bound or {}).get("attachment") or forms.AttachmentForm(),
        "attachments": complaint.attachments.select_related("uploaded_by"),
        "pauses": complaint.pauses.all(),
        "extensions": complaint.extensions.select_related("requested_by", "decided_by"),
        # A missing one-to-one raises a subclass of AttributeError, so getattr's default applies.
        "decision": getattr(complaint, "decision", None),
        "notice": getattr(complaint, "notice", None),
        "letter": complaint.events.filter(action="letter_generated").order_by("-pk").first(),
        "forwarding": selectors.forwarding(complaint=complaint),
        "rectifications": task_selectors.tasks_for_source(complaint),
        "follow_ups": complaint.follow_ups.select_related("made_by"),
        # The consumer's own rating in the portal (xiaobao.portal), beside the staff's calls.
        "portal_rating": getattr(complaint, "portal_rating", None),
        "reviews": complaint.reviews.all(),
        "review_window": services.review_deadline(complaint),
        "suggestions": _suggestions(complaint),
    }


def _sealed_texts(complaint: Complaint, timeline: list[Any]) -> list[tuple[str, str]]:
    """The free texts on the page shown masked because they hold personal data, as
    (reveal target, label) pairs for the reveal-with-reason form."""
    from xiaobao.privacy.choices import TEXT_FIELD_LABELS
    from xiaobao.privacy.sealing import is_sealed, sealed_fields

    found = [(f, str(TEXT_FIELD_LABELS[f])) for f in sealed_fields(complaint)]
    for e in timeline:
        if e.sealed_text and is_sealed(e, "reason"):
            label = gettext("处理记录 %(at)s %(action)s") % {
                "at": timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                "action": action_label(e.action),
            }
            found.append((f"event:{e.pk}", label))
    return found


def _suggestions(complaint: Complaint) -> list[tuple[str, list[Any]]]:
    """The classifier's top guesses for an open case, for the handler to confirm or correct."""
    if not complaint.is_open:
        return []
    from xiaobao.language.classifier import suggest

    labels = {"category": "业务类别", "cause": "投诉原因", "demand": "诉求"}
    found = suggest(complaint.title, complaint.narrative)
    return [(labels.get(target, target), items) for target, items in found.items() if items]


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    # `?merge_into=<registry no>` (after registering a likely duplicate) opens the merge action
    # with that case filled in, if it is one the user may see and merge into.
    into = request.GET.get("merge_into", "").strip().upper()
    if into and "merge" in _available_actions(request.user, complaint):
        target = selectors.complaint_list(user=request.user).filter(registry_no=into).first()
        if target is not None and target.pk != complaint.pk:
            form = forms.MergeForm(initial={"into": target.registry_no}, prefix="merge")
            context = _detail_context(request, complaint, bound={"merge": form})
            context["open_action"] = "merge"
            return render(request, "complaints/detail.html", context)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


def _run_action(action: str, user: Any, complaint: Complaint, data: dict[str, Any]) -> str:
    """Call the one service behind `action`; returns the success message."""
    s = services
    calls: dict[str, Callable[[], Any]] = {
        "accept": lambda: s.complaint_accept(actor=user, complaint=complaint),
        "classify": lambda: s.complaint_classify(
            actor=user,
            complaint=complaint,
            business_channel=data["business_channel"],
            business_category=data["business_category"],
            cause=data["cause"],
            level=data["level"],
        ),
        "assign": lambda: s.complaint_assign(
            actor=user, complaint=complaint, handler=data["handler"], reason=data["reason"]
        ),
        "transfer": lambda: s.complaint_transfer(
            actor=user, complaint=complaint, to_unit=data["to_unit"], reason=data["reason"]
        ),
        "pause": lambda: s.complaint_pause(
            actor=user,
            complaint=complaint,
            reason=data["reason"],
            told_by=data["told_by"],
            note=data["note"],
        ),
        "resume": lambda: s.complaint_resume(actor=user, complaint=complaint, note=data["note"]),
        "add_new_facts": lambda: s.complaint_add_new_facts(
            actor=user,
            complaint=complaint,
            received_at=data["received_at"],
            description=data["description"],
        ),
        "extension_request": lambda: s.extension_request(
            actor=user, complaint=complaint, target_days=data["target_days"], reason=data["reason"]
        ),
        "decide": lambda: s.complaint_decide(
            actor=user,
            complaint=complaint,
            verified_facts=data["verified_facts"],
            outcome=data["outcome"],
            basis=data["basis"],
            reasons=data["reasons"],
            routes=data["routes"],
            compensation=data["compensation"],
            text=data["text"],
            decided_at=data["decided_at"],
        ),
        "notify": lambda: s.complaint_notify(
            actor=user,
            complaint=complaint,
            method=data["method"],
            given_at=data["given_at"],
            evidence=data["evidence"],
            use_letter=data["use_letter"],
        ),
        "close": lambda: s.complaint_close(
            actor=user,
            complaint=complaint,
            root_cause=data["root_cause"],
            at_fault=data["at_fault"],
            rectifications=[
                s.RectificationData(
                    data["department"], data["rectification"], data["rectification_due"]
                )
            ]
            if data["at_fault"] and data["department"] and data["rectification_due"]
            else [],
        ),
        "withdraw": lambda: s.complaint_withdraw(
            actor=user, complaint=complaint, received_at=data["received_at"], note=data["note"]
        ),
        "decline": lambda: s.complaint_decline(
            actor=user,
            complaint=complaint,
            ground=data["ground"],
            reason=data["reason"],
            told_by=data["told_by"],
        ),
        "merge": lambda: s.complaint_merge(
            actor=user,
            complaint=complaint,
            into=_merge_target(user, data["into"]),
            new_facts=data["new_facts"],
            note=data["note"],
        ),
        "flag_major": lambda: s.complaint_flag_major(
            actor=user, complaint=complaint, reason=data["reason"], note=data["note"]
        ),
        "review_request": lambda: s.review_request(
            actor=user,
            complaint=complaint,
            requested_at=data["requested_at"],
            narrative=data["narrative"],
        ),
        "legal_hold": lambda: s.complaint_set_legal_hold(
            actor=user, complaint=complaint, hold=data["hold"], reason=data["reason"]
        ),
        "follow_up": lambda: s.follow_up_record(
            actor=user,
            complaint=complaint,
            result=data["result"],
            method=data["method"],
            comments=data["comments"],
        ),
    }
    result = calls[action]()
    if action == "review_request":
        return gettext("已登记核查 %(no)s，由上级机构办理。") % {"no": result.registry_no}
    if action == "transfer":
        return gettext("已移交%(unit)s办理，办理期限不变。") % {"unit": result.unit.name}
    return gettext("已%(action)s。") % {"action": action_label(action)}


def _merge_target(user: Any, registry_no: str) -> Complaint:
    target = (
        selectors.complaint_list(user=user).filter(registry_no=registry_no.strip().upper()).first()
    )
    if target is None:
        raise DomainError(
            "找不到投诉编号“%(registry_no)s”（或不在您的管辖范围内）。",
            params={"registry_no": registry_no},
            field="into",
        )
    return target


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    complaint = selectors.complaint_get(user=request.user, pk=pk)  # not in scope: 404
    if name not in ACTION_FORMS:
        raise Http404
    status = 400
    form = _make_form(name, complaint, request.POST, user=request.user)
    try:
        # Refusals come before the form: a forged action by someone who may not act answers 403
        # whatever it posted, and one the case's state does not allow answers 409.
        if not request.user.has_perm(ACTION_PERMS.get(name, "complaints.handle_complaint")):
            raise PermissionDeniedError("您没有执行此操作的权限。")
        target_status(name, complaint.status)
        if form.is_valid():
            message = _run_action(name, request.user, complaint, form.cleaned_data)
            messages.success(request, message)
            return redirect("complaints:detail", pk=complaint.pk)
        messages.error(request, gettext("操作未完成，请根据提示修改后重新提交。"))
    except DomainError as exc:
        _form_error(form, exc)
        messages.error(request, exc.message)
        status = domain_status(exc)
    complaint.refresh_from_db()
    context = _detail_context(request, complaint, bound={name: form})
    context["open_action"] = name
    return render(request, "complaints/detail.html", context, status=status)


@login_required
@require_POST
def extension_decide(request: HttpRequest, pk: int, extension_pk: int) -> HttpResponse:
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    extension = get_visible_or_404(
        request.user, Extension.objects.filter(complaint=complaint), pk=extension_pk
    )
    form = forms.ExtensionDecisionForm(request.POST, prefix="ext")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                services.extension_approve(
                    actor=_user(request),
                    extension=extension,
                    note=data["note"],
                    told_by=data["told_by"],
                    told_at=data["told_at"],
                )
                messages.success(
                    request, gettext("已批准延期至%(days)s日。") % {"days": extension.target_days}
                )
            else:
                services.extension_reject(
                    actor=_user(request), extension=extension, note=data["note"]
                )
                messages.success(request, gettext("已驳回延期申请。"))
            return redirect("complaints:detail", pk=complaint.pk)
        except DomainError as exc:
            _form_error(form, exc)
            messages.error(request, exc.message)
            status = domain_status(exc)
    context = _detail_context(request, complaint, bound={"extension_decide": form})
    return render(request, "complaints/detail.html", context, status=status)


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one personal field in full, once, after a stated reason (logged)."""
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    form = forms.RevealForm(request.POST)
    revealed = None
    status = 200
    if form.is_valid():
        person = complaint.complainants.filter(pk=form.cleaned_data["complainant"]).first()
        if person is None:
            raise Http404
        try:
            value = services.complainant_reveal(
                actor=request.user,  # type: ignore[arg-type]
                complainant=person,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
            revealed = {
                "complainant": person.pk,
                "field": form.cleaned_data["field"],
                "value": value,
            }
        except DomainError as exc:
            _form_error(form, exc)
            status = domain_status(exc)
    else:
        status = 400
    context = _detail_context(request, complaint, bound={"reveal": form, "revealed": revealed})
    response = render(request, "complaints/detail.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page now holds personal data in full
    return response


@login_required
@require_POST
def text_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one free text as typed, once, after a stated reason (logged like any personal field)."""
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    form = forms.TextRevealForm(request.POST)
    revealed = None
    status = 200
    if form.is_valid():
        target = form.cleaned_data["target"]
        field, _sep, event = target.partition(":")
        try:
            value = services.complaint_text_reveal(
                actor=_user(request),
                complaint=complaint,
                field="event_reason" if field == "event" else field,
                event=int(event) if event else None,
                reason=form.cleaned_data["reason"],
            )
            revealed = {"target": target, "value": value}
        except DomainError as exc:
            _form_error(form, exc)
            status = domain_status(exc)
    else:
        status = 400
    bound = {"text_reveal": form, "text_revealed": revealed}
    response = render(
        request, "complaints/detail.html", _detail_context(request, complaint, bound), status=status
    )
    response["Cache-Control"] = "no-store"  # the page now holds personal data in full
    return response


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.user,  # type: ignore[arg-type]
                complaint=complaint,
                upload=form.cleaned_data["file"],
                sha256=form.cleaned_data["sha256"],
                content_type=form.cleaned_data["content_type"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            status = domain_status(exc)
        else:
            messages.success(request, gettext("附件已上传。"))
            return redirect("complaints:detail", pk=complaint.pk)
    context = _detail_context(request, complaint, bound={"attachment": form})
    return render(request, "complaints/detail.html", context, status=status)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    attachment = Attachment.objects.filter(complaint=complaint, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    if not request.user.has_perm("complaints.view_complaint"):
        raise PermissionDenied
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )


@login_required
@require_POST
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    """Generate the 答复函 (Word, or PDF with ``as=pdf``) from the decision; the event keeps its
    reference and digest."""
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    as_pdf = request.POST.get("as") == "pdf"
    try:
        generated = services.complaint_letter_generate(
            actor=_user(request), complaint=complaint, pdf=as_pdf
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        context = _detail_context(request, complaint)
        return render(request, "complaints/detail.html", context, status=domain_status(exc))
    if as_pdf:
        response = HttpResponse(generated.pdf, content_type="application/pdf")
        extension = "pdf"
    else:
        response = HttpResponse(
            generated.docx,
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        extension = "docx"
    filename = quote(f"答复函-{generated.ref}.{extension}")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "no-store"  # addressed to the complainant by name
    return response
