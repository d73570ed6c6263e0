"""Governance records: committee and leading-group meetings with their decisions, and the
register of internal rules (制度) with every version kept."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.governance.choices import MeetingBody, MeetingStatus, RuleStatus

USER = settings.AUTH_USER_MODEL


class Meeting(models.Model):
    """One meeting of the consumer-protection committee, the leading group or the office."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("所属机构"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.CharField(_("会议机构"), max_length=20, choices=MeetingBody.choices)
    title = models.CharField(_("会议名称"), max_length=200)
    held_on = models.DateField(_("会议日期"))
    attendees = models.TextField(_("出席人员"))
    topics = models.TextField(_("议题"))
    status = models.CharField(
        _("状态"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("消保会议")
        verbose_name_plural = _("消保会议")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["unit", "held_on"], name="meeting_unit_date_idx")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class MeetingDecision(models.Model):
    """One decision of a meeting; it may have created tasks (their source is the meeting)."""

    scope_unit_field: ClassVar[str] = "meeting__unit"

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("决议事项"))
    task = models.ForeignKey(
        "plans.Task",
        verbose_name=_("督办任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("会议决议")
        verbose_name_plural = _("会议决议")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="decision_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


class InternalRule(models.Model):
    """One version of an internal rule (制度); a revision is a new row, the old one kept."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("发文机构"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("制度名称"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=80)
    version = models.CharField(_("版本"), max_length=20)
    owner_department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("归口部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_on = models.DateField(_("生效日期"))
    next_review_on = models.DateField(_("下次评估日期"))
    last_reviewed_on = models.DateField(_("最近评估日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=RuleStatus.choices, default=RuleStatus.IN_FORCE
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("上一版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("内部制度")
        verbose_name_plural = _("内部制度")
        ordering = ["unit__path", "title", "-effective_on", "-id"]
        indexes = [
            models.Index(
                fields=["next_review_on"],
                name="rule_review_due_idx",
                condition=models.Q(status="in_force"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.version}）"

    def review_overdue(self, today: date) -> bool:
        return self.status == RuleStatus.IN_FORCE and self.next_review_on < today
