from django.contrib import admin

from xiaobao.evidence.models import EvidenceFile
from xiaobao.lib.admin import AppendOnlyAdmin


@admin.register(EvidenceFile)
class EvidenceFileAdmin(AppendOnlyAdmin):
    list_display = ("uploaded_at", "unit", "original_name", "content_type", "object_id", "size")
    list_filter = ("content_type", "mime_type")
    search_fields = ("original_name", "sha256")
