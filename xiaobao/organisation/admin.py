from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaobao.audit.services import audit_record
from xiaobao.lib.admin import ConfigurationAdmin, ScopedAdminMixin
from xiaobao.organisation import services
from xiaobao.organisation.models import Department, ResponsiblePerson, Unit, User


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    fields = ("code", "name", "function", "is_active")


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("indented_name", "code", "kind", "parent", "customer_count", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "short_name")
    fields = (
        "code",
        "name",
        "short_name",
        "kind",
        "parent",
        "address",
        "customer_count",
        "is_active",
    )
    inlines = [DepartmentInline]

    @admin.display(description=_("机构名称"), ordering="path")
    def indented_name(self, obj: Unit) -> str:
        return "\u3000" * obj.depth + obj.name

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        # Paths are maintained by the services, so the admin writes through them too.
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
            services.unit_update(actor=request.user, unit=Unit.objects.get(pk=obj.pk), **changes)
        else:
            created = services.unit_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                short_name=obj.short_name,
                address=obj.address,
                customer_count=obj.customer_count,
            )
            obj.pk = created.pk
            obj.path, obj.depth = created.path, created.depth


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "unit", "function", "is_active")
    list_filter = ("function", "is_active")
    search_fields = ("name", "code", "unit__name")


@admin.register(ResponsiblePerson)
class ResponsiblePersonAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("unit", "duty", "name", "position", "phone", "start_date", "end_date")
    list_filter = ("duty",)
    search_fields = ("name", "unit__name")
    date_hierarchy = "start_date"


class StaffCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "display_name", "unit", "department")


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    add_form = StaffCreationForm
    list_display = ("username", "display_name", "unit", "department", "is_active", "last_login")
    list_filter = ("is_active", "groups", "unit__kind")
    search_fields = ("username", "display_name", "email", "unit__name")
    ordering = ("unit__path", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email", "phone", "title")}),
        (_("所属机构"), {"fields": ("unit", "department")}),
        (_("角色与权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "display_name",
                    "unit",
                    "department",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only a superuser makes another: an administrator cannot lift anyone above themselves.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "is_superuser")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        watched = {"groups", "is_superuser", "is_staff", "is_active", "unit"}
        changed = sorted(watched & set(form.changed_data))
        if changed:
            user = form.instance
            audit_record(
                actor=request.user,
                action="user.admin_change",
                obj=user,
                unit=user.unit,
                summary=user.username,
                data={
                    "fields": changed,
                    "roles": sorted(g.name for g in user.groups.all()),
                    "is_superuser": user.is_superuser,
                },
            )


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ConfigurationAdmin, DjangoGroupAdmin):
    """Roles and their permissions apply to the whole institution: configuration, audited."""
