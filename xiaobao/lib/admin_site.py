"""The admin site: only administrators and configuration roles may enter it."""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

from xiaobao.organisation.configuration import can_use_admin


class XiaobaoAdminSite(AdminSite):
    """Everyone else works in the workbench: a signed-in user without the right gets a 403."""

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = request.user
            leaving = request.path == reverse("admin:logout", current_app=self.name)
            if user.is_authenticated and not leaving and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)


class XiaobaoAdminConfig(AdminConfig):
    default_site = "xiaobao.lib.admin_site.XiaobaoAdminSite"
