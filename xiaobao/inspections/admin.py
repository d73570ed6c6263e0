from django.contrib import admin

from xiaobao.inspections.models import Checklist, ChecklistItem


class ItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "name", "status")
    inlines = [ItemInline]
