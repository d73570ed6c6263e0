"""The lockout list (django-axes) with every administrator unlock written to the audit log.

Deleting a locked attempt in the admin (one, or several with the bulk action) is the unlock; each
deletion becomes one `login.unlock` audit event naming the administrator, the account and the
address, filed under the account's unit (head office for an unknown account).
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from xiaobao.audit.services import audit_unlock


class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_unlock(
                actor=request.user, username=obj.username or "", address=obj.ip_address or ""
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for attempt in queryset:
                audit_unlock(
                    actor=request.user,
                    username=attempt.username or "",
                    address=attempt.ip_address or "",
                )
            super().delete_queryset(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AuditedAccessAttemptAdmin)
