from django.contrib import admin

from xiaobao.audit.models import AuditEvent
from xiaobao.lib.admin import AppendOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ("occurred_at", "actor", "unit", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("summary", "object_id")
    date_hierarchy = "occurred_at"
