"""Kinds, statuses and the transition tables of inspections."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitKind(models.TextChoices):
    MYSTERY = "mystery", _("神秘人暗访")
    ONSITE = "onsite", _("现场检查")
    VIDEO = "video", _("视频抽查")
    SELF = "self", _("网点自查")
    SPECIAL = "special", _("专项检查")


class Scenario(models.TextChoices):
    ACCOUNT_OPENING = "account_opening", _("开户")
    LARGE_CASH = "large_cash", _("大额取现预约")
    WEALTH = "wealth", _("理财购买（风险测评与双录）")
    ELDERLY = "elderly", _("老年客户服务")
    FEES = "fees", _("收费公示")
    COMPLAINT = "complaint", _("投诉受理")
    GENERAL = "general", _("综合服务")


class ScoringType(models.TextChoices):
    YES_NO = "yes_no", _("是/否/不适用")
    SCALE = "scale", _("0—n分档")
    DEDUCTION = "deduction", _("按次扣分")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")


class ChecklistStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("停用")


CHECKLIST_TRANSITIONS: dict[str, frozenset[str]] = {
    ChecklistStatus.DRAFT: frozenset({ChecklistStatus.ACTIVE}),
    ChecklistStatus.ACTIVE: frozenset({ChecklistStatus.RETIRED}),
    ChecklistStatus.RETIRED: frozenset(),
}


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("待检查")
    DRAFT = "draft", _("录入中")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已发布")
    APPEALED = "appealed", _("申诉中")
    FINAL = "final", _("已定稿")


# The one table of allowed visit transitions.
VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    VisitStatus.PLANNED: frozenset({VisitStatus.DRAFT}),
    VisitStatus.DRAFT: frozenset({VisitStatus.SUBMITTED}),
    VisitStatus.SUBMITTED: frozenset({VisitStatus.PUBLISHED, VisitStatus.RETURNED}),
    VisitStatus.RETURNED: frozenset({VisitStatus.SUBMITTED}),
    VisitStatus.PUBLISHED: frozenset({VisitStatus.APPEALED, VisitStatus.FINAL}),
    VisitStatus.APPEALED: frozenset({VisitStatus.FINAL}),
    VisitStatus.FINAL: frozenset(),
}
RECORDABLE = frozenset({VisitStatus.PLANNED, VisitStatus.DRAFT, VisitStatus.RETURNED})
# Visits whose score counts in figures (the office has published them).
COUNTED = (VisitStatus.PUBLISHED, VisitStatus.APPEALED, VisitStatus.FINAL)


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("申诉成立")
    PARTLY = "partly", _("部分成立")
    REJECTED = "rejected", _("申诉不成立")


class FindingStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    OPEN = "open", _("整改中")
    SUBMITTED = "submitted", _("待验收")
    CLOSED = "closed", _("已整改")
    VERIFIED = "verified", _("复查确认")
    WITHDRAWN = "withdrawn", _("已撤销")


FINDING_TRANSITIONS: dict[str, frozenset[str]] = {
    FindingStatus.PENDING: frozenset({FindingStatus.OPEN, FindingStatus.WITHDRAWN}),
    FindingStatus.OPEN: frozenset({FindingStatus.SUBMITTED}),
    FindingStatus.SUBMITTED: frozenset({FindingStatus.CLOSED, FindingStatus.OPEN}),
    FindingStatus.CLOSED: frozenset({FindingStatus.VERIFIED, FindingStatus.OPEN}),
    FindingStatus.VERIFIED: frozenset(),
    FindingStatus.WITHDRAWN: frozenset(),
}
RECTIFIED = (FindingStatus.CLOSED, FindingStatus.VERIFIED)
OPEN_FINDINGS = (FindingStatus.PENDING, FindingStatus.OPEN, FindingStatus.SUBMITTED)


class FindingSource(models.TextChoices):
    ITEM = "item", _("检查项目不达标")
    TEST_COMPLAINT = "test_complaint", _("测试投诉未登记")
    EXAMINATION = "examination", _("监管检查发现")


class ExaminationStatus(models.TextChoices):
    NOTIFIED = "notified", _("已通知")
    ONSITE = "onsite", _("现场检查中")
    RECTIFYING = "rectifying", _("整改中")
    REPORTED = "reported", _("已报告")
    CLOSED = "closed", _("已结束")


EXAMINATION_TRANSITIONS: dict[str, frozenset[str]] = {
    ExaminationStatus.NOTIFIED: frozenset({ExaminationStatus.ONSITE}),
    ExaminationStatus.ONSITE: frozenset({ExaminationStatus.RECTIFYING}),
    ExaminationStatus.RECTIFYING: frozenset({ExaminationStatus.REPORTED}),
    ExaminationStatus.REPORTED: frozenset({ExaminationStatus.CLOSED}),
    ExaminationStatus.CLOSED: frozenset(),
}


class ComplaintProbeResult(models.TextChoices):
    NONE = "", _("无")
    PENDING = "pending", _("待核对")
    REGISTERED = "registered", _("已按时登记")
    UNREGISTERED = "unregistered", _("未按时登记")
