from django.contrib import admin

from xiaobao.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "run_after", "attempts", "locked_by", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False
