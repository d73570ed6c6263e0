"""A plan as a Word 工作计划 in the house official-document style (`lib/officialdoc.py`,
GB/T 9704): 一、总体目标 二、工作措施 （一）… 一是……二是……, then the 落款 and date."""

from __future__ import annotations

import re

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.officialdoc import OfficialDocument, chinese_date
from xiaobao.plans.models import Plan

ORDINALS = "一二三四五六七八九十"
# Sentences already written as "一是……" stay; otherwise each line of a measure gets its ordinal.
_HAS_ORDINAL = re.compile(r"^[一二三四五六七八九十]+是")


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
    doc = OfficialDocument(title=plan.title)
    if plan.basis:
        doc.paragraph(plan.basis)
    doc.heading("一、总体目标")
    for line in (plan.goals or "").splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.heading("二、工作措施")
    for m in plan.measures.select_related("lead_department").prefetch_related("tasks__owner_unit"):
        doc.heading(f"{m.number}. {m.heading}", level=2)
        sentences = measure_sentences(m.text)
        if sentences:
            doc.paragraph("".join(s if s.endswith(("。", "；")) else s + "。" for s in sentences))
        owners = []
        if m.lead_department:
            owners.append(f"牵头部门：{m.lead_department.name}")
        if m.element:
            owners.append(f"对应评价要素：{m.get_element_display()}")
        tasks = list(m.tasks.all())
        if tasks:
            due = max(t.due_date for t in tasks)
            units = "、".join(sorted({t.owner_unit.name for t in tasks}))
            owners.append(f"责任单位：{units}；完成时限：{chinese_date(due)}前")
        if owners:
            doc.paragraph("（" + "；".join(owners) + "）")
    if plan.approved_at:
        doc.signature(issuer=plan.unit.name, on=plan.approved_at.astimezone(TZ).date())
    return doc.to_bytes()
