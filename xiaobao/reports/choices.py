from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    """How the period dimension buckets the day of receipt."""

    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")


class AlertKind(models.TextChoices):
    SURGE = "surge", _("投诉量异常上升")
    REPEAT = "repeat", _("重复投诉")
    CLUSTER = "cluster", _("同类投诉集中出现")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLOSED = "closed", _("已关闭")


# The one table of allowed alert transitions: action -> (from states, to state).
ALERT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({AlertStatus.OPEN}), AlertStatus.ACKNOWLEDGED),
    "close": (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED}), AlertStatus.CLOSED),
    "reopen": (frozenset({AlertStatus.CLOSED}), AlertStatus.OPEN),
}


class RunKind(models.TextChoices):
    """Documents built in the background and kept as files."""

    REGULATOR_WORKBOOK = "regulator_workbook", _("监管统计报表（Excel）")
    WORK_SUMMARY = "work_summary", _("工作总结（Word）")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class TemplateKey(models.TextChoices):
    """Texts an administrator may reword; the shipped default is used until they do."""

    WORK_SUMMARY = "work_summary", _("工作总结")
    RISK_NOTICE = "risk_notice", _("消费风险提示")
