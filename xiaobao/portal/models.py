"""What the public portal keeps beside the registry: tracking keys and consumers' own ratings."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import Satisfaction


class PortalTicket(models.Model):
    """A consumer's key to one case: a random tracking number (kept only as a keyed hash) that
    works together with the last four digits of the phone number given when filing."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="portal_ticket",
    )
    tracking_hash = models.CharField(max_length=64, unique=True, editable=False)
    # HMAC over the tracking hash and the phone's last four digits: checking it needs neither
    # the phone number nor decryption, and costs the same whether the number exists or not.
    verifier = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("门户查询码")
        verbose_name_plural = _("门户查询码")

    def __str__(self) -> str:
        return self.complaint.registry_no


class PortalRating(models.Model):
    """The consumer's own rating of the answer, given in the portal (not the staff's 回访 call)."""

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="portal_rating",
    )
    result = models.CharField(_("评价"), max_length=16, choices=Satisfaction.choices)
    comments = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("消费者评价")
        verbose_name_plural = _("消费者评价")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.complaint.registry_no} {self.get_result_display()}"
