"""Admin mixins shared by every app: branch scope and append-only history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from xiaobao.organisation.scope import visible_to


class ScopedAdminMixin:
    """Restrict the admin's lists, searches and detail pages to the user's branch scope."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return visible_to(request.user, qs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if getattr(related, "scope_unit_field", None) is not None and "queryset" not in kwargs:
            kwargs["queryset"] = visible_to(request.user, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class AppendOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """History rows are read in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
