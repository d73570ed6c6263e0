"""Upload checks shared by every place that keeps a file (case attachments, programme evidence).

The extension must be on the list, the size under the limit, the first bytes must match the
extension (a renamed executable is refused whatever its name says), and the SHA-256 is taken while
reading so callers can spot the same file used twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_UPLOADS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".txt": "text/plain",
}
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
# The first bytes of each allowed type.
MAGIC = {
    ".pdf": [b"%PDF"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".png": [b"\x89PNG"],
    ".docx": [b"PK\x03\x04"],
    ".xlsx": [b"PK\x03\x04"],
    ".doc": [b"\xd0\xcf\x11\xe0"],
    ".xls": [b"\xd0\xcf\x11\xe0"],
    ".mp3": [b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"],
    ".wav": [b"RIFF"],
}


@dataclass(frozen=True)
class CheckedUpload:
    """What the checks learned about a file: its digest, declared type and whether it is a photo."""

    sha256: str
    content_type: str
    suffix: str

    @property
    def is_image(self) -> bool:
        return self.suffix in IMAGE_SUFFIXES


def check_upload(upload: Any, *, allowed: dict[str, str] | None = None) -> CheckedUpload:
    """Check type, size and content of an uploaded file; ValidationError with a Chinese message."""
    allowed = allowed or ALLOWED_UPLOADS
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in allowed:
        names = "、".join(sorted(s.lstrip(".") for s in allowed))
        raise ValidationError(
            _("不支持的文件类型“%(s)s”，仅允许：%(a)s。"),
            params={"s": suffix or _("无扩展名"), "a": names},
        )
    limit = settings.XIAOBAO_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("文件过大（%(size).1f MB），上限为 %(limit)d MB。"),
            params={"size": upload.size / 1048576, "limit": limit // 1048576},
        )
    if upload.size == 0:
        raise ValidationError(_("文件是空的，请重新选择。"))
    head = upload.read(8)
    upload.seek(0)
    if suffix in MAGIC and not any(head.startswith(m) for m in MAGIC[suffix]):
        raise ValidationError(
            _("文件内容与扩展名“%(s)s”不符，请检查后重新上传。"), params={"s": suffix}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(sha256=digest.hexdigest(), content_type=allowed[suffix], suffix=suffix)
