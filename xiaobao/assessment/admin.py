from typing import Any

from django.contrib import admin

from xiaobao.assessment.choices import SchemeStatus
from xiaobao.assessment.models import Element, Indicator, Scheme


class DraftOnly:
    """Elements and indicators change only while their scheme is a draft (then it is frozen)."""

    def _frozen(self, obj: Any) -> bool:
        return obj is not None and obj.status != SchemeStatus.DRAFT

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ElementInline(DraftOnly, admin.TabularInline):
    model = Element
    extra = 0


class IndicatorInline(DraftOnly, admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "year", "kind", "version", "status", "is_example")
    list_filter = ("kind", "status", "year")
    inlines = (ElementInline, IndicatorInline)
    # Status moves only through the services (approval, publication), each with its event.
    readonly_fields = ("status", "approved_by", "approved_at", "published_at", "version")
