"""A plan as a Word 工作计划: 一、总体目标 二、工作措施 1. … 一是……二是…….

Written with python-docx directly; when the shared official-document style
(`xiaobao/lib/officialdoc.py`) lands, `_document()` is the one place to switch over.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from xiaobao.plans.models import Plan

ORDINALS = "一二三四五六七八九十"
# Sentences already written as "一是……" stay; otherwise each line of a measure gets its ordinal.
_HAS_ORDINAL = re.compile(r"^[一二三四五六七八九十]+是")


def _document() -> DocxDocument:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(16)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    return doc


def _heading(doc: DocxDocument, text: str) -> None:
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = True
    run.font.name = "SimHei"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")


def measure_sentences(text: str) -> list[str]:
    """The measure's lines, each starting 一是/二是… as the source plans write them."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1 or all(_HAS_ORDINAL.match(line) for line in lines):
        return lines
    return [
        line if _HAS_ORDINAL.match(line) else f"{ORDINALS[i] if i < 10 else i + 1}是{line}"
        for i, line in enumerate(lines)
    ]


def plan_docx(plan: Plan) -> bytes:
    doc = _document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(plan.title)
    run.bold = True
    run.font.size = Pt(22)
    if plan.basis:
        doc.add_paragraph(plan.basis)
    _heading(doc, "一、总体目标")
    for line in (plan.goals or "").splitlines() or [""]:
        if line.strip():
            doc.add_paragraph(line.strip())
    _heading(doc, "二、工作措施")
    for m in plan.measures.select_related("lead_department").prefetch_related("tasks__owner_unit"):
        p = doc.add_paragraph()
        p.add_run(f"{m.number}. {m.heading}").bold = True
        sentences = measure_sentences(m.text)
        if sentences:
            doc.add_paragraph(
                "".join(s if s.endswith(("。", "；")) else s + "。" for s in sentences)
            )
        owners = []
        if m.lead_department:
            owners.append(f"牵头部门：{m.lead_department.name}")
        if m.element:
            owners.append(f"对应评价要素：{m.get_element_display()}")
        tasks = list(m.tasks.all())
        if tasks:
            due = max(t.due_date for t in tasks)
            units = "、".join(sorted({t.owner_unit.name for t in tasks}))
            owners.append(f"责任单位：{units}；完成时限：{due:%Y年%m月%d日}前")
        if owners:
            doc.add_paragraph("（" + "；".join(owners) + "）")
    if plan.approved_at:
        end = doc.add_paragraph(f"{plan.approved_at:%Y年%m月%d日}")
        end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
