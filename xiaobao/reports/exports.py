"""Exports of the typical-case library (Word for reading, Excel for lists)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.timezone import localtime

from xiaobao.lib.officialdoc import OfficialDocument
from xiaobao.reports.models import TypicalCase
from xiaobao.reports.renderers import Column, Sheet, write_xlsx
from xiaobao.reports.services import scrub

DATE_LINE = re.compile(r"^\d{4}(年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2})$")


def _category(case: TypicalCase) -> str:
    term = case.complaint.business_category
    return str(term) if term is not None else ""


def typical_cases_docx(cases: Iterable[TypicalCase], *, title: str = "典型案例汇编") -> bytes:
    """The cases in the official-document layout: one level-1 heading per case, the write-up's
    【…】 lines as level-2 headings."""
    document = OfficialDocument(title=title)
    for i, case in enumerate(cases, start=1):
        document.heading(f"案例{i}：{case.title}", level=1)
        meta = [f"业务类别：{_category(case)}"]
        if case.complaint.cause is not None:
            meta.append(f"投诉原因：{case.complaint.cause.name}")
        if case.tag_list:
            meta.append(f"关键词：{'、'.join(case.tag_list)}")
        document.paragraph("　".join(meta))
        # Stored text is redacted on every save; redact once more in case a row was edited
        # outside the services.
        for line in scrub(case.write_up).splitlines():
            if not line.strip():
                continue
            if line.startswith("【") and line.endswith("】"):
                document.heading(line.strip("【】"), level=2)
            else:
                document.paragraph(line)
        if case.lessons:
            document.heading("案例启示", level=2)
            for line in scrub(case.lessons).splitlines():
                if line.strip():
                    document.paragraph(line)
    return document.to_bytes()


def risk_notice_docx(text: str) -> bytes:
    """A risk alert (消费风险提示) for the notice board or the website: its first line is the
    title; when its last line is a date, the two last lines are the 落款."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    document = OfficialDocument(title=lines[0] if lines else "消费风险提示")
    body, signature = lines[1:], None
    if len(body) >= 2 and DATE_LINE.match(body[-1]):
        body, signature = body[:-2], body[-2:]
    for line in body:
        document.paragraph(line)
    if signature is not None:
        document.signature(issuer=signature[0], on=signature[1])
    return document.to_bytes()


def typical_cases_xlsx(cases: Iterable[TypicalCase]) -> bytes:
    rows = []
    for case in cases:
        rows.append(
            [
                case.title,
                _category(case),
                case.complaint.cause.name if case.complaint.cause else "",
                case.complaint.unit.name,
                "、".join(case.tag_list),
                localtime(case.published_at).strftime("%Y-%m-%d")
                if case.published_at
                else "未发布",
                str(case.author),
                scrub(case.write_up),
                scrub(case.lessons),
            ]
        )
    sheet = Sheet(
        name="典型案例",
        title="典型案例清单",
        subtitle="个人信息已去标识化处理",
        columns=[
            Column("标题", "text", 30),
            Column("业务类别", "text", 16),
            Column("投诉原因", "text", 16),
            Column("机构", "text", 16),
            Column("关键词", "text", 16),
            Column("发布日期", "text", 12),
            Column("撰写人", "text", 10),
            Column("案例内容", "text", 80),
            Column("案例启示", "text", 40),
        ],
        rows=rows,
    )
    return write_xlsx([sheet])
