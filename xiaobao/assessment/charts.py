"""Inline SVG bar charts (no script, no external library: the CSP forbids CDNs)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xiaobao.assessment.scoring import num

ROW, LABEL_W, BAR_W = 26, 150, 300


def _bars(
    rows: Sequence[tuple[str, Decimal | None, str]], *, title: str, css_id: str
) -> SafeString:
    """Horizontal bars of percentages 0–100; `None` is drawn as 无数据."""
    height = ROW * len(rows) + 10
    width = LABEL_W + BAR_W + 70
    parts = [
        f'<svg id="{css_id}" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, note) in enumerate(rows):
        y = 5 + i * ROW
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{BAR_W}" height="16" fill="#eef2f7"/>'
        )
        if value is None:
            parts.append(
                f'<text x="{LABEL_W + 6}" y="{y + 16}" font-size="12" fill="#6b7280">无数据</text>'
            )
            continue
        w = float(min(max(value, Decimal(0)), Decimal(100))) * BAR_W / 100
        colour = "#15803d" if value >= 80 else "#b45309" if value >= 60 else "#b42318"
        parts.append(
            f'<rect class="bar" data-value="{value}" x="{LABEL_W}" y="{y + 4}" width="{w:.1f}" '
            f'height="16" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{LABEL_W + BAR_W + 6}" y="{y + 16}" font-size="12">{value}%{escape(note)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def results_svg(results: Sequence[Any]) -> SafeString:
    rows = [(r.unit.name, r.percent, f" {r.grade}" if r.grade else "") for r in results]
    return _bars(rows, title="各机构得分率", css_id="results-chart")


def elements_svg(lines: Sequence[Any]) -> SafeString:
    rows = [
        (
            line.name,
            line.percent,
            f"（最低权重{num(line.min_weight)}%）" if line.min_weight is not None else "",
        )
        for line in lines
    ]
    return _bars(rows, title="分要素得分率", css_id="element-chart")
