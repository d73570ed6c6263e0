"""Service inspections: versioned checklists, plans, visits with item results, findings (tasks on
the shared engine), external examinations and the weekly service meetings."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.inspections.choices import (
    AppealDecision,
    ChecklistStatus,
    ComplaintProbeResult,
    ExaminationStatus,
    FindingSource,
    FindingStatus,
    Scenario,
    ScoringType,
    Severity,
    VisitKind,
    VisitStatus,
)

USER = settings.AUTH_USER_MODEL


class Checklist(models.Model):
    """One version of a checklist template; items keep a stable `code` across versions so that
    this year's scores stay comparable with last year's on unchanged items."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("清单代码"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=120)
    status = models.CharField(
        _("状态"), max_length=12, choices=ChecklistStatus.choices, default=ChecklistStatus.DRAFT
    )
    previous = models.ForeignKey(
        "self", verbose_name=_("上一版本"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检查清单")
        verbose_name_plural = _("检查清单")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checklist_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）"


class ChecklistItem(models.Model):
    scope_unit_field: ClassVar[None] = None

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(_("章节"), max_length=60)
    code = models.CharField(_("项目代码"), max_length=32)
    text = models.CharField(_("检查内容"), max_length=300)
    scoring_type = models.CharField(_("评分方式"), max_length=12, choices=ScoringType.choices)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    scale_max = models.PositiveSmallIntegerField(_("分档上限"), default=0)
    deduction = models.DecimalField(
        _("每次扣分"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.LOW
    )
    red_line = models.BooleanField(_("红线项目（一票否决）"), default=False)
    evidence_on_failure = models.BooleanField(_("不达标须附证据"), default=True)
    ordering = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("检查项目")
        verbose_name_plural = _("检查项目")
        ordering = ["checklist", "ordering", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "code"], name="checklist_item_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class InspectionPlan(models.Model):
    """A plan: period, kind, scope, checklist and the sampling rule (k visits per outlet a year,
    in random windows the outlet is not told about)."""

    scope_unit_field: ClassVar[str] = "unit"

    name = models.CharField(_("计划名称"), max_length=120)
    kind = models.CharField(_("检查方式"), max_length=12, choices=VisitKind.choices)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("检查范围"), on_delete=models.PROTECT, related_name="+"
    )
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("检查清单"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    visits_per_outlet = models.PositiveSmallIntegerField(_("每个网点检查次数"), default=1)
    window_days = models.PositiveSmallIntegerField(_("暗访窗口（天）"), default=14)
    unannounced = models.BooleanField(_("不事先通知网点"), default=True)
    vendor_name = models.CharField(_("第三方机构"), max_length=100, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """One inspection of one outlet; its score is always recomputed from the stored results."""

    scope_unit_field: ClassVar[str] = "outlet"

    plan = models.ForeignKey(
        InspectionPlan,
        verbose_name=_("检查计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("检查清单"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("检查方式"), max_length=12, choices=VisitKind.choices)
    scenario = models.CharField(_("场景"), max_length=20, choices=Scenario.choices)
    outlet = models.ForeignKey(
        "organisation.Unit", verbose_name=_("受检网点"), on_delete=models.PROTECT, related_name="+"
    )
    inspector = models.ForeignKey(
        USER, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+"
    )
    window_start = models.DateField(_("窗口开始"), null=True, blank=True)
    window_end = models.DateField(_("窗口结束"), null=True, blank=True)
    visited_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    red_line_failed = models.BooleanField(_("触发红线"), default=False)
    summary = models.TextField(_("检查情况"), blank=True)
    # The test complaint a mystery shopper voices, and what the registry shows afterwards.
    test_complaint = models.BooleanField(_("进行测试投诉"), default=False)
    test_complaint_at = models.DateTimeField(_("测试投诉时间"), null=True, blank=True)
    test_complaint_keyword = models.CharField(_("测试投诉关键词"), max_length=60, blank=True)
    test_complaint_result = models.CharField(
        _("测试投诉核对"),
        max_length=16,
        choices=ComplaintProbeResult.choices,
        default=ComplaintProbeResult.NONE,
        blank=True,
    )
    matched_complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("匹配的投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        USER,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    appeal_due = models.DateField(_("申诉截止日"), null=True, blank=True)
    appeal_text = models.TextField(_("申诉理由"), blank=True)
    appeal_items = models.JSONField(_("申诉项目"), default=list, blank=True)
    appealed_at = models.DateTimeField(_("申诉时间"), null=True, blank=True)
    appeal_decision = models.CharField(
        _("申诉结论"), max_length=10, choices=AppealDecision.choices, blank=True
    )
    appeal_reply = models.TextField(_("申诉答复"), blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-visited_at", "-id"]
        permissions = [
            ("record_visit", _("录入检查结果")),
            ("review_visit", _("审核发布检查结果")),
            ("appeal_visit", _("对检查结果申诉")),
        ]
        indexes = [models.Index(fields=["outlet", "status"], name="visit_outlet_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.outlet_id} {self.visited_at or self.window_start}"


class ItemResult(models.Model):
    """The stored answer for one checklist item at one visit (the score is derived from these)."""

    scope_unit_field: ClassVar[str] = "visit__outlet"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    # yes_no: "yes" / "no" / "na"; scale: "0".."n"; deduction: occurrences "0".."n".
    value = models.CharField(_("结果"), max_length=8)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    overturned = models.BooleanField(_("经申诉改判"), default=False)

    class Meta:
        verbose_name = _("检查项目结果")
        verbose_name_plural = _("检查项目结果")
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="result_visit_item")]

    def __str__(self) -> str:
        return f"{self.item_id}={self.value}"


class CommonIssue(models.Model):
    """The same item failing at many outlets: one head-office task for its process owner."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey("organisation.Unit", on_delete=models.PROTECT, related_name="+")
    item_code = models.CharField(_("项目代码"), max_length=32)
    item_text = models.CharField(_("检查内容"), max_length=300)
    outlets = models.PositiveIntegerField(_("涉及网点"))
    task = models.OneToOneField(
        "plans.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("共性问题")
        verbose_name_plural = _("共性问题")

    def __str__(self) -> str:
        return f"{self.item_code} × {self.outlets}"


class Examination(models.Model):
    """An examination by a regulator: notice, scope, findings, penalties and the report-back."""

    scope_unit_field: ClassVar[str] = "unit"

    regulator = models.CharField(_("检查机关"), max_length=100)
    notice_no = models.CharField(_("检查通知文号"), max_length=60, blank=True)
    notice_date = models.DateField(_("通知日期"))
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("受检机构"), on_delete=models.PROTECT, related_name="+"
    )
    scope = models.TextField(_("检查范围"))
    starts_on = models.DateField(_("进场日期"), null=True, blank=True)
    ends_on = models.DateField(_("离场日期"), null=True, blank=True)
    penalty_amount = models.DecimalField(
        _("罚款金额（元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    penalty_text = models.TextField(_("处罚内容"), blank=True)
    report_back_due = models.DateField(_("整改报告报送期限"), null=True, blank=True)
    reported_at = models.DateTimeField(_("报告报送时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ExaminationStatus.choices,
        default=ExaminationStatus.NOTIFIED,
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("外部监管检查")
        verbose_name_plural = _("外部监管检查")
        ordering = ["-notice_date", "-id"]

    def __str__(self) -> str:
        return f"{self.regulator} {self.notice_no}".strip()


class Finding(models.Model):
    """A problem that must be fixed: rectified through a task on the shared engine; it closes
    only when the issuing office accepts the evidence."""

    scope_unit_field: ClassVar[str] = "unit"

    source = models.CharField(_("来源"), max_length=16, choices=FindingSource.choices)
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    examination = models.ForeignKey(
        Examination, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    item = models.ForeignKey(
        ChecklistItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_code = models.CharField(_("项目代码"), max_length=32, blank=True, db_index=True)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("责任机构"), on_delete=models.PROTECT, related_name="+"
    )
    issuing_unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("督办机构"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("问题"), max_length=300)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.PENDING
    )
    repeat = models.BooleanField(_("重复发生"), default=False)
    due_date = models.DateField(_("整改期限"), null=True, blank=True)
    task = models.OneToOneField(
        "plans.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    common_issue = models.ForeignKey(
        CommonIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    penalty = models.CharField(_("处罚"), max_length=200, blank=True)
    found_on = models.DateField(_("发现日期"))
    closed_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")
        ordering = ["-found_on", "-id"]
        indexes = [models.Index(fields=["unit", "status"], name="finding_unit_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def on_time(self) -> bool | None:
        if self.closed_at is None or self.due_date is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.closed_at) <= self.due_date


class ServiceMeeting(models.Model):
    """Weekly service meeting (每周服务例会) of an outlet: a light record with attendance."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    minutes = models.TextField(_("会议纪要"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("服务例会")
        verbose_name_plural = _("服务例会")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class MeetingAttendance(models.Model):
    scope_unit_field: ClassVar[str] = "meeting__unit"

    meeting = models.ForeignKey(ServiceMeeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(
        USER, verbose_name=_("员工"), on_delete=models.PROTECT, related_name="+"
    )
    present = models.BooleanField(_("出席"), default=True)

    class Meta:
        verbose_name = _("例会出勤")
        verbose_name_plural = _("例会出勤")
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="meeting_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {'✓' if self.present else '✗'}"
