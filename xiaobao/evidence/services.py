"""Keeping evidence files: checked like case attachments, hashed, and tied to one record."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from xiaobao.audit.services import record_event
from xiaobao.evidence.models import EvidenceFile
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.lib.uploads import CheckedUpload, check_upload
from xiaobao.organisation.scope import unit_in_scope

log = logging.getLogger(__name__)


def _photo_facts(upload: Any) -> tuple[str, datetime | None]:
    """The perceptual hash and EXIF capture time of a photo; blanks when it cannot be read."""
    import imagehash
    from PIL import Image, UnidentifiedImageError

    from xiaobao.deadlines.engine import TZ

    try:
        with Image.open(upload) as image:
            phash = str(imagehash.phash(image))
            raw = image.getexif().get(0x0132)  # DateTime; DateTimeOriginal sits in the Exif IFD
            exif_ifd = image.getexif().get_ifd(0x8769)
            raw = exif_ifd.get(0x9003) or raw
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        log.info("evidence photo not readable for hashing: %s", exc)
        return "", None
    finally:
        upload.seek(0)
    taken = None
    if isinstance(raw, str):
        try:
            taken = datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S").replace(tzinfo=TZ)
        except ValueError:
            taken = None
    return phash, taken


@transaction.atomic
def evidence_add(
    *,
    actor: Any,
    target: models.Model,
    unit: Any,
    upload: Any,
    label: str = "",
    checked: CheckedUpload | None = None,
) -> EvidenceFile:
    """Keep `upload` as evidence for `target`, owned by `unit` (the caller checks its own rights
    on the target; this checks the file and that the unit is in the actor's scope)."""
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not unit_in_scope(actor, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")
    if checked is None:
        try:
            checked = check_upload(upload)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), code="invalid_file", field="file") from exc
    phash, taken = _photo_facts(upload) if checked.is_image else ("", None)
    now = clock_now()
    evidence = EvidenceFile(
        unit=unit,
        target=target,
        original_name=str(upload.name)[:200],
        mime_type=checked.content_type,
        size=upload.size,
        sha256=checked.sha256,
        phash=phash,
        taken_at=taken,
        label=label.strip()[:200],
        uploaded_by=actor,
        uploaded_at=now,
    )
    evidence.file.save(upload.name, upload, save=False)
    evidence.save()
    record_event(
        target,
        action="evidence_add",
        action_label="上传证明材料",
        actor=actor,
        unit=unit,
        reason=evidence.label,
        data={"evidence": evidence.pk, "name": evidence.original_name, "sha256": checked.sha256},
        at=now,
    )
    return evidence
