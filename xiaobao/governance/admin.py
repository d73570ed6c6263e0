"""Admin: governance records are read here; they change through the pages and the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaobao.governance.models import InternalRule, Meeting
from xiaobao.lib.admin import ScopedAdminMixin


class _ReadOnly(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(_ReadOnly):
    list_display = ("held_on", "title", "body", "unit", "status")
    list_filter = ("body", "status")


@admin.register(InternalRule)
class InternalRuleAdmin(_ReadOnly):
    list_display = (
        "title",
        "doc_number",
        "version",
        "unit",
        "effective_on",
        "next_review_on",
        "status",
    )
    list_filter = ("status",)
    search_fields = ("title", "doc_number")
