"""Turn statistics into what the pages show: table rows with drill-down links, chart options.

Chart options are plain ECharts option dicts (JSON), so the page script only draws them; every
chart also comes with `urls`, one registry link per category, followed when a bar is clicked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from xiaobao.reports.selectors import (
    MEASURES,
    Measures,
    MeasureSpec,
    Row,
    Statistics,
    format_rate,
)

SPECS = {m.name: m for m in MEASURES}
PALETTE = ["#1d4ed8", "#b42318", "#15803d", "#b45309", "#7c3aed", "#0e7490", "#be185d"]


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return format_rate(value)
    if kind == "days":
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def chart_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "rate":
        return round(value * 100, 1)
    if kind in ("days", "ratio"):
        return round(float(value), 2)
    if kind == "money":
        return float(value)
    return value


@dataclass
class Cell:
    text: str
    url: str | None = None


@dataclass
class TableRow:
    labels: list[str]
    url: str | None
    cells: list[Cell]
    total: bool = False


@dataclass
class Table:
    headers: list[str]
    specs: list[MeasureSpec]
    rows: list[TableRow]


def measure_specs(names: Sequence[str]) -> list[MeasureSpec]:
    return [SPECS[n] for n in names]


def _cells(stats: Statistics, row: Row | None, m: Measures, specs: list[MeasureSpec]) -> list[Cell]:
    cells = []
    for spec in specs:
        # Only the received count links: the registry has no filter for "answered late", so a
        # link on overdue would list fewer cases than the cell shows.
        url = stats.drill_url(row) if spec.name == "received" else None
        cells.append(Cell(fmt(getattr(m, spec.name), spec.kind), url))
    return cells


def stats_table(
    stats: Statistics,
    names: Sequence[str],
    *,
    rows: Sequence[Row] | None = None,
    total: bool = True,
) -> Table:
    specs = measure_specs(names)
    out = [
        TableRow(list(r.labels), stats.drill_url(r), _cells(stats, r, r.measures, specs))
        for r in (stats.rows if rows is None else rows)
    ]
    if total:
        out.append(
            TableRow(
                [gettext("合计")] + [""] * (len(stats.dimensions) - 1),
                stats.drill_url(),
                _cells(stats, None, stats.total, specs),
                total=True,
            )
        )
    return Table(stats.dimension_labels() or [gettext("范围")], specs, out)


def bar_chart(
    stats: Statistics,
    rows: Sequence[Row],
    series: Sequence[str],
    *,
    horizontal: bool = False,
    line: Sequence[str] = (),
) -> dict[str, Any]:
    """Bars (and optionally lines on a percent axis) per row, labelled in Chinese."""
    categories = [r.label() for r in rows]
    bars = [
        {
            "name": str(SPECS[name].label),
            "type": "bar",
            "data": [chart_value(getattr(r.measures, name), SPECS[name].kind) for r in rows],
        }
        for name in series
    ]
    lines = [
        {
            "name": f"{SPECS[name].label}（%）"
            if SPECS[name].kind == "rate"
            else str(SPECS[name].label),
            "type": "line",
            "yAxisIndex": 1,
            "data": [chart_value(getattr(r.measures, name), SPECS[name].kind) for r in rows],
        }
        for name in line
    ]
    label: dict[str, Any] = {"interval": 0}
    if not horizontal and len(categories) > 6:
        label["rotate"] = 35  # month or branch names side by side would overlap
    category_axis: dict[str, Any] = {"type": "category", "data": categories, "axisLabel": label}
    value_axes: list[dict[str, Any]] = [{"type": "value", "name": "件", "minInterval": 1}]
    if lines:
        value_axes.append({"type": "value", "name": "%", "max": 100, "min": 0})
    if horizontal:
        category_axis["inverse"] = True
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
        ("yAxis" if horizontal else "xAxis"): category_axis,
        ("xAxis" if horizontal else "yAxis"): value_axes[0] if horizontal else value_axes,
        "series": bars + lines,
    }
    return {"option": option, "urls": [stats.drill_url(r) for r in rows]}


def pie_chart(stats: Statistics, rows: Sequence[Row], name: str = "received") -> dict[str, Any]:
    return {
        "option": {
            "color": PALETTE,
            "tooltip": {"trigger": "item", "formatter": "{b}：{c}件（{d}%）"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "data": [{"name": r.label(), "value": getattr(r.measures, name)} for r in rows],
                }
            ],
        },
        "urls": [stats.drill_url(r) for r in rows],
    }


def top(rows: Sequence[Row], n: int = 10, key: str = "received") -> list[Row]:
    return sorted(rows, key=lambda r: -(getattr(r.measures, key) or 0))[:n]
