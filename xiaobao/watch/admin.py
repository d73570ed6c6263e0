"""Admin: thresholds and ladder rules are configuration; everything else is read here only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaobao.lib.admin import AppendOnlyAdmin, ConfigurationAdmin, ScopedAdminMixin
from xiaobao.watch.models import (
    Delivery,
    EscalationRule,
    Firing,
    Notification,
    NotificationPreference,
    ScheduledRun,
    Threshold,
    WatchState,
)
from xiaobao.watch.sweep import rearm_all


class _RearmOnChange:
    """A changed threshold or rule moves moments of every open case: look at all of them."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        transaction.on_commit(rearm_all)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        transaction.on_commit(rearm_all)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        messages.info(request, _("已保存；下一次期限扫描将按新规则重新检查所有在办投诉。"))
        return super().log_change(request, obj, message)  # type: ignore[misc]


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    fields = ("level", "reach", "urgent", "is_active")


@admin.register(Threshold)
class ThresholdAdmin(_RearmOnChange, ConfigurationAdmin):
    list_display = ("name", "code", "fraction", "offset_hours", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    inlines = [EscalationRuleInline]


@admin.register(EscalationRule)
class EscalationRuleAdmin(_RearmOnChange, ConfigurationAdmin):
    list_display = ("threshold", "level", "reach", "urgent", "is_active")
    list_filter = ("threshold", "level", "reach", "urgent")


class _ReadOnly(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WatchState)
class WatchStateAdmin(_ReadOnly):
    list_display = ("complaint", "due_at", "next_check_at", "checked_at", "last_error")
    search_fields = ("complaint__registry_no",)
    raw_id_fields = ("complaint",)


@admin.register(Firing)
class FiringAdmin(AppendOnlyAdmin):
    list_display = ("complaint", "threshold", "due_at", "fired_at", "outcome", "reach", "used")
    list_filter = ("threshold", "outcome")
    search_fields = ("complaint__registry_no",)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "digest", "deliver_after", "delivered_at", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = (
        "title",
        "recipient",
        "kind",
        "urgent",
        "created_at",
        "deliver_after",
        "read_at",
    )
    list_filter = ("kind", "urgent")
    search_fields = ("complaint__registry_no", "recipient__username")
    inlines = [DeliveryInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "channels", "daily_digest", "updated_at")


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """The periodic jobs (`xiaobao.watch.schedule`) and how their last run went; read only."""

    list_display = (
        "name",
        "every_seconds",
        "last_started_at",
        "last_finished_at",
        "last_result",
        "last_error_line",
        "next_run_at",
        "runs",
        "failures",
    )
    readonly_fields = [f.name for f in ScheduledRun._meta.fields]

    @admin.display(description=_("上次错误"))
    def last_error_line(self, obj: ScheduledRun) -> str:
        return obj.last_error.strip().splitlines()[-1] if obj.last_error.strip() else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
