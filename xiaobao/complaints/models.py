"""The complaint registry: taxonomies, cases, their people, clock, decisions and history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from xiaobao.audit.models import AppendOnlyModel
from xiaobao.complaints.choices import (
    OPEN_STATUSES,
    Axis,
    ComplainantRole,
    ExtensionStatus,
    IdType,
    Kind,
    MajorReason,
    NoticeMethod,
    Outcome,
    PauseReason,
    PolicyKind,
    Satisfaction,
    Status,
)
from xiaobao.privacy.fields import EncryptedTextField
from xiaobao.privacy.sealing import seal_fields

USER = settings.AUTH_USER_MODEL


# --- taxonomies and policies (configuration, edited by administrators) --------------------------


STATUS_VALUES = frozenset(Status.values)


class TaxonomyTerm(models.Model):
    """One code on one classification axis; retired, never deleted, so old cases keep meaning."""

    scope_unit_field: ClassVar[str | None] = None  # configuration, the same for everybody

    axis = models.CharField(_("分类维度"), max_length=32, choices=Axis.choices)
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分类代码")
        verbose_name_plural = _("分类代码")
        ordering = ["axis", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["axis", "code"],
                name="taxonomy_code_unique_per_axis",
                violation_error_message=_("该分类维度下已有相同代码。"),
            )
        ]

    def __str__(self) -> str:
        if self.parent_id and self.parent is not None:
            return f"{self.parent.label}/{self.label}"
        return self.label

    @property
    def label(self) -> str:
        """The name in the interface language: the English name on English pages when the
        code has one (JR/T 0169 codes do), the Chinese name otherwise."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def is_referral(self) -> bool:
        return bool(self.attributes.get("referral"))


class TaxonomyRevision(AppendOnlyModel):
    """A snapshot of a taxonomy term as it was after each change (the version history)."""

    scope_unit_field: ClassVar[str | None] = None

    term = models.ForeignKey(
        TaxonomyTerm, verbose_name=_("分类代码"), on_delete=models.PROTECT, related_name="revisions"
    )
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("内容"))
    changed_by = models.ForeignKey(
        USER, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.PROTECT
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分类代码版本")
        verbose_name_plural = _("分类代码版本")
        ordering = ["term", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["term", "version"], name="taxonomy_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.term.code} v{self.version}"


class DeadlinePolicy(models.Model):
    """How long a kind of case may take; a case keeps a copy of the policy it started under."""

    scope_unit_field: ClassVar[str | None] = None

    kind = models.CharField(_("期限类型"), max_length=32, choices=PolicyKind.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("期限（日）"))
    working_days = models.BooleanField(_("按工作日计算"), default=False)
    roll_over_holidays = models.BooleanField(
        _("截止日遇节假日顺延"),
        default=False,
        help_text=_("法规未明确，默认不顺延（更严格）。"),
    )
    extension_days = models.PositiveSmallIntegerField(
        _("一次延期至（日）"), null=True, blank=True, help_text=_("复杂投诉，经机构负责人批准。")
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("最长延期至（日）"),
        null=True,
        blank=True,
        help_text=_("特别复杂投诉，经上级机构负责人或总行高级管理人员批准，并告知投诉人。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("期限规则")
        verbose_name_plural = _("期限规则")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.days}{'个工作日' if self.working_days else '日'}"

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "days": self.days,
            "working_days": self.working_days,
            "roll_over_holidays": self.roll_over_holidays,
            "extension_days": self.extension_days,
            "max_extension_days": self.max_extension_days,
        }


class CalendarDay(models.Model):
    """An administrator's entry for a date the holiday package does not know (yet) or gets wrong."""

    scope_unit_field: ClassVar[str | None] = None

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(
        _("说明"), max_length=100, blank=True, help_text=_("如：2027年春节调休")
    )

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'工作日' if self.is_workday else '休息日'}"


class RegistrySequence(models.Model):
    """The last registry number handed out in a year (claimed with a row lock)."""

    scope_unit_field: ClassVar[str | None] = None

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("台账编号序列")
        verbose_name_plural = _("台账编号序列")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# --- the case ------------------------------------------------------------------------------------


def _term(axis: Axis, verbose: Any, **kwargs: Any) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        TaxonomyTerm,
        verbose_name=verbose,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"axis": axis},
        **kwargs,
    )


class Complaint(models.Model):
    """One case in the institution's single registry (a complaint, or a review of one)."""

    scope_unit_field: ClassVar[str] = "unit"

    registry_no = models.CharField(_("台账编号"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    intake_channel = _term(Axis.INTAKE_CHANNEL, _("投诉渠道"))
    external_ref = models.CharField(_("转办编号"), max_length=64, blank=True)
    referrer_received_on = models.DateField(_("转办方受理日期"), null=True, blank=True)

    # Who and what is complained about, and who answers for it.
    # Indexed by complaint_unit_received_idx, whose first column it is.
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("责任机构"),
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    complained_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("被投诉机构"),
        on_delete=models.PROTECT,
        related_name="complaints_against",
    )
    complained_staff = models.ForeignKey(
        USER,
        verbose_name=_("被投诉员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_against",
    )
    complained_staff_name = models.CharField(_("被投诉人员姓名"), max_length=50, blank=True)
    # Indexed by complaint_handler_status_idx, whose first column it is.
    handler = models.ForeignKey(
        USER,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_handled",
        db_index=False,
    )

    title = models.CharField(_("标题"), max_length=120)
    narrative = models.TextField(_("投诉事实与理由"))
    demand_text = models.TextField(_("诉求说明"), blank=True)
    # The title, narrative and demand as typed, when they held personal data: encrypted, and
    # shown only through the reveal with a reason (privacy.sealing); the columns above hold the
    # masked text.
    sealed_text = EncryptedTextField(kind="sealed_text", blank=True, default="", editable=False)
    demands = models.ManyToManyField(
        TaxonomyTerm,
        verbose_name=_("诉求"),
        blank=True,
        related_name="+",
        limit_choices_to={"axis": Axis.DEMAND},
    )
    amount = models.DecimalField(
        _("涉及金额（元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    business_channel = _term(Axis.BUSINESS_CHANNEL, _("业务办理渠道"), null=True, blank=True)
    business_category = _term(Axis.BUSINESS_CATEGORY, _("业务类别"), null=True, blank=True)
    cause = _term(Axis.CAUSE, _("投诉原因"), null=True, blank=True)
    level = _term(Axis.LEVEL, _("处理级别"))
    tags = models.ManyToManyField(
        TaxonomyTerm,
        verbose_name=_("敏感标签"),
        blank=True,
        related_name="+",
        limit_choices_to={"axis": Axis.TAG},
    )

    # Group and major complaints (Art. 12, 29).
    group_size = models.PositiveIntegerField(_("共同投诉人数"), default=1)
    is_major = models.BooleanField(_("重大投诉"), default=False)
    major_reason = models.CharField(
        _("重大投诉原因"), max_length=20, choices=MajorReason.choices, blank=True
    )

    # The clock. `due_at` is the exclusive end (00:00 after the last day), NULL while paused or
    # once the answer has been given; the watch sweeps open rows by it.
    deadline_policy = models.JSONField(_("适用期限规则"), default=dict, editable=False)
    allowed_days = models.PositiveSmallIntegerField(_("办理期限（日）"), default=15)
    clock_restarted_at = models.DateTimeField(_("重新起算时间"), null=True, blank=True)
    due_date = models.DateField(_("截止日"), null=True, blank=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    deadline_explanation = models.JSONField(_("期限计算说明"), default=list, blank=True)

    # Reviews are cases of their own, linked to the case they review (Art. 20).
    review_of = models.ForeignKey(
        "self",
        verbose_name=_("原投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )

    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    timely = models.BooleanField(_("按时答复"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.TextField(_("结束说明"), blank=True)

    # Facts kept on the row for the statistics (each pass over a quarter reads them from the
    # case instead of four correlated subqueries per case). Set by the services that change them:
    # extension_approve, review_request (and the review's decision), follow_up_record.
    extension_approved = models.BooleanField(_("已批准延期"), default=False, editable=False)
    review_requested = models.BooleanField(_("已申请核查"), default=False, editable=False)
    review_outcome = models.CharField(
        _("核查结果"), max_length=20, choices=Outcome.choices, blank=True, editable=False
    )
    follow_up_result = models.CharField(
        _("回访结果"), max_length=20, choices=Satisfaction.choices, blank=True, editable=False
    )

    # Root cause (Art. 9, 26), required to close.
    root_cause = models.TextField(_("原因分析"), blank=True)
    at_fault = models.BooleanField(_("产品或流程存在问题"), null=True, blank=True)

    # Retention (PBoC: at least 3 years after closure); a legal hold suspends it.
    legal_hold = models.BooleanField(_("诉讼/争议保全"), default=False)
    legal_hold_reason = models.CharField(_("保全原因"), max_length=200, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    created_by = models.ForeignKey(
        USER, verbose_name=_("登记人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉台账")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("handle_complaint", _("办理投诉")),
            ("assign_complaint", _("分派投诉")),
            ("approve_extension_30", _("批准延期至30日")),
            ("approve_extension_60", _("批准延期至60日")),
            ("flag_major", _("认定重大投诉")),
            ("set_legal_hold", _("设置诉讼保全")),
        ]
        indexes = [
            # The deadline sweep reads only open rows by due time.
            models.Index(
                fields=["due_at"],
                name="complaint_open_due_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["unit", "-received_at"], name="complaint_unit_received_idx"),
            models.Index(fields=["status", "-received_at"], name="complaint_status_received_idx"),
            models.Index(fields=["handler", "status"], name="complaint_handler_status_idx"),
            # Referral numbers: the importer's exact lookups, and the search's case-blind one
            # (a number typed in lower case). A plain CharField index would add a second,
            # pattern-matching copy on PostgreSQL that no query reads.
            models.Index(fields=["external_ref"], name="complaint_external_ref_idx"),
            models.Index(Upper("external_ref"), name="complaint_ext_ref_upper_idx"),
            # The registry's 重大投诉 filter: a few cases in a thousand, newest first.
            models.Index(
                fields=["-received_at", "-id"],
                name="complaint_major_received_idx",
                condition=models.Q(is_major=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry_no} {self.title}"

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        # Django's generated version rebuilds a hashable copy of the choices on every call,
        # which showed up as a quarter of the registry page's time (fifty rows a page).
        return str(Status(self.status).label) if self.status in STATUS_VALUES else self.status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_review(self) -> bool:
        return self.kind == Kind.REVIEW

    @property
    def recusal_unchecked(self) -> bool:
        """Only a name was recorded for the staff complained about: recusal cannot be checked."""
        return bool(self.complained_staff_name) and self.complained_staff_id is None


def name_index_for(name: str) -> str:
    """The keyed hash of a complainant's name (`privacy.crypto.name_index`)."""
    from xiaobao.privacy.crypto import name_index

    return name_index(name)


class Complainant(models.Model):
    """A person or organisation filing the complaint (Art. 13); identifiers encrypted at rest."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="complainants"
    )
    role = models.CharField(
        _("身份"), max_length=16, choices=ComplainantRole.choices, default=ComplainantRole.SELF
    )
    name = EncryptedTextField(_("姓名/名称"), kind="name")
    id_type = models.CharField(
        _("证件类型"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = EncryptedTextField(_("证件号码"), kind="id_number", blank=True)
    phone = EncryptedTextField(_("联系电话"), kind="phone", blank=True)
    email = EncryptedTextField(_("电子邮箱"), kind="email", blank=True)
    address = EncryptedTextField(_("联系地址"), kind="address", blank=True)
    card_number = EncryptedTextField(_("银行卡号"), kind="card", blank=True)
    # Keyed hashes beside the encrypted values: exact lookups and repeat detection, no decrypting.
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    card_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Keyed hash of the normalised name (privacy.crypto.name_index): find a person's cases by
    # name without decrypting.
    name_index = models.CharField(max_length=64, blank=True, editable=False)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    represents = models.CharField(
        _("代为投诉的消费者"), max_length=100, blank=True, help_text=_("监护人、代理人、继承人填写")
    )
    is_representative = models.BooleanField(_("群体投诉代表"), default=False)

    class Meta:
        verbose_name = _("投诉人")
        verbose_name_plural = _("投诉人")
        ordering = ["complaint", "id"]
        # Exact lookups only: declared here rather than with db_index, which on PostgreSQL adds
        # a pattern-matching (LIKE) copy of each that no query reads and every insert pays for.
        indexes = [
            models.Index(fields=["id_number_hash"], name="complainant_id_hash_idx"),
            models.Index(fields=["phone_hash"], name="complainant_phone_hash_idx"),
            models.Index(fields=["card_hash"], name="complainant_card_hash_idx"),
            models.Index(fields=["name_index"], name="complainant_name_index_idx"),
        ]

    def __str__(self) -> str:
        from xiaobao.privacy.masking import mask_name

        return mask_name(self.name)


class ComplaintEvent(AppendOnlyModel):
    """One change to a case, written once: the timeline, the audit trail and the work queue."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    # Indexed by event_timeline_idx, whose first column it is.
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    action = models.CharField(_("动作"), max_length=40)
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        USER, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # The note as typed when it held personal data (privacy.sealing); `reason` holds it masked.
    sealed_text = EncryptedTextField(kind="sealed_text", blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("投诉事件")
        verbose_name_plural = _("投诉事件")
        ordering = ["complaint", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "occurred_at"], name="event_timeline_idx"),
            models.Index(fields=["action"], name="event_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"


class Pause(models.Model):
    """Time spent on appraisal, testing, valuation or mediation: not counted (Art. 18, 23)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="pauses"
    )
    reason = models.CharField(_("中止原因"), max_length=16, choices=PauseReason.choices)
    note = models.TextField(_("说明"), blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    complainant_told_by = models.CharField(
        _("告知投诉人方式"), max_length=16, choices=NoticeMethod.choices
    )
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    ended_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("中止计时")
        verbose_name_plural = _("中止计时")
        ordering = ["complaint", "started_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.started_at:%Y-%m-%d}"


class Extension(models.Model):
    """A request to extend the deadline to 30 or 60 days, and its approval (Art. 18)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="extensions"
    )
    target_days = models.PositiveSmallIntegerField(_("延期至（日）"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        USER, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+", null=True
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        USER,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    complainant_told_by = models.CharField(
        _("告知投诉人方式"), max_length=16, choices=NoticeMethod.choices, blank=True
    )
    complainant_told_at = models.DateTimeField(_("告知投诉人时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["complaint", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(status="pending"),
                name="one_pending_extension_per_complaint",
                violation_error_message=_("该投诉已有待审批的延期申请。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint.registry_no} → {self.target_days}日 ({self.get_status_display()})"


class Decision(models.Model):
    """The institution's decision on a case (Art. 19): facts, outcome, basis, reasons, routes."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="decision"
    )
    verified_facts = models.TextField(_("核实情况"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices)
    basis = models.TextField(_("处理依据"))
    reasons = models.TextField(_("理由"))
    text = models.TextField(_("答复内容"), blank=True)
    compensation = models.DecimalField(
        _("补偿/赔偿金额（元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    routes = models.JSONField(_("告知的救济途径"), default=list)
    decided_by = models.ForeignKey(USER, verbose_name=_("决定人"), on_delete=models.PROTECT)
    decided_at = models.DateTimeField(_("决定时间"))

    class Meta:
        verbose_name = _("处理决定")
        verbose_name_plural = _("处理决定")

    def __str__(self) -> str:
        return f"{self.complaint.registry_no} {self.get_outcome_display()}"


class Notice(models.Model):
    """How and when the decision reached the consumer; timeliness is judged by this (Art. 21)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="notice"
    )
    method = models.CharField(_("告知方式"), max_length=16, choices=NoticeMethod.choices)
    given_at = models.DateTimeField(_("告知时间"))
    evidence = models.TextField(
        _("告知凭证"), help_text=_("如：挂号信单号、短信发送记录、通话录音编号")
    )
    given_by = models.ForeignKey(
        USER, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("告知记录")
        verbose_name_plural = _("告知记录")

    def __str__(self) -> str:
        return f"{self.complaint.registry_no} {self.get_method_display()} {self.given_at:%Y-%m-%d}"


class FollowUp(models.Model):
    """The satisfaction call after closing (回访)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    result = models.CharField(_("回访结果"), max_length=16, choices=Satisfaction.choices)
    comments = models.TextField(_("客户意见"), blank=True)
    method = models.CharField(_("回访方式"), max_length=16, choices=NoticeMethod.choices)
    made_by = models.ForeignKey(USER, verbose_name=_("回访人"), on_delete=models.PROTECT)
    made_at = models.DateTimeField(_("回访时间"))

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["complaint", "made_at"]

    def __str__(self) -> str:
        return f"{self.complaint.registry_no} {self.get_result_display()}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never trust the uploaded name on disk: the path is the case and a random name.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"complaints/{instance.complaint_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file kept with a case (evidence, letters, recordings), stored through Django's storage."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, editable=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("上传人"), on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["complaint", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class SavedFilter(models.Model):
    """A registry view a user named and comes back to (e.g. “本行超期未办结”)."""

    scope_unit_field: ClassVar[str] = "owner__unit"

    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("名称"), max_length=60)
    query = models.CharField(_("筛选条件"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("保存的筛选")
        verbose_name_plural = _("保存的筛选")
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


# --- personal data in free text (privacy.sealing) ------------------------------------------------

COMPLAINT_SEALED_FIELDS = ("title", "narrative", "demand_text")
EVENT_SEALED_FIELDS = ("reason",)


def complaint_known_names(complaint: Complaint) -> list[str]:
    """The names masked in the case's free text: its complainants' (cached on the instance)."""
    names = getattr(complaint, "_seal_names", None)
    if names is None:
        names = [p.name for p in complaint.complainants.all()] if complaint.pk else []
        complaint._seal_names = names  # type: ignore[attr-defined]
    return list(names)


def _sealing_applies(update_fields: Any, fields: tuple[str, ...]) -> bool:
    return update_fields is None or bool(set(update_fields) & {*fields, "sealed_text"})


@receiver(pre_save, sender=Complaint, dispatch_uid="complaints.seal_complaint_text")
def _seal_complaint_text(sender: Any, instance: Complaint, update_fields: Any, **kw: Any) -> None:
    if instance.anonymised_at is not None or not _sealing_applies(
        update_fields, COMPLAINT_SEALED_FIELDS
    ):
        return
    seal_fields(instance, COMPLAINT_SEALED_FIELDS, names=complaint_known_names(instance))


@receiver(pre_save, sender=ComplaintEvent, dispatch_uid="complaints.seal_event_text")
def _seal_event_text(sender: Any, instance: ComplaintEvent, **kw: Any) -> None:
    if instance.reason:
        names = complaint_known_names(instance.complaint) if instance.complaint_id else []
        seal_fields(instance, EVENT_SEALED_FIELDS, names=names)
