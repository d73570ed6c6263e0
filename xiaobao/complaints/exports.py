"""Registry exports: rows are yielded, a renderer writes the format; personal data masked.

Free text is redacted like the API does, every cell is escaped against formula injection, and the
workbook is written to an anonymous temporary file (no name on disk: nothing is left behind).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook

from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.lib.spreadsheet import escape_row
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.redaction import redact

HEADER = [
    "台账编号",
    "接收时间",
    "投诉渠道",
    "转办编号",
    "责任机构",
    "投诉人",
    "联系电话",
    "标题",
    "业务办理渠道",
    "业务类别",
    "投诉原因",
    "处理级别",
    "状态",
    "处理人",
    "截止日",
    "告知时间",
    "是否按时",
]


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def registry_rows(qs: QuerySet[Complaint], *, limit: int) -> Iterator[list[Any]]:
    people = Prefetch("complainants", queryset=Complainant.objects.order_by("id"))
    qs = qs.select_related(
        "intake_channel",
        "unit",
        "business_channel",
        "business_category",
        "cause",
        "level",
        "handler",
    ).prefetch_related(people)
    for c in qs[:limit].iterator(chunk_size=2000):
        first = next(iter(c.complainants.all()), None)
        yield [
            c.registry_no,
            _local(c.received_at),
            c.intake_channel.name,
            c.external_ref,
            c.unit.name,
            mask_name(first.name) if first else "",
            mask("phone", first.phone or "") if first else "",
            redact(c.title),
            c.business_channel.name if c.business_channel else "",
            str(c.business_category) if c.business_category else "",
            c.cause.name if c.cause else "",
            c.level.name,
            c.get_status_display(),
            str(c.handler) if c.handler else "",
            c.due_date.isoformat() if c.due_date else "",
            _local(c.notified_at),
            {True: "是", False: "否", None: ""}[c.timely],
        ]


def registry_workbook(qs: QuerySet[Complaint], *, limit: int) -> IO[bytes]:
    """The rows as .xlsx with constant memory, in an open anonymous file positioned at its start.

    The caller streams and closes it; the file never has a name, so a failed or abandoned
    download leaves nothing on disk.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("投诉台账")
    out = tempfile.TemporaryFile(prefix="xiaobao-registry-")  # noqa: SIM115 - the response closes it
    try:
        sheet.append(HEADER)
        for row in registry_rows(qs, limit=limit):
            sheet.append(escape_row(row))
        book.save(out)
    except BaseException:
        out.close()
        writer = getattr(sheet, "_writer", None)  # openpyxl's own row buffer
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()
        raise
    out.seek(0)
    return out
