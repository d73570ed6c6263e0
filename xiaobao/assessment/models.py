"""Assessment (考核): versioned schemes of indicators, period runs with frozen scores, appeals.

The regulator's evaluation is the same machinery: a scheme of kind "regulator" whose elements are
the regulator's (2021 or 2025, loaded from data files), self-scored by the office with evidence.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.assessment.choices import (
    AppealStatus,
    IndicatorKind,
    Normalisation,
    RunStatus,
    SchemeKind,
    SchemeStatus,
)


class Scheme(models.Model):
    """One year's version of an assessment scheme; published before its period, then frozen."""

    # Schemes are institution-wide: every user with the view right reads them.
    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("方案编号"), max_length=40, unique=True)
    name = models.CharField(_("方案名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=16, choices=SchemeKind.choices)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    unit_kinds = models.JSONField(_("适用机构层级"), default=list, blank=True)
    staff_roles = models.JSONField(_("适用岗位"), default=list, blank=True)
    # [[minimum percent, grade], …] from the highest band down.
    bands = models.JSONField(_("等级划分"), default=list, blank=True)
    kpi_share = models.DecimalField(
        _("消保考核占综合绩效权重（%）"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    data_cutoff_days = models.PositiveSmallIntegerField(_("数据截止（期末后天数）"), default=10)
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    is_example = models.BooleanField(_("示例"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "kind", "code"]
        permissions = [
            ("approve_scheme", _("审批考核方案")),
            ("export_run", _("导出考核结果（人力资源）")),
            ("decide_appeal", _("裁定考核申诉")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_weight(self) -> Decimal:
        return sum((i.weight for i in self.indicators.all()), Decimal("0"))


class Element(models.Model):
    """A first-level part of a scheme: one of the regulator's elements (营销行为管理 …) or a
    chapter of an internal scheme, with its weight and the regulator's minimum weight."""

    scope_unit_field: ClassVar[None] = None

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="elements"
    )
    code = models.CharField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=60)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2)
    min_weight = models.DecimalField(
        _("最低权重（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    is_deduction = models.BooleanField(_("扣分要素"), default=False)
    scope_note = models.CharField(_("评价内容"), max_length=300, blank=True)
    ordering = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评价要素")
        verbose_name_plural = _("评价要素")
        ordering = ["scheme", "ordering", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="element_scheme_code")
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One scored line: automatic from a registered metric, manual, deduction, bonus or veto."""

    scope_unit_field: ClassVar[None] = None

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="indicators"
    )
    element = models.ForeignKey(
        Element,
        verbose_name=_("评价要素"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
    )
    code = models.CharField(_("指标代码"), max_length=32)
    name = models.CharField(_("指标名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=IndicatorKind.choices)
    metric_key = models.CharField(_("取数指标"), max_length=80, blank=True)
    # Full points at `target`, none at `zero_at`; linear between (the scoring curve).
    target = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    zero_at = models.DecimalField(
        _("零分值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    weight = models.DecimalField(_("分值"), max_digits=8, decimal_places=2)
    per_event = models.DecimalField(
        _("每次分值"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    cap = models.DecimalField(_("封顶分值"), max_digits=8, decimal_places=2, null=True, blank=True)
    normalisation = models.CharField(
        _("折算"), max_length=16, choices=Normalisation.choices, default=Normalisation.NONE
    )
    guidance = models.TextField(_("评分标准"), blank=True)
    ordering = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["scheme", "ordering", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_scheme_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        """The scheme rules for edits outside the services (the admin): never complaint volume,
        the metric's own direction, and no edits once the scheme is approved."""
        from django.core.exceptions import ValidationError

        from xiaobao.assessment.services import check_metric_use
        from xiaobao.lib.errors import DomainError

        if self.scheme_id and self.scheme.status != SchemeStatus.DRAFT:
            raise ValidationError("方案已审批或发布，不能再修改；如需调整请新建下一版本。")
        try:
            check_metric_use(self.kind, self.metric_key.strip(), self.target, self.zero_at)
        except DomainError as exc:
            raise ValidationError({exc.field or "metric_key": exc.message}) from exc


class Run(models.Model):
    """One period's assessment under a scheme: a frozen snapshot, then preview, appeal, final."""

    scope_unit_field: ClassVar[str] = "unit"

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("方案"), on_delete=models.PROTECT, related_name="runs"
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("考核范围"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    label = models.CharField(_("期次"), max_length=60)
    first = models.DateField(_("期初"))
    last = models.DateField(_("期末"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    appeal_until = models.DateField(_("申诉截止日"), null=True, blank=True)
    snapshot_at = models.DateTimeField(_("取数时间"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的考核"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    correction_reason = models.TextField(_("更正原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("考核期次")
        verbose_name_plural = _("考核期次")
        ordering = ["-last", "-id"]

    def __str__(self) -> str:
        return f"{self.scheme.name} {self.label}"


class Score(models.Model):
    """One indicator's frozen figure and points for one unit in one run."""

    scope_unit_field: ClassVar[str] = "unit"

    run = models.ForeignKey(
        Run, verbose_name=_("考核期次"), on_delete=models.CASCADE, related_name="scores"
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    # A staff member's own line (per-staff assessment); empty for the unit's line.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("取数"), max_digits=14, decimal_places=2, null=True, blank=True)
    basis = models.DecimalField(_("折算后"), max_digits=14, decimal_places=4, null=True, blank=True)
    points = models.DecimalField(_("得分"), max_digits=8, decimal_places=2, null=True, blank=True)
    no_data = models.BooleanField(_("无数据"), default=False)
    note = models.TextField(_("说明"), blank=True)
    drill_url = models.CharField(_("明细链接"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评分人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["run", "unit__path", "indicator__ordering", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "unit", "indicator"],
                condition=models.Q(staff__isnull=True),
                name="score_once",
            ),
            models.UniqueConstraint(
                fields=["run", "staff", "indicator"],
                condition=models.Q(staff__isnull=False),
                name="score_once_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.indicator}: {self.points}"


class Result(models.Model):
    """One unit's total, rank and grade in one run."""

    scope_unit_field: ClassVar[str] = "unit"

    run = models.ForeignKey(
        Run, verbose_name=_("考核期次"), on_delete=models.CASCADE, related_name="results"
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    # A staff member's own line (per-staff assessment); empty for the unit's line.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total = models.DecimalField(_("得分"), max_digits=8, decimal_places=2, default=Decimal("0"))
    maximum = models.DecimalField(
        _("可得满分"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    percent = models.DecimalField(_("得分率（%）"), max_digits=6, decimal_places=1, null=True)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True)
    grade = models.CharField(_("等级"), max_length=8, blank=True)
    vetoed = models.BooleanField(_("一票否决"), default=False)

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["run", "rank", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "unit"], condition=models.Q(staff__isnull=True), name="result_once"
            ),
            models.UniqueConstraint(
                fields=["run", "staff"],
                condition=models.Q(staff__isnull=False),
                name="result_once_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.total}"


class Appeal(models.Model):
    """A unit's appeal against one score during the appeal window, and the recorded decision."""

    scope_unit_field: ClassVar[str] = "score__unit"

    score = models.ForeignKey(
        Score, verbose_name=_("指标得分"), on_delete=models.PROTECT, related_name="appeals"
    )
    reason = models.TextField(_("申诉理由"))
    requested_points = models.DecimalField(
        _("申请得分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.FILED
    )
    decision = models.TextField(_("裁定意见"), blank=True)
    points_before = models.DecimalField(
        _("原得分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    points_after = models.DecimalField(
        _("裁定后得分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申诉人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("申诉时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核申诉")
        verbose_name_plural = _("考核申诉")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.score} — {self.get_status_display()}"
