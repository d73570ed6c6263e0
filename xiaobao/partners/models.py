"""The partner list (合作机构名单制): partners, their licences, admission reviews, agreements,
evaluations, exits, and the links from complaints to the partners they involve."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.partners.choices import (
    AdmissionDecision,
    AgreementStatus,
    Clause,
    EvaluationResult,
    EvaluationStatus,
    ExitStatus,
    ExitStep,
    LinkRole,
    PartnerStatus,
    PartnerType,
)

USER = settings.AUTH_USER_MODEL


class Partner(models.Model):
    """One third-party institution on the list, keyed by its unified social credit code."""

    # The owning unit (usually head office); units allowed to use it see it too (selectors).
    scope_unit_field: ClassVar[str] = "unit"

    name = models.CharField(_("机构名称"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    type = models.CharField(_("机构类型"), max_length=20, choices=PartnerType.choices)
    business_lines = models.JSONField(_("合作业务"), default=list, blank=True)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("管理机构"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("牵头管理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    allowed_units = models.ManyToManyField(
        "organisation.Unit",
        verbose_name=_("可使用机构（含下级）"),
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=PartnerStatus.choices, default=PartnerStatus.PROPOSED
    )
    admitted_on = models.DateField(_("准入日期"), null=True, blank=True)
    exited_on = models.DateField(_("退出日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("合作机构")
        verbose_name_plural = _("合作机构")
        ordering = ["name", "id"]
        permissions = [("approve_partner", _("审批合作机构准入与退出"))]

    def __str__(self) -> str:
        return self.name


class Licence(models.Model):
    """A licence or qualification a partner needs for the business it does with us."""

    scope_unit_field: ClassVar[str] = "partner__unit"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="licences")
    name = models.CharField(_("证照名称"), max_length=100)
    number = models.CharField(_("证照编号"), max_length=60, blank=True)
    issuer = models.CharField(_("发证机关"), max_length=100, blank=True)
    expires_on = models.DateField(
        _("有效期至"), null=True, blank=True, help_text=_("长期有效可不填")
    )

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["expires_on", "id"]

    def __str__(self) -> str:
        return self.name

    def expired_at(self, day: date) -> bool:
        return self.expires_on is not None and self.expires_on < day


class Admission(models.Model):
    """One admission review: the seven criteria, the consumer-protection opinion, the decision."""

    scope_unit_field: ClassVar[str] = "partner__unit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="admissions")
    criteria = models.JSONField(_("准入条件"), default=dict)
    cp_opinion = models.TextField(_("消保审查意见"))
    decision = models.CharField(_("结论"), max_length=12, choices=AdmissionDecision.choices)
    reason = models.TextField(_("说明"), blank=True)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"))

    class Meta:
        verbose_name = _("准入审查")
        verbose_name_plural = _("准入审查")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.decision}"


class Agreement(models.Model):
    """A cooperation agreement with its consumer-protection clause checklist."""

    scope_unit_field: ClassVar[str] = "partner__unit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField(_("协议编号"), max_length=60, unique=True)
    title = models.CharField(_("协议名称"), max_length=200)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("到期日期"))
    clauses = models.JSONField(_("已约定的消保条款"), default=list, blank=True)
    data_scope = models.TextField(_("提供客户信息的范围"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    exception_reason = models.TextField(_("缺少条款仍签署的理由"), blank=True)
    signed_at = models.DateTimeField(_("签署登记时间"), null=True, blank=True)
    review_ref = models.CharField(_("消保审查单号"), max_length=40, blank=True)
    review_conclusion = models.CharField(_("消保审查结论"), max_length=200, blank=True)
    # The conclusion's code (products.Conclusion), recorded by the review's conclusion hook.
    review_result = models.CharField(_("消保审查结论代码"), max_length=24, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("合作协议")
        verbose_name_plural = _("合作协议")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def missing_clauses(self) -> list[str]:
        present = set(self.clauses or [])
        return [c for c in Clause.values if c not in present]

    @property
    def review_pending(self) -> bool:
        """Sent to pre-review and no conclusion recorded yet (the page hides 登记签署)."""
        return bool(self.review_ref) and not self.review_result

    @property
    def missing_clause_labels(self) -> list[str]:
        return [str(Clause(c).label) for c in self.missing_clauses]


class Evaluation(models.Model):
    """A periodic evaluation; its complaint figures are counted from the complaint registry."""

    scope_unit_field: ClassVar[str] = "partner__unit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="evaluations")
    period_start = models.DateField(_("评价期起"))
    period_end = models.DateField(_("评价期止"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.DRAFT,
    )
    customers_served = models.PositiveIntegerField(
        _("期内服务客户数"), null=True, blank=True, help_text=_("用于计算万人投诉率")
    )
    # Snapshots of the registry, taken when the evaluation is concluded.
    complaints = models.PositiveIntegerField(_("涉及该机构的投诉（件）"), default=0)
    complaints_upheld = models.PositiveIntegerField(_("其中诉求成立或部分成立（件）"), default=0)
    cooperation_timely = models.BooleanField(_("投诉核实配合及时"), default=True)
    inspection_score = models.DecimalField(
        _("检查评分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    regulator_penalties = models.PositiveIntegerField(_("监管处罚（次）"), default=0)
    public_opinion_events = models.PositiveIntegerField(_("舆情事件（次）"), default=0)
    contract_breaches = models.PositiveIntegerField(_("违约事项（次）"), default=0)
    result = models.CharField(
        _("评价结论"), max_length=12, choices=EvaluationResult.choices, blank=True
    )
    note = models.TextField(_("评价意见"), blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("评价人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    concluded_at = models.DateTimeField(_("定论时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合作机构评价")
        verbose_name_plural = _("合作机构评价")
        ordering = ["-period_end", "-id"]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.period_start}—{self.period_end}"


class Exit(models.Model):
    """Winding down a partner: complete only when every step is confirmed with evidence."""

    scope_unit_field: ClassVar[str] = "partner__unit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="exits")
    reason = models.TextField(_("退出原因"))
    planned_on = models.DateField(_("计划退出日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ExitStatus.choices, default=ExitStatus.IN_PROGRESS
    )
    started_by = models.ForeignKey(
        USER, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("发起时间"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("退出")
        verbose_name_plural = _("退出")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=models.Q(status="in_progress"),
                name="partner_one_open_exit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.status}"


class ExitConfirmation(models.Model):
    """One exit step confirmed by a named person, with its evidence (see `evidence_for`)."""

    scope_unit_field: ClassVar[str] = "exit__partner__unit"

    exit = models.ForeignKey(Exit, on_delete=models.PROTECT, related_name="confirmations")
    step = models.CharField(_("事项"), max_length=12, choices=ExitStep.choices)
    note = models.TextField(_("说明"))
    confirmed_by = models.ForeignKey(
        USER, verbose_name=_("确认人"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"))

    class Meta:
        verbose_name = _("退出事项确认")
        verbose_name_plural = _("退出事项确认")
        ordering = ["exit", "step"]
        constraints = [models.UniqueConstraint(fields=["exit", "step"], name="exit_step_once")]

    def __str__(self) -> str:
        return f"{self.exit_id} {self.step}"


class PartnerComplaint(models.Model):
    """涉及合作机构: a complaint in the registry involving a partner (the core never sees it)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="complaint_links")
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("涉及方式"), max_length=12, choices=LinkRole.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # The case's unit was not allowed to use the partner: worth a question to the owning unit.
    outside_allowance = models.BooleanField(_("超出可使用范围"), default=False)
    linked_by = models.ForeignKey(
        USER, verbose_name=_("关联人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("关联时间"))

    class Meta:
        verbose_name = _("涉及合作机构的投诉")
        verbose_name_plural = _("涉及合作机构的投诉")
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "complaint"], name="partner_complaint_once")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} ← {self.complaint_id}"
