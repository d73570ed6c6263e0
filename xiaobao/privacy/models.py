"""Who looked at personal data and why; how long data is kept; requests from data subjects."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.audit.models import AppendOnlyModel
from xiaobao.privacy.choices import RecordType, RequestKind, RequestStatus
from xiaobao.privacy.fields import EncryptedTextField


class PersonalDataAccess(AppendOnlyModel):
    """One look at one unmasked field: who, what, which case, why, when (written once)."""

    scope_unit_field: ClassVar[str] = "unit"

    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("案件所属机构"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    case_ref = models.CharField(_("案件编号"), max_length=32, db_index=True)
    field = models.CharField(_("字段"), max_length=32)
    reason = models.CharField(_("查看理由"), max_length=200)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-occurred_at", "-id"]
        permissions = [("unmask_personal_data", _("查看完整个人信息（须说明理由）"))]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor} {self.case_ref} {self.field}"


class RetentionPolicy(models.Model):
    """How long a kind of record is kept after its anchor date (closure, contract end …)."""

    scope_unit_field: ClassVar[str | None] = None

    record_type = models.CharField(
        _("档案类型"), max_length=32, choices=RecordType.choices, unique=True
    )
    years = models.PositiveSmallIntegerField(_("保存年限"))
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("保存期限")
        verbose_name_plural = _("保存期限")
        ordering = ["record_type"]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()}：{self.years}年"


class DataSubjectRequest(models.Model):
    """A person's request to see, copy, correct or delete their data (PIPL Art. 44–47)."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("受理机构"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("请求类型"), max_length=16, choices=RequestKind.choices)
    subject_name = models.CharField(_("申请人"), max_length=100)
    subject_id_number = EncryptedTextField(_("证件号码"), kind="id_number", blank=True)
    subject_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    subject_phone = EncryptedTextField(_("联系电话"), kind="phone", blank=True)
    details = models.TextField(_("请求内容"))
    received_at = models.DateTimeField(_("收到时间"))
    due_date = models.DateField(_("答复期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    answer = models.TextField(_("答复内容"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("个人信息权利请求")
        verbose_name_plural = _("个人信息权利请求")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.received_at:%Y-%m-%d}"
