"""What reporting keeps: typical cases, early-warning alerts, editable texts and built documents."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import OPEN_STATUSES
from xiaobao.reports.choices import AlertKind, AlertStatus, RunKind, RunStatus, TemplateKey

USER = settings.AUTH_USER_MODEL


class TypicalCase(models.Model):
    """A handled complaint written up, personal data redacted, as a lesson (典型案例)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="typical_case",
    )
    title = models.CharField(_("案例标题"), max_length=120)
    write_up = models.TextField(
        _("案例内容"), help_text=_("已去除个人信息的案情、处理过程与结果。")
    )
    lessons = models.TextField(_("案例启示"), blank=True)
    tags = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("多个关键词以逗号或顿号分隔。")
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    author = models.ForeignKey(USER, verbose_name=_("撰写人"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-published_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        import re

        return [t for t in (s.strip() for s in re.split(r"[,，、;；\s]+", self.tags)) if t]


class Alert(models.Model):
    """An early warning addressed to a unit's consumer-protection office, with its evidence."""

    scope_unit_field: ClassVar[str] = "unit"

    kind = models.CharField(_("预警类型"), max_length=16, choices=AlertKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("提示机构"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("由该机构（及其上级）消保部门处理。"),
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("提示部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("该机构或其最近上级的消费者权益保护部门。"),
    )
    # A stable name of what rose ("cause:PRICING", "unit:JC100", "person:<hash>") for de-duplication.
    subject_key = models.CharField(_("对象键"), max_length=160)
    subject = models.CharField(_("预警对象"), max_length=200)
    period_start = models.DateField(_("观察期起"))
    period_end = models.DateField(_("观察期止"))
    count = models.PositiveIntegerField(_("观察期投诉量"))
    evidence = models.JSONField(_("证据"), default=dict)
    risk_notice = models.TextField(
        _("消费风险提示（草稿）"), blank=True, help_text=_("系统按模板起草，可修改后对外发布。")
    )
    raised_at = models.DateTimeField(_("预警时间"))
    handled_by = models.ForeignKey(
        USER, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.PROTECT
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            # Two runs over the same window never raise the same alert twice.
            models.UniqueConstraint(
                fields=["kind", "subject_key", "period_start"], name="alert_once_per_window"
            )
        ]
        indexes = [models.Index(fields=["status", "-raised_at"], name="alert_status_raised_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.subject}"


class ReportTemplate(models.Model):
    """An administrator's rewording of a generated text (Django template syntax)."""

    scope_unit_field: ClassVar[str | None] = None  # configuration, the same for everybody

    key = models.CharField(_("模板"), max_length=32, choices=TemplateKey.choices, unique=True)
    body = models.TextField(
        _("模板内容"),
        help_text=_(
            "Django 模板语法。工作总结中以“# ”开头的行为一级标题、“## ”为二级标题，"
            "单独一行的 [[表格名]] 插入统计表。"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("报告模板")
        verbose_name_plural = _("报告模板")
        ordering = ["key"]

    def __str__(self) -> str:
        return str(self.get_key_display())


def _run_path(instance: ReportRun, filename: str) -> str:
    return f"reports/{instance.kind}/{filename}"


class ReportRun(models.Model):
    """A document built in the background and kept as a file for the requester's scope."""

    scope_unit_field: ClassVar[str] = "unit"

    kind = models.CharField(_("报告类型"), max_length=32, choices=RunKind.choices)
    params = models.JSONField(_("参数"), default=dict)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("统计机构"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        USER, verbose_name=_("申请人"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    file = models.FileField(_("文件"), upload_to=_run_path, max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告文件")
        verbose_name_plural = _("报告文件")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_statistics", _("查看统计分析")),
            ("view_regulator_report", _("下载监管统计报表")),
            ("view_work_summary", _("生成工作总结")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ComplaintFact(models.Model):
    """One narrow row per case holding what the statistics count (kept in step by `facts`).

    Field names are the complaint's own, so the registry's filters, the branch scope and the
    counting rule apply to it unchanged; values that need a join on the wide row (compensation,
    the satisfaction survey) or a per-row computation (handling days) are stored worked out.
    """

    scope_unit_field: ClassVar[str] = "unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="fact",
    )
    kind = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    received_at = models.DateTimeField()
    # Units, terms and users are never deleted; no constraint keeps the store's writes cheap.
    # The unit is indexed by fact_unit_received_idx, whose first column it is.
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    handler = models.ForeignKey(
        USER, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    intake_channel = models.ForeignKey(
        "complaints.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    business_channel = models.ForeignKey(
        "complaints.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    business_category = models.ForeignKey(
        "complaints.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    cause = models.ForeignKey(
        "complaints.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    level = models.ForeignKey(
        "complaints.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    is_major = models.BooleanField()
    due_at = models.DateTimeField(null=True)
    notified_at = models.DateTimeField(null=True)
    handling_days = models.IntegerField(null=True)  # notice date − receipt date (Asia/Shanghai)
    timely = models.BooleanField(null=True)
    at_fault = models.BooleanField(null=True)
    extension_approved = models.BooleanField()
    allowed_days = models.PositiveSmallIntegerField()
    review_requested = models.BooleanField()
    review_outcome = models.CharField(max_length=16)
    surveyed = models.BooleanField()  # a follow-up call that reached them, or a portal rating
    satisfied = models.BooleanField()
    compensation = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    # A referral the referrer forwarded late (Art. 33), as registered: the workbook reports them.
    forwarded_late = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="fact_received_idx"),
            models.Index(fields=["unit", "received_at"], name="fact_unit_received_idx"),
            # The open cases of the months the rollups hold, read live (their overdue state
            # depends on the moment): a few per cent of the facts.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status__in=[str(s) for s in OPEN_STATUSES]),
                name="fact_open_received_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.pk}"


class PersonFact(models.Model):
    """A complainant of a counted case as the statistics see them: `person_key` names everyone
    linked to them by a shared ID number or phone hash (the smallest hash of that group)."""

    scope_unit_field: ClassVar[str] = "fact__unit"

    # Indexed by person_fact_unique, whose first column it is.
    fact = models.ForeignKey(
        ComplaintFact, on_delete=models.CASCADE, related_name="people", db_index=False
    )
    # Exact lookups only: indexed in Meta, without PostgreSQL's LIKE copies that db_index adds.
    id_number_hash = models.CharField(max_length=64, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    person_key = models.CharField(max_length=66)
    # On more than one counted case anywhere: only such people can repeat within a population,
    # so the statistics read just these rows (a few per cent) through the partial index.
    repeated = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["fact", "person_key"],
                condition=models.Q(repeated=True),
                name="person_fact_repeated_idx",
            ),
            models.Index(fields=["id_number_hash"], name="person_fact_id_hash_idx"),
            models.Index(fields=["phone_hash"], name="person_fact_phone_hash_idx"),
            models.Index(fields=["person_key"], name="person_fact_key_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fact", "id_number_hash", "phone_hash"], name="person_fact_unique"
            )
        ]

    def __str__(self) -> str:
        return self.person_key


class MonthlyRollup(models.Model):
    """The additive figures of one month's settled cases (counted, no longer open) of one unit,
    whole (`dimension` "") or per value of one dimension (kept in step by `rollups`)."""

    scope_unit_field: ClassVar[str] = "unit"

    month = models.DateField()  # the first day of the month the cases were received in (Shanghai)
    unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    dimension = models.CharField(max_length=24, blank=True)
    value = models.IntegerField(null=True)  # a term's or a handler's id; None: unclassified
    received = models.PositiveIntegerField()
    closed = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    timely = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()
    withdrawn = models.PositiveIntegerField()
    referred = models.PositiveIntegerField()
    at_fault = models.PositiveIntegerField()
    extended = models.PositiveIntegerField()
    extended_60 = models.PositiveIntegerField()
    reviewed = models.PositiveIntegerField()
    review_decided = models.PositiveIntegerField()
    reversed = models.PositiveIntegerField()
    surveyed = models.PositiveIntegerField()
    satisfied = models.PositiveIntegerField()
    compensation = models.DecimalField(max_digits=18, decimal_places=2)
    # {handling days: answered cases}: the histogram the 90th percentile and the average need.
    days = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["month", "dimension"], name="rollup_month_dim_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.dimension}={self.value}"


class RollupMonth(models.Model):
    """A month whose rollup rows are built; a month without one is built on its first read."""

    scope_unit_field: ClassVar[str | None] = None  # the rollups' bookkeeping: nobody's cases

    month = models.DateField(primary_key=True)
    # The referral channels' ids when built: `referred` is counted through them.
    referral_channels = models.CharField(max_length=500, blank=True)
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class StaleMonth(models.Model):
    """A change of a case received in `month` since its rollup was built: writers only append
    (never wait on each other); the rebuild deletes the marks it has seen."""

    scope_unit_field: ClassVar[str | None] = None  # the rollups' bookkeeping: nobody's cases

    month = models.DateField(db_index=True)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
