"""Admin: configuration is edited here (through services); cases are read here, with timeline.

Cases change only through the lifecycle services (the workbench and API call them), so the
complaint admin is a read-only, branch-scoped view of the whole case.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints import taxonomy
from xiaobao.complaints.models import (
    CalendarDay,
    Complainant,
    Complaint,
    ComplaintEvent,
    DeadlinePolicy,
    Decision,
    Extension,
    FollowUp,
    Notice,
    Pause,
    TaxonomyRevision,
    TaxonomyTerm,
)
from xiaobao.lib.admin import AppendOnlyAdmin, ConfigurationAdmin, ScopedAdminMixin
from xiaobao.lib.errors import DomainError
from xiaobao.privacy.masking import mask, mask_name


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(ReadOnlyInline):
    model = TaxonomyRevision
    fields = ("version", "snapshot", "changed_by", "changed_at", "note")
    readonly_fields = fields


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(ConfigurationAdmin):
    list_display = ("axis", "code", "name", "name_en", "parent", "is_active", "version")
    list_filter = ("axis", "is_active")
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("version", "retired_at", "is_active")
    inlines = [RevisionInline]
    actions = ["retire", "restore"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A code that exists may already be on cases: it never changes, it is retired instead.
        return (*self.readonly_fields, "axis", "code") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TaxonomyTerm, form: Any, change: bool) -> None:
        note = "管理后台修改" if change else "管理后台新增"
        try:
            if change:
                changes = {
                    f: form.cleaned_data[f] for f in taxonomy.EDITABLE if f in form.changed_data
                }
                taxonomy.taxonomy_term_update(actor=request.user, term=obj, note=note, **changes)
            else:
                fields = {
                    f: form.cleaned_data[f] for f in taxonomy.EDITABLE if f in form.cleaned_data
                }
                created = taxonomy.taxonomy_term_create(
                    actor=request.user,
                    axis=obj.axis,
                    code=obj.code,
                    name=fields.pop("name"),
                    note=note,
                    **fields,
                )
                obj.pk = created.pk
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description=_("停用所选代码（已有案件保留原分类）"), permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet[TaxonomyTerm]) -> None:
        for term in queryset.filter(is_active=True):
            taxonomy.taxonomy_term_retire(actor=request.user, term=term)

    @admin.action(description=_("恢复启用所选代码"), permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[TaxonomyTerm]) -> None:
        for term in queryset.filter(is_active=False):
            taxonomy.taxonomy_term_restore(actor=request.user, term=term)


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(ConfigurationAdmin):
    list_display = (
        "kind",
        "days",
        "working_days",
        "roll_over_holidays",
        "extension_days",
        "max_extension_days",
        "updated_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(ConfigurationAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


class ComplainantInline(ReadOnlyInline):
    """Personal data is shown masked here; unmasking happens on the case page with a reason."""

    model = Complainant
    fields = (
        "role",
        "masked_name",
        "id_type",
        "masked_id",
        "masked_phone",
        "masked_address",
        "is_representative",
    )
    readonly_fields = fields

    @admin.display(description=_("姓名/名称"))
    def masked_name(self, obj: Complainant) -> str:
        return mask_name(obj.name)

    @admin.display(description=_("证件号码"))
    def masked_id(self, obj: Complainant) -> str:
        return mask("id_number", obj.id_number or "")

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: Complainant) -> str:
        return mask("phone", obj.phone or "")

    @admin.display(description=_("联系地址"))
    def masked_address(self, obj: Complainant) -> str:
        return mask("address", obj.address or "")


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    verbose_name_plural = _("处理时间线")
    fields = ("occurred_at", "action", "actor", "from_status", "to_status", "reason", "data")
    readonly_fields = fields
    ordering = ("occurred_at", "id")


class PauseInline(ReadOnlyInline):
    model = Pause
    fields = ("reason", "started_at", "ended_at", "complainant_told_by", "note")
    readonly_fields = fields


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = (
        "target_days",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = (
        "outcome",
        "verified_facts",
        "basis",
        "reasons",
        "compensation",
        "routes",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ("method", "given_at", "evidence", "given_by")
    readonly_fields = fields


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = ("made_at", "method", "result", "comments", "made_by")
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "registry_no",
        "title",
        "status",
        "unit",
        "intake_channel",
        "received_at",
        "due_date",
        "handler",
        "is_major",
    )
    list_filter = (
        "status",
        "kind",
        "is_major",
        "intake_channel",
        "business_category",
        "cause",
        "level",
    )
    search_fields = ("registry_no", "title", "external_ref")
    date_hierarchy = "received_at"
    list_select_related = ("unit", "intake_channel", "handler")
    inlines = [
        ComplainantInline,
        DecisionInline,
        NoticeInline,
        PauseInline,
        ExtensionInline,
        FollowUpInline,
        EventInline,
    ]
    fieldsets = (
        (
            _("登记"),
            {
                "fields": (
                    "registry_no",
                    "kind",
                    "status",
                    "received_at",
                    "intake_channel",
                    "external_ref",
                    "referrer_received_on",
                    "review_of",
                    "merged_into",
                )
            },
        ),
        (_("投诉内容"), {"fields": ("title", "narrative", "demands", "demand_text", "amount")}),
        (
            _("分类"),
            {
                "fields": (
                    "business_channel",
                    "business_category",
                    "cause",
                    "level",
                    "tags",
                    "group_size",
                    "is_major",
                    "major_reason",
                )
            },
        ),
        (
            _("责任"),
            {
                "fields": (
                    "unit",
                    "complained_unit",
                    "complained_staff",
                    "complained_staff_name",
                    "handler",
                )
            },
        ),
        (
            _("期限"),
            {
                "fields": (
                    "allowed_days",
                    "clock_restarted_at",
                    "due_date",
                    "due_at",
                    "deadline_explanation",
                    "decided_at",
                    "notified_at",
                    "timely",
                )
            },
        ),
        (_("办结"), {"fields": ("root_cause", "at_fault", "ended_at", "end_reason")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(AppendOnlyAdmin):
    list_display = ("occurred_at", "complaint", "action", "actor", "from_status", "to_status")
    list_filter = ("action",)
    search_fields = ("complaint__registry_no",)
    list_select_related = ("complaint", "actor")
