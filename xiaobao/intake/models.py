from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class RunStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    CHECKED = "checked", _("已校验")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    ABANDONED = "abandoned", _("已放弃")


# The one table of allowed changes; the upload exists on disk only in UPLOADED…CHECKED.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    RunStatus.UPLOADED: (RunStatus.QUEUED, RunStatus.ABANDONED, RunStatus.FAILED),
    RunStatus.QUEUED: (RunStatus.RUNNING, RunStatus.ABANDONED, RunStatus.FAILED),
    RunStatus.RUNNING: (RunStatus.CHECKED, RunStatus.DONE, RunStatus.FAILED),
    RunStatus.CHECKED: (RunStatus.QUEUED, RunStatus.ABANDONED, RunStatus.FAILED),
    RunStatus.DONE: (),
    RunStatus.FAILED: (),
    RunStatus.ABANDONED: (),
}
HOLDS_UPLOAD = (RunStatus.UPLOADED, RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.CHECKED)


class ImportRun(models.Model):
    """One uploaded file and what became of it: the wizard's state and the background run."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    source_name = models.CharField(_("文件名"), max_length=200)
    stored = models.CharField(_("存储名"), max_length=80, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    options = models.JSONField(_("导入设置"), default=dict, blank=True)
    dry_run = models.BooleanField(_("仅校验"), default=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.UPLOADED
    )
    rows_done = models.PositiveIntegerField(_("已读行数"), default=0)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入")
        verbose_name_plural = _("导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="intake_run_status_idx")]

    def __str__(self) -> str:
        return f"{self.source_name} #{self.pk}"


class ImportProfile(models.Model):
    """A source's remembered import settings: columns, defaults and the institution's own words."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("方案名称"), max_length=100)
    settings = models.JSONField(_("设置"), default=dict)
    updated_by = models.ForeignKey(
        USER, verbose_name=_("保存人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("保存时间"), auto_now=True)

    class Meta:
        verbose_name = _("导入方案")
        verbose_name_plural = _("导入方案")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="intake_profile_unit_name")
        ]

    def __str__(self) -> str:
        return self.name
