from typing import Any

from django.contrib import admin

from xiaobao.partners.models import Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Read-only in the admin: the list changes only through its services (events, rules)."""

    list_display = ("name", "credit_code", "type", "status", "unit")
    list_filter = ("status", "type")
    search_fields = ("name", "credit_code")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
