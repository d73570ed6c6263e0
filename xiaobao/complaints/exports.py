"""Registry exports: rows are yielded, a renderer writes the format; personal data masked."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook

from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.privacy.masking import mask, mask_name

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
            c.title,
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


def registry_workbook(qs: QuerySet[Complaint], *, limit: int) -> str:
    """Write the rows to a temporary .xlsx with constant memory; returns its path."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("投诉台账")
    sheet.append(HEADER)
    for row in registry_rows(qs, limit=limit):
        sheet.append(row)
    with tempfile.NamedTemporaryFile(
        prefix="xiaobao-registry-", suffix=".xlsx", delete=False
    ) as handle:
        path = handle.name
    book.save(path)
    return path
