"""Pages for personal-information requests (PIPL access, copy, correction, deletion).

Each request has its own clock (`DataSubjectRequest.due_date`); registering and answering are
audited by the services. Views parse, call one service, render; reads respect branch scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.errors import DomainError, lazy_date
from xiaobao.lib.web import domain_status, form_error
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.privacy import forms, services
from xiaobao.privacy.choices import RequestStatus
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.models import DataSubjectRequest


def _row(r: DataSubjectRequest, today: Any) -> dict[str, Any]:
    return {
        "r": r,
        "name": mask_name(r.subject_name),
        "phone": mask("phone", r.subject_phone or ""),
        "overdue": r.status == RequestStatus.OPEN and r.due_date < today,
    }


@login_required
@permission_required("privacy.view_datasubjectrequest", raise_exception=True)
def request_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    today = timezone.now().astimezone(TZ).date()
    rows = visible_to(user, DataSubjectRequest.objects.select_related("unit")).order_by(
        "status", "due_date"
    )[:200]
    form = forms.RequestForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = services.dsr_register(
                    actor=user,
                    unit=d["unit"],
                    kind=d["kind"],
                    subject_name=d["subject_name"],
                    details=d["details"],
                    received_at=d["received_at"],
                    id_number=d["id_number"],
                    phone=d["phone"],
                )
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(
                    request, _("已登记，答复期限 %(due)s。") % {"due": lazy_date(created.due_date)}
                )
                return redirect("privacy:request_detail", pk=created.pk)
    context = {
        "rows": [_row(r, today) for r in rows],
        "form": form,
        "can_add": user.has_perm("privacy.add_datasubjectrequest"),
    }
    return render(request, "privacy/requests.html", context, status=status)


@login_required
@permission_required("privacy.view_datasubjectrequest", raise_exception=True)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    item = get_visible_or_404(user, DataSubjectRequest.objects.select_related("unit"), pk=pk)
    form = forms.AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.dsr_answer(
                    actor=user,
                    request=item,
                    status=form.cleaned_data["status"],
                    answer=form.cleaned_data["answer"],
                )
            except DomainError as exc:
                form_error(form, exc)
                messages.error(request, exc.message)
                status = domain_status(exc)
            else:
                messages.success(request, _("已答复。"))
                return redirect("privacy:request_detail", pk=item.pk)
    today = timezone.now().astimezone(TZ).date()
    context = {
        **_row(item, today),
        "form": form,
        "can_answer": user.has_perm("privacy.change_datasubjectrequest")
        and item.status == RequestStatus.OPEN,
    }
    return render(request, "privacy/request_detail.html", context, status=status)
