from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaobao.lib.admin import ScopedAdminMixin
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
