from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from xiaobao.lib.admin import AppendOnlyAdmin, ConfigurationAdmin, ScopedAdminMixin
from xiaobao.lib.spreadsheet import escape_row
from xiaobao.privacy.masking import mask
from xiaobao.privacy.models import DataSubjectRequest, PersonalDataAccess, RetentionPolicy


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(AppendOnlyAdmin):
    list_display = ("occurred_at", "actor", "unit", "case_ref", "field", "reason")
    list_filter = ("field", "occurred_at")
    search_fields = ("case_ref", "actor__username", "reason")
    date_hierarchy = "occurred_at"
    actions = ["export_csv"]

    @admin.action(description=_("导出所选记录（CSV）"), permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[PersonalDataAccess]
    ) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="personal-data-access.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(response)
        writer.writerow(["时间", "查看人", "案件所属机构", "案件编号", "字段", "理由"])
        for row in queryset.select_related("actor", "unit").order_by("occurred_at"):
            writer.writerow(
                escape_row(
                    [
                        f"{row.occurred_at:%Y-%m-%d %H:%M:%S}",
                        str(row.actor),
                        str(row.unit),
                        row.case_ref,
                        row.field,
                        row.reason,
                    ]
                )
            )
        return response


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(ConfigurationAdmin):
    list_display = ("record_type", "years", "basis", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "received_at",
        "kind",
        "subject_name",
        "masked_phone",
        "unit",
        "due_date",
        "status",
    )
    list_filter = ("kind", "status")
    exclude = ("subject_id_number", "subject_phone")
    readonly_fields = ("masked_phone", "masked_id")

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: DataSubjectRequest) -> str:
        return mask("phone", obj.subject_phone or "")

    @admin.display(description=_("证件号码"))
    def masked_id(self, obj: DataSubjectRequest) -> str:
        return mask("id_number", obj.subject_id_number or "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered through the service, which hashes and validates
