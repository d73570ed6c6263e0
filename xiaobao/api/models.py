"""Integration plumbing: API tokens, idempotency keys, webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.audit.models import AppendOnlyModel
from xiaobao.privacy.fields import EncryptedTextField

USER = settings.AUTH_USER_MODEL


class ApiToken(models.Model):
    """A secret that lets an integration act as its owner (same permissions, same branch scope)."""

    scope_unit_field: ClassVar[str] = "owner__unit"

    owner = models.ForeignKey(
        USER, verbose_name=_("所属员工"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=80, help_text=_("如：客服中心系统、手机银行"))
    # Only a hash is kept: a stolen database does not yield usable tokens. The prefix identifies a
    # token in lists and logs without revealing it.
    prefix = models.CharField(_("前缀"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        USER,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    # Every token ends: a forgotten integration's secret stops working on its own.
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyKey(models.Model):
    """The first response to a create call carrying an `Idempotency-Key`, replayed on retries."""

    scope_unit_field: ClassVar[str] = "owner__unit"

    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("幂等键"), max_length=255)
    endpoint = models.CharField(_("接口"), max_length=100)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"))
    response_body = models.JSONField(_("响应内容"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            # The constraint, not a prior SELECT, is what makes concurrent retries create one case.
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.key


class WebhookSubscription(models.Model):
    """An outside system that wants signed notices of case events in one unit's subtree."""

    scope_unit_field: ClassVar[str] = "unit"

    name = models.CharField(_("名称"), max_length=80)
    url = models.URLField(_("接收地址"), max_length=500)
    # Kept encrypted (not hashed): every delivery must sign with it.
    secret = EncryptedTextField(_("签名密钥"), kind="webhook_secret")
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("机构范围"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("只推送该机构及其下级机构的投诉事件。"),
    )
    events = models.JSONField(
        _("事件类型"),
        default=list,
        blank=True,
        help_text=_('如 ["register", "notify"]；留空表示全部事件。'),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件推送订阅")
        verbose_name_plural = _("事件推送订阅")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, action: str) -> bool:
        return not self.events or action in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    RETRYING = "retrying", _("等待重试")
    SUCCEEDED = "succeeded", _("已送达")
    FAILED = "failed", _("发送失败")


class WebhookDelivery(models.Model):
    """One case event owed to one subscriber; the body is fixed when the event is written."""

    scope_unit_field: ClassVar[str] = "subscription__unit"

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("订阅"),
        # Kept with its log: a subscription that has sent anything is deactivated, not deleted.
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "complaints.ComplaintEvent",
        verbose_name=_("投诉事件"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    payload = models.JSONField(_("推送内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件推送")
        verbose_name_plural = _("事件推送")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Calling the hook twice for one event never sends it twice.
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} #{self.event_id} {self.get_status_display()}"


class WebhookAttempt(AppendOnlyModel):
    """One HTTP attempt to deliver, kept as written (the delivery log)."""

    scope_unit_field: ClassVar[str] = "delivery__subscription__unit"

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("推送"), on_delete=models.PROTECT, related_name="log"
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    attempted_at = models.DateTimeField(_("时间"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_excerpt = models.CharField(_("响应摘要"), max_length=500, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    succeeded = models.BooleanField(_("成功"), default=False)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.response_status or self.error[:40]}"
