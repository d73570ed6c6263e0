"""Exports of a run: the HR workbook and the 自评报告 (self-assessment report) by element."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.timezone import localdate

from xiaobao.assessment import conf
from xiaobao.assessment.models import Run
from xiaobao.assessment.scoring import num
from xiaobao.assessment.selectors import element_breakdown, evidence_links
from xiaobao.lib.clock import now
from xiaobao.lib.officialdoc import OfficialDocument
from xiaobao.lib.spreadsheet import escape_row

HR_HEADER = [
    "机构代码",
    "机构名称",
    "员工",
    "考核得分",
    "可得满分",
    "得分率（%）",
    "等级",
    "排名",
    "一票否决",
    "消保考核占综合绩效权重（%）",
    "计入综合绩效分值",
    "提示",
]


def hr_rows(run: Run, results: list[Any]) -> list[list[Any]]:
    """One row per unit: the CP score, its share of the overall KPI (from the scheme) and the
    points it carries there, with a warning when the share is under the configured floor."""
    share = run.scheme.kpi_share
    floor = conf.kpi_share_floor()
    warning = f"消保考核权重{num(share)}%低于下限{num(floor)}%" if share < floor else ""
    rows = []
    for r in results:
        carried = (
            (r.percent * share / 100).quantize(Decimal("0.01")) if r.percent is not None else None
        )
        rows.append(
            [
                r.unit.code,
                r.unit.name,
                (r.staff.get_full_name() or r.staff.username) if r.staff_id else "",
                float(r.total),
                float(r.maximum),
                float(r.percent) if r.percent is not None else None,
                r.grade,
                r.rank,
                "是" if r.vetoed else "否",
                float(share),
                float(carried) if carried is not None else None,
                warning,
            ]
        )
    return rows


def hr_workbook(run: Run, results: list[Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "消保考核结果"
    ws.append(escape_row([f"{run.scheme.name} {run.label}（{run.get_status_display()}）"]))
    ws.append(HR_HEADER)
    for row in hr_rows(run, results):
        ws.append(escape_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _points(value: Any) -> str:
    return "无数据" if value is None else f"{num(value)}"


def self_assessment_docx(run: Run, unit: Any, scores: list[Any]) -> bytes:
    """The 自评报告: an overview, then one chapter per element with each indicator's self-score,
    the figure behind it and the evidence an examiner would ask for."""
    doc = OfficialDocument(title=f"{unit.name}{run.scheme.year}年度消费者权益保护工作自评估报告")
    result = run.results.filter(unit=unit, staff=None).first()
    lines = element_breakdown(run, scores)
    doc.heading("一、总体情况", level=1)
    if result is not None:
        doc.paragraph(
            f"依据{run.scheme.basis or run.scheme.name}，{unit.name}对{run.first:%Y年%m月%d日}至"
            f"{run.last:%Y年%m月%d日}的消费者权益保护工作开展自评估，自评得分{num(result.total)}分"
            f"（可得满分{num(result.maximum)}分，得分率{_points(result.percent)}%），自评等级{result.grade}。"
        )
    doc.table(
        ["评价要素", "权重（%）", "最低权重（%）", "自评得分", "可得满分", "得分率（%）"],
        [
            [
                line.name,
                f"{num(line.weight)}",
                f"{num(line.min_weight)}" if line.min_weight is not None else "—",
                f"{num(line.points)}",
                f"{num(line.maximum)}",
                _points(line.percent),
            ]
            for line in lines
        ],
    )
    numerals = "二三四五六七八九十"
    for i, line in enumerate(lines):
        doc.heading(f"{numerals[i] if i < len(numerals) else i + 2}、{line.name}", level=1)
        for s in line.scores:
            ind = s.indicator
            figure = "" if s.value is None or not ind.metric_key else f"，取数{num(s.value)}"
            doc.heading(f"{ind.code} {ind.name}", level=2)
            doc.paragraph(
                f"自评得分{_points(s.points)}分（分值{num(ind.weight)}分{figure}）。{s.note}".strip()
            )
            links = evidence_links(s)
            if links:
                doc.paragraph("证据：" + "；".join(f"{x['label']}（{x['url']}）" for x in links))
            elif s.no_data:
                doc.paragraph("证据：暂无系统数据，需补充佐证材料。")
    doc.signature(issuer=unit.name, on=localdate(now()))
    return doc.to_bytes()
