from django.contrib import admin
from django.http import HttpRequest

from xiaobao.language.models import ClassifierModel
from xiaobao.lib.admin import ConfigurationAdmin


@admin.register(ClassifierModel)
class ClassifierModelAdmin(ConfigurationAdmin):
    """Read-only history of trained versions; training happens through `classifier_train`."""

    list_display = ("target", "version", "status", "trained_at", "n", "metrics")
    list_filter = ("target", "status")
    fields = ("target", "version", "status", "trained_at", "n", "classes", "metrics", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
