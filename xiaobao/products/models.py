"""Consumer-protection pre-review (消保审查), the product register and suitability checks."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.products.choices import (
    AgeBand,
    Channel,
    CheckResult,
    CheckSource,
    Conclusion,
    Decision,
    Flag,
    Grade,
    InvestorType,
    ObjectType,
    OpinionKind,
    ProductKind,
    ProductStatus,
    Response,
    ReviewStatus,
    RiskClass,
    Severity,
)

_USER = settings.AUTH_USER_MODEL


class Product(models.Model):
    """One product in the institution's register, graded by issuer and seller; shared HQ data."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("产品代码"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=120)
    kind = models.CharField(_("产品类型"), max_length=24, choices=ProductKind.choices)
    issuer = models.CharField(_("发行机构"), max_length=120)
    issuer_grade = models.CharField(_("发行方风险等级"), max_length=2, choices=Grade.choices)
    seller_grade = models.CharField(_("本行风险等级"), max_length=2, choices=Grade.choices)
    # The higher of the two (孰高), kept by the services; never set by hand.
    effective_grade = models.CharField(
        _("有效风险等级"), max_length=2, choices=Grade.choices, editable=False
    )
    target_class = models.CharField(_("目标客户类别"), max_length=2, choices=RiskClass.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DESIGN
    )
    owner_department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("产品管理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    launched_on = models.DateField(_("上线日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GradeChange(models.Model):
    """One grading of a product (the first one included): the grade history."""

    scope_unit_field: ClassVar[None] = None

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="grade_changes")
    issuer_grade = models.CharField(_("发行方风险等级"), max_length=2, choices=Grade.choices)
    seller_grade = models.CharField(_("本行风险等级"), max_length=2, choices=Grade.choices)
    effective_grade = models.CharField(_("有效风险等级"), max_length=2, choices=Grade.choices)
    previous_grade = models.CharField(
        _("原有效风险等级"), max_length=2, choices=Grade.choices, blank=True
    )
    reason = models.CharField(_("调整原因"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        _USER, verbose_name=_("调整人"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("调整时间"))

    class Meta:
        verbose_name = _("风险等级记录")
        verbose_name_plural = _("风险等级记录")
        ordering = ["product", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.previous_grade or '—'}→{self.effective_grade}"


class ReviewRoute(models.Model):
    """Who reviews which object type (auto-assignment on submission); shared HQ data."""

    scope_unit_field: ClassVar[None] = None

    object_type = models.CharField(
        _("审查对象类型"), max_length=24, choices=ObjectType.choices, unique=True
    )
    reviewer = models.ForeignKey(
        _USER, verbose_name=_("审查人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("审查分派规则")
        verbose_name_plural = _("审查分派规则")
        ordering = ["object_type"]

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} → {self.reviewer}"


class Review(models.Model):
    """One consumer-protection review request, from submission to launch registration."""

    scope_unit_field: ClassVar[str] = "unit"

    number = models.CharField(_("审查编号"), max_length=20, unique=True, editable=False)
    object_type = models.CharField(_("审查对象类型"), max_length=24, choices=ObjectType.choices)
    title = models.CharField(_("审查事项"), max_length=200)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("送审机构"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("送审部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("关联产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    # Any other reviewed record (a partner agreement …), told of the conclusion through hooks.
    subject_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("审查对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_id = models.PositiveBigIntegerField(_("审查对象编号"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    summary = models.TextField(_("事项说明"), blank=True)
    planned_launch = models.DateField(_("计划上线日期"), null=True, blank=True)
    self_check = models.JSONField(_("自查清单"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        _USER, verbose_name=_("送审人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("送审时间"))
    reviewer = models.ForeignKey(
        _USER,
        verbose_name=_("审查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("审查期限"))
    conclusion = models.CharField(
        _("审查结论"), max_length=20, choices=Conclusion.choices, blank=True
    )
    conclusion_note = models.TextField(_("结论说明"), blank=True)
    concluded_at = models.DateTimeField(_("结论时间"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        _USER,
        verbose_name=_("结论人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Working days from submission to conclusion, on the Chinese working calendar.
    turnaround_days = models.PositiveSmallIntegerField(_("审查用时（工作日）"), null=True)
    approved_document = models.ForeignKey(
        "ReviewDocument",
        verbose_name=_("审定版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_sha256 = models.CharField(_("审定版本哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("消保审查")
        verbose_name_plural = _("消保审查")
        ordering = ["-submitted_at", "-id"]
        permissions = [
            ("review_review", _("出具审查意见与结论")),
            ("answer_opinion", _("答复审查意见")),
            ("decide_escalation", _("决定升级的审查意见")),
            ("register_launch", _("登记产品上线")),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="review_subject_idx"),
            models.Index(fields=["status", "due_on"], name="review_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        from xiaobao.products.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class ReviewDocument(models.Model):
    """One version of one document put to review, with its SHA-256 (the file is evidence)."""

    scope_unit_field: ClassVar[str] = "review__unit"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveSmallIntegerField(_("版本"))
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    evidence = models.ForeignKey(
        "evidence.EvidenceFile", on_delete=models.PROTECT, related_name="+", null=True
    )
    uploaded_by = models.ForeignKey(
        _USER, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("送审文件")
        verbose_name_plural = _("送审文件")
        ordering = ["review", "version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "version", "name"], name="review_doc_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）"


class Opinion(models.Model):
    """One review opinion and the business's recorded answer to it."""

    scope_unit_field: ClassVar[str] = "review__unit"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="opinions")
    number = models.PositiveSmallIntegerField(_("序号"))
    location = models.CharField(_("文件位置"), max_length=200)
    issue = models.TextField(_("问题"))
    basis = models.CharField(_("依据条款"), max_length=300)
    kind = models.CharField(_("意见类型"), max_length=12, choices=OpinionKind.choices)
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    issued_by = models.ForeignKey(
        _USER, verbose_name=_("审查人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("出具时间"))
    response = models.CharField(_("答复"), max_length=12, choices=Response.choices, blank=True)
    response_reason = models.TextField(_("答复说明"), blank=True)
    response_approver = models.ForeignKey(
        _USER,
        verbose_name=_("不采纳审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responded_by = models.ForeignKey(
        _USER,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    escalated = models.BooleanField(_("已升级"), default=False)
    decision = models.CharField(
        _("分管行领导决定"), max_length=8, choices=Decision.choices, blank=True
    )
    decision_note = models.TextField(_("决定说明"), blank=True)
    decided_by = models.ForeignKey(
        _USER,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审查意见")
        verbose_name_plural = _("审查意见")
        ordering = ["review", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="opinion_number")]

    def __str__(self) -> str:
        return f"{self.review_id}-{self.number} {self.issue[:30]}"

    @property
    def awaits_decision(self) -> bool:
        return self.escalated and not self.decision


class LaunchRegistration(models.Model):
    """What actually went live: its date and document hash, compared with the approved one."""

    scope_unit_field: ClassVar[str] = "review__unit"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="launches")
    launched_on = models.DateField(_("实际上线日期"))
    sha256 = models.CharField(_("上线版本哈希"), max_length=64)
    file_name = models.CharField(_("上线文件"), max_length=200, blank=True)
    matches = models.BooleanField(_("与审定版本一致"))
    registered_by = models.ForeignKey(
        _USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("上线登记")
        verbose_name_plural = _("上线登记")
        ordering = ["review", "registered_at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.launched_on}"


class RiskProfile(models.Model):
    """One risk-tolerance assessment of a customer, known only by a keyed hash (never a name/ID)."""

    scope_unit_field: ClassVar[str] = "unit"

    customer_key = models.CharField(_("客户标识（密钥哈希）"), max_length=64, db_index=True)
    risk_class = models.CharField(_("风险承受能力"), max_length=2, choices=RiskClass.choices)
    questionnaire_version = models.CharField(_("问卷版本"), max_length=20)
    assessed_at = models.DateTimeField(_("测评时间"))
    expires_on = models.DateField(_("有效期至"))
    attempt = models.PositiveSmallIntegerField(_("当日第几次测评"), default=1)
    channel = models.CharField(_("测评渠道"), max_length=16, choices=Channel.choices)
    age_band = models.CharField(_("年龄段"), max_length=10, choices=AgeBand.choices)
    investor_type = models.CharField(
        _("投资者类型"), max_length=12, choices=InvestorType.choices, default=InvestorType.ORDINARY
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("测评机构"), on_delete=models.PROTECT, related_name="+"
    )
    assessor = models.ForeignKey(
        _USER,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("客户风险测评")
        verbose_name_plural = _("客户风险测评")
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["customer_key", "assessed_at"], name="profile_key_idx")]

    def __str__(self) -> str:
        return f"{self.customer_key[:8]}… {self.risk_class}"


class SaleCheck(models.Model):
    """One suitability check (live, through the API) or one imported sale, with its flags."""

    scope_unit_field: ClassVar[str] = "unit"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sale_checks")
    customer_key = models.CharField(_("客户标识（密钥哈希）"), max_length=64, db_index=True)
    profile = models.ForeignKey(
        RiskProfile,
        verbose_name=_("适用的风险测评"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("销售机构"), on_delete=models.PROTECT, related_name="+"
    )
    seller = models.ForeignKey(
        _USER,
        verbose_name=_("销售人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    seller_qualification = models.CharField(_("销售人员资格证号"), max_length=40, blank=True)
    checked_at = models.DateTimeField(_("校验时间"), db_index=True)
    product_grade = models.CharField(_("产品风险等级"), max_length=2, choices=Grade.choices)
    customer_class = models.CharField(
        _("客户风险承受能力"), max_length=2, choices=RiskClass.choices, blank=True
    )
    result = models.CharField(_("校验结果"), max_length=10, choices=CheckResult.choices)
    flags = models.JSONField(_("提示"), default=list, blank=True)
    dual_recording_ref = models.CharField(_("双录编号"), max_length=60, blank=True)
    elderly = models.BooleanField(_("高龄客户"), default=False)
    source = models.CharField(_("来源"), max_length=8, choices=CheckSource.choices)
    external_ref = models.CharField(_("销售流水号"), max_length=60, blank=True)
    checked_by = models.ForeignKey(
        _USER, verbose_name=_("调用人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("适当性校验")
        verbose_name_plural = _("适当性校验")
        ordering = ["-checked_at", "-id"]
        permissions = [("import_sales", _("批量导入销售记录"))]

    def __str__(self) -> str:
        return f"{self.product_id} {self.result}"

    def flag_labels(self) -> list[str]:
        labels = dict(Flag.choices)
        return [str(labels.get(f, f)) for f in self.flags]


class ReadviceNotice(models.Model):
    """A holder owed new advice because the product's effective grade rose above the sale's."""

    scope_unit_field: ClassVar[str] = "unit"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="readvice")
    grade_change = models.ForeignKey(GradeChange, on_delete=models.PROTECT, related_name="+")
    customer_key = models.CharField(_("客户标识（密钥哈希）"), max_length=64)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("销售机构"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"))
    sent_at = models.DateTimeField(_("告知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("重新告知")
        verbose_name_plural = _("重新告知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade_change", "customer_key"], name="readvice_once_per_change"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.customer_key[:8]}…"


class ProductComplaint(models.Model):
    """A complaint naming a product; kept up to date from the complaint's own events."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="complaints")
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("投诉接收时间"))
    complaint_status = models.CharField(_("投诉状态"), max_length=16, blank=True)
    linked_at = models.DateTimeField(_("关联时间"))
    linked_by = models.ForeignKey(
        _USER,
        verbose_name=_("关联人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    automatic = models.BooleanField(_("自动识别"), default=False)

    class Meta:
        verbose_name = _("产品相关投诉")
        verbose_name_plural = _("产品相关投诉")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "complaint"], name="product_complaint_once")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ← {self.complaint_id}"
