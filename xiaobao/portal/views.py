"""The public consumer portal: file a complaint, follow it, read the answer, ask for a review, rate.

No logins: a successful lookup (tracking number + last four phone digits) puts that one case in
the session for a short while. Nothing personal is ever shown beyond masks, and a failed lookup
says the same thing whatever was wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from xiaobao.complaints.choices import NoticeMethod, Outcome, Route, Status
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.services import review_deadline
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.selectors import institution_name
from xiaobao.portal import ratelimit, services
from xiaobao.portal.forms import FileForm, RateForm, ReviewForm, TrackForm
from xiaobao.portal.models import PortalRating, PortalTicket
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.redaction import redact

TEXT_COOKIE = "xb_portal_text"
SESSION_TICKET = "portal_ticket"
SESSION_NEW = "portal_new"
SESSION_MINUTES = 30
LOOKUP_FAILED = "查询码或联系电话后四位不正确，请核对后重试。"
TOO_MANY = "操作过于频繁，请稍后再试。如需帮助，请拨打本行客服热线。"

# What each status means to a consumer (staff words like 已登记 mean little to them).
STATUS_TEXT: dict[str, tuple[str, str]] = {
    Status.REGISTERED: ("已收到", "您的投诉已登记，我们将安排专人处理。"),
    Status.ACCEPTED: ("处理中", "已有专人负责处理您的投诉。"),
    Status.PAUSED: ("暂停计时", "因鉴定、检测、评估或调解，这段时间不计入处理期限。"),
    Status.DECIDED: ("已作出处理决定", "处理决定已作出，我们将尽快告知您。"),
    Status.NOTIFIED: ("已答复", "处理决定已告知您，内容见下方。"),
    Status.CLOSED: ("已办结", "本次投诉已处理完毕。"),
    Status.WITHDRAWN: ("已撤诉", "您已撤回本次投诉。"),
    Status.DECLINED: ("不予受理", "本次反映的事项不属于投诉受理范围，原因见下方。"),
    Status.MERGED: ("已合并处理", "您反映的事项已与同一事项的投诉合并处理。"),
}


def chinese(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The portal speaks Chinese whatever the browser asks for (its texts exist only in Chinese)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("zh-hans"):
            return view(request, *args, **kwargs)

    return wrapped


def _page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "large_text": request.COOKIES.get(TEXT_COOKIE) == "large",
        "institution": institution_name(),
        **(context or {}),
    }
    return render(request, f"portal/{template}", context, status=status)


def _too_many(request: HttpRequest) -> HttpResponse:
    return _page(request, "limited.html", {"message": TOO_MANY}, status=429)


def _form_error(form: Any, exc: DomainError) -> None:
    name = (exc.field or "").rsplit(".", 1)[-1]
    form.add_error(name if name in form.fields else None, exc.message)


@chinese
def index(request: HttpRequest) -> HttpResponse:
    return _page(request, "index.html")


@chinese
@never_cache
def file(request: HttpRequest) -> HttpResponse:
    form = FileForm(request.POST or None)
    if request.method == "POST":
        if not ratelimit.hit("file", ratelimit.client_ip(request)):
            return _too_many(request)
        if form.is_valid():
            d = form.cleaned_data
            filing = services.Filing(
                name=d["name"],
                phone=d["phone"],
                unit=d["unit"],
                title=d["title"],
                narrative=d["narrative"],
                role=d["role"],
                represents=d["represents"],
                email=d["email"],
                address=d["address"],
                complained_staff_name=d["complained_staff_name"],
                business_category=d["business_category"],
                demands=tuple(d["demands"]),
                demand_text=d["demand_text"],
                amount=d["amount"],
            )
            try:
                complaint, tracking = services.portal_file(filing=filing)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                # Shown once on the next page (post/redirect/get), never stored in clear.
                request.session[SESSION_NEW] = {
                    "tracking": tracking,
                    "registry_no": complaint.registry_no,
                    "due_date": complaint.due_date.isoformat() if complaint.due_date else "",
                }
                return redirect("portal:filed")
    return _page(request, "file.html", {"form": form})


@chinese
@never_cache
def filed(request: HttpRequest) -> HttpResponse:
    new = request.session.pop(SESSION_NEW, None)
    if not new:
        return redirect("portal:track")
    return _page(request, "filed.html", {"new": new})


@chinese
@never_cache
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    error = ""
    if request.method == "POST":
        ip = ratelimit.client_ip(request)
        # Failures against one tracking number count per address: guessing from one address
        # stops, and nobody can lock the true owner out of their own case from elsewhere.
        number_key = services.tracking_key(request.POST.get("tracking_number", "")) + "|" + ip
        if ratelimit.exceeded("lookup_number", number_key) or not ratelimit.hit("lookup", ip):
            return _too_many(request)
        if form.is_valid():
            ticket = services.portal_find(
                tracking_number=form.cleaned_data["tracking_number"],
                phone_last4=form.cleaned_data["phone_last4"],
            )
            if ticket is None:
                ratelimit.hit("lookup_number", number_key)
                # The digits are not echoed back; the number is, so a typo is easy to see.
                form = TrackForm(initial={"tracking_number": form.cleaned_data["tracking_number"]})
                error = LOOKUP_FAILED
            else:
                request.session.cycle_key()  # a fresh session id once the case is reachable
                request.session[SESSION_TICKET] = {"id": ticket.pk, "at": time.time()}
                return redirect("portal:case")
    return _page(request, "track.html", {"form": form, "error": error})


def _ticket(request: HttpRequest) -> PortalTicket | None:
    held = request.session.get(SESSION_TICKET)
    if not held or time.time() - float(held.get("at", 0)) > SESSION_MINUTES * 60:
        request.session.pop(SESSION_TICKET, None)
        return None
    return PortalTicket.objects.select_related("complaint").filter(pk=held["id"]).first()


def _labels(choices: Any, values: list[str]) -> list[str]:
    names = dict(choices)
    return [str(names.get(v, v)) for v in values]


def _answer(complaint: Complaint) -> dict[str, Any] | None:
    """The decision as the consumer may read it: only once they have been told of it."""
    decision = getattr(complaint, "decision", None)
    if complaint.notified_at is None or decision is None:
        return None
    notice = getattr(complaint, "notice", None)
    return {
        "outcome": dict(Outcome.choices).get(decision.outcome, ""),
        "verified_facts": redact(decision.verified_facts),
        "basis": redact(decision.basis),
        "text": redact(decision.text or decision.reasons),
        "compensation": decision.compensation,
        "routes": _labels(Route.choices, list(decision.routes)),
        "notified_at": complaint.notified_at,
        "method": dict(NoticeMethod.choices).get(notice.method, "") if notice else "",
    }


def _case_view(complaint: Complaint) -> dict[str, Any]:
    label, explanation = STATUS_TEXT.get(complaint.status, (complaint.get_status_display(), ""))
    person = complaint.complainants.first()
    return {
        "registry_no": complaint.registry_no,
        "kind": complaint.get_kind_display(),
        "status": complaint.status,
        "status_label": label,
        "status_text": explanation,
        "received_at": complaint.received_at,
        "unit": complaint.complained_unit.name,
        "title": redact(complaint.title),
        "due_date": complaint.due_date if complaint.is_open else None,
        "paused": complaint.status == Status.PAUSED,
        "name": mask_name(person.name) if person else "",
        "phone": mask("phone", person.phone or "") if person else "",
        "answer": _answer(complaint),
        "end_reason": redact(complaint.end_reason)
        if complaint.status in (Status.DECLINED, Status.WITHDRAWN)
        else "",
        "merged_into": complaint.merged_into.registry_no if complaint.merged_into else "",
    }


@chinese
@never_cache
def case(request: HttpRequest) -> HttpResponse:
    ticket = _ticket(request)
    if ticket is None:
        messages.info(request, _("为保护您的信息，请重新输入查询码和联系电话后四位。"))
        return redirect("portal:track")
    complaint = Complaint.objects.select_related(
        "complained_unit", "decision", "notice", "merged_into"
    ).get(pk=ticket.complaint_id)
    window = review_deadline(complaint)
    review = complaint.reviews.select_related("decision", "notice", "complained_unit").first()
    rating = PortalRating.objects.filter(complaint=complaint).first()
    context = {
        "case": _case_view(complaint),
        "review": _case_view(review) if review else None,
        "review_open": services.review_open(complaint),
        "review_last_day": window[0] if window else None,
        "review_form": ReviewForm(),
        "can_rate": complaint.notified_at is not None and rating is None,
        "rating": rating.get_result_display() if rating else "",
        "rate_form": RateForm(),
    }
    return _page(request, "case.html", context)


@chinese
@require_POST
def case_review(request: HttpRequest) -> HttpResponse:
    ticket = _ticket(request)
    if ticket is None:
        return redirect("portal:track")
    if not ratelimit.hit("action", ratelimit.client_ip(request)):
        return _too_many(request)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            review = services.portal_request_review(
                ticket=ticket, narrative=form.cleaned_data["narrative"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("已收到您的核查申请（编号 %(no)s），上一级机构将在30日内答复。")
                % {"no": review.registry_no},
            )
    else:
        messages.error(request, _("请填写不同意处理决定的理由。"))
    return redirect("portal:case")


@chinese
@require_POST
def case_rate(request: HttpRequest) -> HttpResponse:
    ticket = _ticket(request)
    if ticket is None:
        return redirect("portal:track")
    if not ratelimit.hit("action", ratelimit.client_ip(request)):
        return _too_many(request)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.portal_rate(
                ticket=ticket,
                result=form.cleaned_data["result"],
                comments=form.cleaned_data["comments"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感谢您的评价！"))
    else:
        messages.error(request, _("请选择满意程度。"))
    return redirect("portal:case")


@chinese
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_TICKET, None)
    return redirect("portal:index")


@chinese
@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """The large-text switch for older users: a cookie, so it works without JavaScript."""
    target = request.POST.get("next") or reverse("portal:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:index")
    response = redirect(target)
    size = "large" if request.POST.get("size") == "large" else "normal"
    response.set_cookie(TEXT_COOKIE, size, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
