"""Kinds, statuses and the transition tables of schemes, runs and appeals."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemeKind(models.TextChoices):
    INTERNAL = "internal", _("内部考核")
    REGULATOR = "regulator", _("监管评价自评估")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审批")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


SCHEME_TRANSITIONS: dict[str, frozenset[str]] = {
    SchemeStatus.DRAFT: frozenset({SchemeStatus.APPROVED}),
    SchemeStatus.APPROVED: frozenset({SchemeStatus.PUBLISHED, SchemeStatus.DRAFT}),
    SchemeStatus.PUBLISHED: frozenset({SchemeStatus.RETIRED}),
    SchemeStatus.RETIRED: frozenset(),
}


class IndicatorKind(models.TextChoices):
    AUTO = "auto", _("自动（指标取数）")
    MANUAL = "manual", _("人工评分")
    DEDUCTION = "deduction", _("扣分项")
    BONUS = "bonus", _("加分项")
    VETO = "veto", _("一票否决")


class Normalisation(models.TextChoices):
    NONE = "none", _("不折算")
    PER_OUTLET = "per_outlet", _("每网点")
    PER_10K_CUSTOMERS = "per_10k", _("每万名客户")


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("计算与录入")
    PREVIEW = "preview", _("预览")
    APPEAL = "appeal", _("申诉期")
    FINAL = "final", _("已定稿")
    LOCKED = "locked", _("已锁定")


RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    RunStatus.DRAFT: frozenset({RunStatus.PREVIEW}),
    RunStatus.PREVIEW: frozenset({RunStatus.APPEAL, RunStatus.DRAFT}),
    RunStatus.APPEAL: frozenset({RunStatus.FINAL}),
    RunStatus.FINAL: frozenset({RunStatus.LOCKED}),
    RunStatus.LOCKED: frozenset(),
}
# Runs whose results count in figures (summary, HR export).
RUN_DONE = frozenset({RunStatus.FINAL, RunStatus.LOCKED})


class AppealStatus(models.TextChoices):
    FILED = "filed", _("待裁定")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉驳回")


APPEAL_TRANSITIONS: dict[str, frozenset[str]] = {
    AppealStatus.FILED: frozenset({AppealStatus.UPHELD, AppealStatus.REJECTED}),
    AppealStatus.UPHELD: frozenset(),
    AppealStatus.REJECTED: frozenset(),
}

# Complaint volume is never a scored figure: scoring it punishes registration and breeds hidden
# complaints (programme.md E, Traps). Timeliness, resolution, reversals, referrals and
# rectification are scored instead.
VOLUME_METRICS = frozenset({"complaints.received", "partners.complaints"})
