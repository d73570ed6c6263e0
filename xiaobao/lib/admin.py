"""Admin mixins shared by every app: branch scope and append-only history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from xiaobao.audit.services import audit_record
from xiaobao.organisation.configuration import can_configure
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


class ConfigurationAdmin(admin.ModelAdmin):
    """Institution-wide configuration: changed only by head-office configuration roles, audited.

    The model permission alone is not enough (branch roles carry `complaints.change_*` for their
    cases): adding, changing and deleting also need `organisation.configure_institution` held at
    head office. Every change writes an audit event filed under head office.
    """

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_configure(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_configure(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_configure(request.user) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self.audit_change(request, obj, "change" if change else "add", form)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for inline_obj in [*formset.new_objects, *(o for o, _f in formset.changed_objects)]:
                self.audit_change(request, inline_obj, "change")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.audit_change(request, obj, "delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            self.audit_change(request, obj, "delete")
        super().delete_queryset(request, queryset)

    def audit_change(self, request: HttpRequest, obj: Any, verb: str, form: Any = None) -> None:
        data: dict[str, Any] = {}
        if form is not None:
            data = {f: str(form.cleaned_data.get(f)) for f in form.changed_data}
        audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{verb}",
            obj=obj,
            summary=str(obj),
            data=data,
        )
