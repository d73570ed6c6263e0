"""Admin: report templates are edited here; typical cases, alerts and files are only read here
(they change through the reports pages, which redact and audit every write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from xiaobao.lib.admin import ConfigurationAdmin, ScopedAdminMixin
from xiaobao.reports.models import Alert, ReportRun, ReportTemplate, TypicalCase
from xiaobao.reports.texts import default_source, validate_template


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TypicalCase)
class TypicalCaseAdmin(ReadOnlyAdmin):
    list_display = ("title", "complaint", "published_at", "author")
    list_filter = ("published_at",)
    search_fields = ("title", "tags")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("raised_at", "kind", "subject", "count", "unit", "status")
    list_filter = ("kind", "status")
    search_fields = ("subject",)


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "unit", "requested_by", "status")
    list_filter = ("kind", "status")


class ReportTemplateForm(forms.ModelForm):
    class Meta:
        model = ReportTemplate
        fields = ["key", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 120})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        validate_template(body)
        return body


@admin.register(ReportTemplate)
class ReportTemplateAdmin(ConfigurationAdmin):
    form = ReportTemplateForm
    list_display = ("key", "updated_at")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        key = request.GET.get("key")
        if key:
            initial["body"] = default_source(key)
        return initial
