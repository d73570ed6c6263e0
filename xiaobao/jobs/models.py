"""Background jobs kept in the database: the queue itself when no broker is configured."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("执行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """One unit of background work (send a notification, deliver a webhook, build an export)."""

    scope_unit_field: ClassVar[str | None] = None  # system rows, shown to administrators only

    name = models.CharField(_("任务"), max_length=80)
    payload = models.JSONField(_("参数"), default=dict)
    # A job with a key is enqueued at most once while queued or running (idempotent producers).
    unique_key = models.CharField(_("去重键"), max_length=160, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    run_after = models.DateTimeField(_("计划执行时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=5)
    locked_by = models.CharField(_("执行者"), max_length=80, blank=True)
    locked_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["run_after", "id"]
        indexes = [
            models.Index(
                fields=["run_after"],
                name="job_ready_idx",
                condition=models.Q(status__in=["queued", "running"]),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unique_key"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(unique_key=""),
                name="job_unique_key_while_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} {self.status}"
