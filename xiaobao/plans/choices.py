"""Statuses and code lists of plans and tasks; the transition tables live in `transitions.py`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准")
    IN_PROGRESS = "in_progress", _("执行中")
    CLOSED = "closed", _("已结束")


class RegulatorElement(models.TextChoices):
    """The seven elements of the 2025 NFRA consumer-protection evaluation."""

    MARKETING = "marketing", _("营销行为管理")
    DISPUTES = "disputes", _("纠纷化解")
    GOVERNANCE = "governance", _("体制机制")
    SUITABILITY = "suitability", _("适当性管理")
    EDUCATION = "education", _("金融教育")
    SERVICE = "service", _("消费者服务")
    PERSONAL_DATA = "personal_data", _("个人信息保护")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    SUBMITTED = "submitted", _("待验收")
    RETURNED = "returned", _("已退回")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


OPEN_TASK_STATUSES = (
    TaskStatus.OPEN,
    TaskStatus.IN_PROGRESS,
    TaskStatus.SUBMITTED,
    TaskStatus.RETURNED,
)


class TaskSourceKind(models.TextChoices):
    PLAN_MEASURE = "plan_measure", _("工作计划措施")
    COMPLAINT_RECTIFICATION = "complaint_rectification", _("投诉溯源整改")
    INSPECTION_FINDING = "inspection_finding", _("检查发现问题")
    REVIEW_OPINION = "review_opinion", _("消保审查意见")
    PARTNER_EVALUATION = "partner_evaluation", _("合作机构评价")
    SELF_ASSESSMENT_GAP = "self_assessment_gap", _("自评差距")
    COMMITTEE_DECISION = "committee_decision", _("委员会决议")
    OTHER = "other", _("其他")


class Comparator(models.TextChoices):
    AT_LEAST = "gte", "≥"
    AT_MOST = "lte", "≤"


class YearEndResult(models.TextChoices):
    DONE = "done", _("完成")
    PARTLY = "partly", _("部分完成")
    NOT_DONE = "not_done", _("未完成")
