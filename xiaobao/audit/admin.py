from django.contrib import admin

from xiaobao.audit.models import AuditEvent, RecordEvent
from xiaobao.lib.admin import AppendOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ("occurred_at", "actor", "unit", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("summary", "object_id")
    date_hierarchy = "occurred_at"


@admin.register(RecordEvent)
class RecordEventAdmin(AppendOnlyAdmin):
    list_display = (
        "occurred_at",
        "actor",
        "unit",
        "content_type",
        "object_id",
        "action",
        "to_status",
    )
    list_filter = ("content_type", "action")
    date_hierarchy = "occurred_at"
