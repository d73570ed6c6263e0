"""The inbox and notification preferences; views parse, call one service, render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import User
from xiaobao.watch import conf, selectors, services
from xiaobao.watch.forms import PreferenceForm
from xiaobao.watch.models import NotificationPreference
from xiaobao.watch.notify import push_channels

PAGE_SIZE = 30


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("watch:inbox")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notices = selectors.inbox(user=request.user, unread_only=unread_only)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "watch/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread": selectors.unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(user=request.user, pk=pk)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=request.user)
    messages.success(request, _("已将%(n)d条通知标为已读。") % {"n": count})
    return _back(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    current = NotificationPreference.objects.filter(user=user).first()
    initial = {
        "channels": push_channels(current),
        "daily_digest": bool(current and current.daily_digest),
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_update(
                user=user,
                channels=form.cleaned_data["channels"],
                daily_digest=form.cleaned_data["daily_digest"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("watch:preferences")
    hours = conf.get("WORKING_HOURS")
    return render(request, "watch/preferences.html", {"form": form, "hours": hours})
