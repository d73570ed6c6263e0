"""Evidence files of the work programme: photos, sign-in sheets, documents, screenshots."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _


def _evidence_path(instance: EvidenceFile, filename: str) -> str:
    # Never trust the uploaded name on disk: a dated folder and a random name.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"evidence/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class EvidenceFile(models.Model):
    """One file kept as evidence for one programme record (an activity, a task, a visit …)."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("所属机构"), on_delete=models.PROTECT, related_name="+"
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("对象类型"), on_delete=models.PROTECT
    )
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("文件"), upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    mime_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True, editable=False)
    # 64-bit perceptual hash of photos (hex), for near-identical pictures re-used elsewhere.
    phash = models.CharField(
        _("感知哈希"), max_length=16, blank=True, db_index=True, editable=False
    )
    # When the camera says the photo was taken; advisory only (apps often strip EXIF).
    taken_at = models.DateTimeField(_("拍摄时间（EXIF）"), null=True, blank=True, editable=False)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="evidence_target_idx")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")

    def target_key(self) -> tuple[Any, int]:
        return (self.content_type_id, self.object_id)
