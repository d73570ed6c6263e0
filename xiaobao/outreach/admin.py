from django.contrib import admin

from xiaobao.outreach.models import Material, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "ordering", "is_active")
    list_editable = ("ordering", "is_active")


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "version", "format", "valid_from", "valid_to")
    search_fields = ("code", "title")
    filter_horizontal = ("topics",)
