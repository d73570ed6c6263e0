"""Education and outreach: campaigns, the activities units hold, and the materials they hand out."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.outreach.choices import (
    ActivityForm,
    ActivityStatus,
    CampaignKind,
    CampaignStatus,
    CountingMethod,
    KeyGroup,
)


class Topic(models.Model):
    """One term of the editable outreach topic taxonomy (反诈, 非法集资, 征信 …); shared HQ data."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    ordering = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("宣传主题")
        verbose_name_plural = _("宣传主题")
        ordering = ["ordering", "code"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """One publicity material in the library (leaflet, poster, video …); shared HQ data."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("编号"), max_length=32)
    title = models.CharField(_("名称"), max_length=120)
    version = models.CharField(_("版本"), max_length=20, default="1")
    format = models.CharField(
        _("形式"), max_length=40, blank=True, help_text=_("如：折页、海报、视频")
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("主题"), blank=True, related_name="+")
    key_groups = models.JSONField(_("重点人群"), default=list, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)

    class Meta:
        verbose_name = _("宣传资料")
        verbose_name_plural = _("宣传资料")
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="material_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}（v{self.version}）"


class Campaign(models.Model):
    """One publicity campaign for a unit subtree, with its reporting deadline and report form."""

    # The campaign's scope root; staff below it see the campaign (see selectors.campaigns_for).
    scope_unit_field: ClassVar[str] = "unit"

    name = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=CampaignKind.choices)
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("范围（机构及下级）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notice_issuer = models.CharField(_("发文单位"), max_length=100, blank=True)
    notice_no = models.CharField(_("通知文号"), max_length=60, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    theme = models.CharField(_("主题"), max_length=200, blank=True)
    required_topics = models.ManyToManyField(
        Topic, verbose_name=_("必讲主题"), blank=True, related_name="+"
    )
    key_groups = models.JSONField(_("重点人群"), default=list, blank=True)
    report_deadline = models.DateField(_("报送截止日"))
    # The report form: an ordered list of column keys (see report_form.COLUMNS).
    report_columns = models.JSONField(_("报表栏目"), default=list)
    status = models.CharField(
        _("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("宣传活动方案")
        verbose_name_plural = _("宣传活动方案")
        ordering = ["-starts_on", "-id"]
        permissions = [("export_campaign", _("导出宣传活动报表"))]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """One outreach event held by a lead unit (with co-units); counted once, by its lead unit."""

    scope_unit_field: ClassVar[str] = "unit"

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("所属活动方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text=_("不选即为常态化宣传"),
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("牵头机构"), on_delete=models.PROTECT, related_name="+"
    )
    co_units = models.ManyToManyField(
        "organisation.Unit", verbose_name=_("协办机构"), blank=True, related_name="+"
    )
    title = models.CharField(_("活动标题"), max_length=120)
    form = models.CharField(_("活动形式"), max_length=20, choices=ActivityForm.choices)
    online = models.BooleanField(_("线上活动"), default=False)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    division_code = models.CharField(
        _("行政区划代码"), max_length=12, blank=True, help_text=_("县/乡镇/村的统计用区划代码")
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("主题"), blank=True, related_name="+")
    key_groups = models.JSONField(_("重点人群"), default=list, blank=True)
    staff_count = models.PositiveIntegerField(_("参与员工人次"), default=0)
    audience_count = models.PositiveIntegerField(
        _("受众人次"), default=0, help_text=_("不含本行员工；线上活动为平台统计的参与人次")
    )
    counting_method = models.CharField(
        _("受众统计方式"), max_length=12, choices=CountingMethod.choices, blank=True
    )
    sms_sent = models.PositiveIntegerField(_("发送短信（条）"), default=0)
    posts = models.PositiveIntegerField(_("发布信息（篇）"), default=0)
    reads = models.PositiveIntegerField(_("阅读/观看量"), default=0, help_text=_("不计入受众人次"))
    media_reports = models.PositiveIntegerField(_("媒体报道（篇）"), default=0)
    consultations = models.PositiveIntegerField(_("解答咨询（人次）"), default=0)
    narrative = models.TextField(_("活动简述"), blank=True)
    no_marketing = models.BooleanField(_("本活动未开展产品营销"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("宣传活动")
        verbose_name_plural = _("宣传活动")
        ordering = ["-starts_at", "-id"]
        permissions = [("approve_activity", _("审核宣传活动"))]
        indexes = [models.Index(fields=["campaign", "status"], name="activity_campaign_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_late(self) -> bool:
        """Submitted after the campaign's reporting deadline (shown to the approver)."""
        if self.campaign is None or self.submitted_at is None:
            return False
        from django.utils import timezone

        return timezone.localdate(self.submitted_at) > self.campaign.report_deadline


class ActivityAudience(models.Model):
    """How many of an activity's audience belong to one key group."""

    scope_unit_field: ClassVar[str] = "activity__unit"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="audiences")
    group = models.CharField(_("重点人群"), max_length=20, choices=KeyGroup.choices)
    count = models.PositiveIntegerField(_("人次"))

    class Meta:
        verbose_name = _("重点人群受众")
        verbose_name_plural = _("重点人群受众")
        constraints = [
            models.UniqueConstraint(fields=["activity", "group"], name="activity_audience_group")
        ]

    def __str__(self) -> str:
        return f"{self.get_group_display()} {self.count}"


class ActivityMaterial(models.Model):
    """Copies of one library material handed out at an activity."""

    scope_unit_field: ClassVar[str] = "activity__unit"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(
        Material, verbose_name=_("宣传资料"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量（份）"))

    class Meta:
        verbose_name = _("发放资料")
        verbose_name_plural = _("发放资料")
        constraints = [
            models.UniqueConstraint(fields=["activity", "material"], name="activity_material")
        ]

    def __str__(self) -> str:
        return f"{self.material_id} × {self.quantity}"


class ActivityComplaint(models.Model):
    """A complaint received on the spot, registered through the complaint intake and linked here."""

    scope_unit_field: ClassVar[str] = "activity__unit"

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="complaints")
    complaint = models.OneToOneField(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("现场受理投诉")
        verbose_name_plural = _("现场受理投诉")

    def __str__(self) -> str:
        return f"{self.activity_id} → {self.complaint_id}"
