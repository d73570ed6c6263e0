"""Deadline watch: thresholds, the escalation ladder, what has fired, and the notices it sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xiaobao.audit.models import AppendOnlyModel
from xiaobao.complaints.choices import Axis
from xiaobao.watch.choices import FiringOutcome, LadderStep, NotificationKind

USER = settings.AUTH_USER_MODEL


# --- configuration (edited by administrators) ----------------------------------------------------


class Threshold(models.Model):
    """A moment in a case's allowed time at which someone must be warned (e.g. 80% used)."""

    scope_unit_field: ClassVar[str | None] = None  # configuration, the same for everybody

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(
        _("名称"), max_length=60, help_text=_("出现在提醒标题中，如“办理时限已过半”")
    )
    fraction = models.DecimalField(
        _("已用时比例"),
        max_digits=4,
        decimal_places=3,
        help_text=_("0.5 表示期限过半，1 表示到达截止时间。"),
    )
    offset_hours = models.IntegerField(
        _("偏移（小时）"),
        default=0,
        help_text=_("在上述时点基础上提前（负数）或推后（正数），如逾期3日 = 比例1、偏移72。"),
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("提醒阈值")
        verbose_name_plural = _("提醒阈值")
        ordering = ["sort_order", "fraction", "offset_hours"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fraction__gte=0) & models.Q(fraction__lte=5),
                name="threshold_fraction_range",
                violation_error_message=_("比例须在0至5之间。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def moment(self, *, start: datetime, due: datetime) -> datetime:
        """When this threshold is reached for a period running from `start` to `due`."""
        span = max(due - start, timedelta(0))
        # timedelta * float rounds to the microsecond, so the same inputs always give the same
        # moment: the sweep compares moments, never recomputed ratios, and cannot flap on rounding.
        return start + span * float(self.fraction) + timedelta(hours=self.offset_hours)


class EscalationRule(models.Model):
    """How high up the ladder a threshold reaches for a handling level (blank = every level)."""

    scope_unit_field: ClassVar[str | None] = None

    threshold = models.ForeignKey(
        Threshold, verbose_name=_("提醒阈值"), on_delete=models.CASCADE, related_name="rules"
    )
    level = models.ForeignKey(
        "complaints.TaxonomyTerm",
        verbose_name=_("处理级别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"axis": Axis.LEVEL},
        help_text=_("留空表示适用于所有处理级别（有专门规则的级别除外）。"),
    )
    reach = models.PositiveSmallIntegerField(
        _("通知至"),
        choices=LadderStep.choices,
        help_text=_("通知该层级及以下的全部人员；重大投诉一律通知至总行消保办。"),
    )
    urgent = models.BooleanField(
        _("紧急"), default=False, help_text=_("紧急提醒立即发送，不等待工作时间。")
    )
    is_active = models.BooleanField(
        _("在用"), default=True, help_text=_("停用某级别的规则即该级别不发送此阈值的提醒。")
    )

    class Meta:
        verbose_name = _("升级规则")
        verbose_name_plural = _("升级规则")
        ordering = ["threshold__sort_order", "level__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["threshold", "level"],
                name="escalation_rule_unique_per_level",
                violation_error_message=_("该阈值在该处理级别下已有规则。"),
            ),
            models.UniqueConstraint(
                fields=["threshold"],
                condition=models.Q(level__isnull=True),
                name="escalation_rule_one_default",
                violation_error_message=_("该阈值已有适用于所有级别的规则。"),
            ),
        ]

    def __str__(self) -> str:
        level = self.level.name if self.level_id and self.level else _("所有级别")
        return f"{self.threshold} · {level} → {self.get_reach_display()}"


# --- the sweeper's state -------------------------------------------------------------------------


class WatchState(models.Model):
    """The next moment the sweeper must look at one open case; the sweep reads only due rows."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="watch",
    )
    # The deadline the thresholds are armed for; a different due_at on the case means it moved.
    # Kept while the case is paused, so a pause that changes nothing re-arms nothing.
    due_at = models.DateTimeField(_("布防截止时间"), null=True, blank=True)
    next_check_at = models.DateTimeField(_("下次检查时间"), null=True, blank=True)
    major_reported_at = models.DateTimeField(_("重大投诉上报时间"), null=True, blank=True)
    checked_at = models.DateTimeField(_("最近检查时间"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("版本"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("期限监控状态")
        verbose_name_plural = _("期限监控状态")
        indexes = [
            # Matches the sweep's ORDER BY, so LIMIT stops after the batch even when many
            # cases share one moment (cases received together have equal thresholds).
            models.Index(
                fields=["next_check_at", "complaint"],
                name="watch_next_check_idx",
                condition=models.Q(next_check_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.complaint_id} → {self.next_check_at}"


class EventCursor(models.Model):
    """How far the watch has read the complaint event log (one row).

    Event ids are handed out when a row is inserted but become visible when its transaction
    commits, so a lower id can appear after a higher one. `holes` lists ids below `high` not seen
    yet, with when they were first missed; they are looked for again until a few minutes pass
    (a rolled-back insert leaves a hole for ever).
    """

    scope_unit_field: ClassVar[str | None] = None

    name = models.CharField(max_length=32, primary_key=True)
    high = models.BigIntegerField(_("已读至事件"), default=0)
    holes = models.JSONField(_("待补读事件"), default=dict, blank=True)
    reconciled_at = models.DateTimeField(_("最近全面核对时间"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("事件读取进度")
        verbose_name_plural = _("事件读取进度")

    def __str__(self) -> str:
        return f"{self.name}: {self.high}"


class Firing(AppendOnlyModel):
    """One threshold reached for one deadline of one case; written once (the re-arm key)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="watch_firings",
    )
    threshold = models.ForeignKey(
        Threshold, verbose_name=_("提醒阈值"), on_delete=models.PROTECT, related_name="firings"
    )
    # The deadline version: a moved deadline is a new due_at, so every threshold re-arms.
    due_at = models.DateTimeField(_("截止时间"))
    moment = models.DateTimeField(_("阈值时点"))
    fired_at = models.DateTimeField(_("触发时间"))
    used = models.FloatField(_("已用时比例"))
    outcome = models.CharField(_("结果"), max_length=16, choices=FiringOutcome.choices)
    reach = models.PositiveSmallIntegerField(
        _("通知至"), choices=LadderStep.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("阈值触发记录")
        verbose_name_plural = _("阈值触发记录")
        ordering = ["complaint", "fired_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "threshold", "due_at"], name="firing_once_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.threshold.code} @ {self.due_at:%Y-%m-%d}"


# --- notifications -------------------------------------------------------------------------------


class Notification(models.Model):
    """One notice to one member of staff about one record: the inbox row, and what every
    channel sends.

    A notice belongs to a unit (its scope) and points at the record it is about: a complaint
    (`complaint`, kept for the deadline sweeper and its constraints) or any other record
    (`target`, e.g. a task). The text names the record by number, title, unit and date only:
    never a complainant's name, phone, ID or account.
    """

    scope_unit_field: ClassVar[str] = "unit"

    recipient = models.ForeignKey(
        USER, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("所属机构"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("事项类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_id = models.PositiveBigIntegerField(_("事项编号"), null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # Makes a notice idempotent per recipient (e.g. "task 12 due 2026-04-07, 7 days before"):
    # a sweep that runs twice writes it once.
    dedupe_key = models.CharField(_("去重键"), max_length=120, blank=True)
    firing = models.ForeignKey(
        Firing,
        verbose_name=_("阈值触发"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NotificationKind.choices)
    step = models.PositiveSmallIntegerField(
        _("接收人层级"), choices=LadderStep.choices, null=True, blank=True
    )
    urgent = models.BooleanField(_("紧急"), default=False)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("生成时间"))
    deliver_after = models.DateTimeField(_("推送时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["target_type", "target_id"], name="notification_target_idx"),
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["firing", "recipient"], name="notification_once_per_firing"
            ),
            models.UniqueConstraint(
                fields=["complaint", "recipient"],
                condition=models.Q(kind="major"),
                name="notification_major_once",
            ),
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """Where the inbox sends the reader: the stored link, else the complaint's page."""
        if self.url:
            return self.url
        if self.complaint_id:
            return reverse("complaints:detail", args=[self.complaint_id])
        return ""


class Delivery(models.Model):
    """One notification pushed through one channel (e-mail, SMS …), or held for the digest."""

    scope_unit_field: ClassVar[str] = "notification__unit"

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # The notice's recipient, copied: every sweep pass asks who has a digest due, over every
    # undelivered digest delivery, and must not join each one to its notice to find out.
    # Not indexed on its own: users are deactivated, not deleted.
    recipient = models.ForeignKey(
        USER,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("渠道"), max_length=32)
    digest = models.BooleanField(_("并入每日汇总"), default=False)
    deliver_after = models.DateTimeField(_("推送时间"))
    delivered_at = models.DateTimeField(_("推送完成时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["deliver_after", "id"]
        indexes = [
            models.Index(
                fields=["deliver_after"],
                name="delivery_pending_idx",
                condition=models.Q(delivered_at__isnull=True),
            ),
            models.Index(
                fields=["deliver_after", "recipient"],
                name="delivery_digest_due_idx",
                condition=models.Q(digest=True, delivered_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} via {self.channel}"


class NotificationPreference(models.Model):
    """How one member of staff wants to be told: channels, and a daily digest or not."""

    scope_unit_field: ClassVar[str] = "user__unit"

    user = models.OneToOneField(
        USER, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="watch_preference"
    )
    channels = models.JSONField(_("推送渠道"), default=list, blank=True)
    daily_digest = models.BooleanField(
        _("每日汇总"),
        default=False,
        help_text=_(
            "非紧急提醒不逐条推送，于下一个工作日上午汇总为一封邮件；紧急提醒照常立即推送。"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)


class ScheduledRun(models.Model):
    """One periodic job of `xiaobao.watch.schedule`: when it last ran, and how it went.

    A sweeper takes a due job with a conditional UPDATE on this row (`next_run_at` passed and no
    live lease), so two sweepers never run one job at the same time or twice for one period.
    """

    scope_unit_field: ClassVar[str | None] = None  # institution-wide machinery

    name = models.CharField(_("任务名称"), max_length=100, unique=True)
    every_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    next_run_at = models.DateTimeField(_("下次运行时间"))
    lease_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("上次开始时间"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("上次结束时间"), null=True, blank=True)
    last_result = models.TextField(_("上次结果"), blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)
    runs = models.PositiveIntegerField(_("运行次数"), default=0)
    failures = models.PositiveIntegerField(_("失败次数"), default=0)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
