"""The regulator's quarterly complaint statistics, on the JR/T 0169 axes by unit, as sheets.

Every cell comes from `complaint_statistics`, so it follows the one counting rule (selectors.py)
and reconciles with the registry list filtered the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.timezone import localtime

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to
from xiaobao.reports.renderers import Column, Sheet, write_xlsx
from xiaobao.reports.selectors import (
    COUNTING_RULE,
    Measures,
    Statistics,
    StatisticsRequest,
    axis_terms,
    complaint_statistics,
    complaint_statistics_many,
    format_rate,
    period_bounds,
    period_label,
    scoped_population,
    share,
    term_roots,
)

TOTAL = "合计"


@dataclass(frozen=True)
class ReportPeriod:
    code: str  # "2026Q3" or "2026"
    first: date
    last: date

    @classmethod
    def parse(cls, code: str) -> ReportPeriod:
        code = code.strip().upper()
        first, last = period_bounds(code)
        return cls(code=code, first=first, last=last)

    @property
    def label(self) -> str:
        return period_label(self.code)

    @property
    def filters(self) -> dict[str, str]:
        return {"received_from": self.first.isoformat(), "received_to": self.last.isoformat()}

    @property
    def span(self) -> str:
        return f"{self.first:%Y年%m月%d日}至{self.last:%Y年%m月%d日}"


@dataclass
class UnitLine:
    key: str  # the unit path the statistics group by
    code: str
    name: str


def _unit_lines(viewer: Any, stats: Statistics) -> list[UnitLine]:
    """Every unit one level below the report's unit (even with no cases), and the unit's own
    cases ("本级") when it has any."""
    report: Unit = viewer.unit
    children = visible_to(viewer, Unit.objects.filter(parent=report)).order_by("path")
    lines = []
    if any(r.key[0] == report.path for r in stats.rows):
        lines.append(UnitLine(report.path, report.code, f"{report.name}（本级）"))
    lines += [UnitLine(u.path, u.code, u.name) for u in children]
    return lines


@dataclass
class AxisColumn:
    label: str
    term_ids: frozenset[int | None]


def _axis_columns(axis: Axis, present: set[int | None]) -> list[AxisColumn]:
    """Top-level terms (their sub-terms included), each followed by "其中" columns for sub-terms;
    retired terms only when they hold cases."""
    terms = axis_terms(axis)
    roots = term_roots(terms)
    below: dict[int, list[TaxonomyTerm]] = defaultdict(list)
    for pk, root in roots.items():
        if root.pk != pk:
            below[root.pk].append(terms[pk])
    columns = []
    tops = sorted((t for t in terms.values() if roots[t.pk].pk == t.pk), key=_order)
    for top in tops:
        ids = frozenset([top.pk, *(t.pk for t in below[top.pk])])
        if not (top.is_active or ids & present):
            continue
        columns.append(AxisColumn(top.name, ids))
        for child in sorted(below[top.pk], key=_order):
            if child.is_active or child.pk in present:
                columns.append(AxisColumn(f"其中：{child.name}", frozenset([child.pk])))
    if None in present:
        columns.append(AxisColumn("未分类", frozenset([None])))
    return columns


def _order(term: TaxonomyTerm) -> tuple[int, str]:
    return (term.sort_order, term.code)


def _subtitle(viewer: Any, period: ReportPeriod) -> str:
    return f"填报机构：{viewer.unit.name}　统计期间：{period.span}　单位：件"


def axis_sheet(
    *, viewer: Any, period: ReportPeriod, dimension: str, axis: Axis, name: str, title: str
) -> Sheet:
    """Cases per unit (rows) and term of `axis` (columns), sub-terms rolled up and itemised."""
    stats = complaint_statistics(
        repeats="none",
        user=viewer,
        dimensions=["unit", dimension],
        filters=period.filters,
        rollup=False,
        unit_depth=viewer.unit.depth + 1,
    )
    counts: dict[tuple[str, int | None], int] = {
        (r.key[0], r.key[1]): r.measures.received for r in stats.rows
    }
    columns = _axis_columns(axis, {k[1] for k in counts})
    lines = _unit_lines(viewer, stats)
    rows: list[list[Any]] = []
    sums = [0] * (len(columns) + 1)
    for line in lines:
        values = [
            sum(n for (u, t), n in counts.items() if u == line.key and t in c.term_ids)
            for c in columns
        ]
        total = sum(n for (u, _t), n in counts.items() if u == line.key)
        rows.append([line.code, line.name, total, *values])
        sums = [a + b for a, b in zip(sums, [total, *values], strict=True)]
    rows.append(["", TOTAL, *sums])
    return Sheet(
        name=name,
        title=title,
        subtitle=_subtitle(viewer, period),
        columns=[Column("机构代码", "text", 12), Column("机构名称", "text", 24), Column(TOTAL)]
        + [Column(c.label) for c in columns],
        rows=rows,
        total_last=True,
        notes=[
            str(COUNTING_RULE),
            "分类依据 JR/T 0169-2018《银行业金融机构投诉数据统计与编码规范》；"
            "大类列含其全部细类，“其中”列为细类明细，不另计入合计。",
            "“本级”行为登记在填报机构本身的投诉，不含下级机构。",
        ],
    )


def intake_sheet(*, viewer: Any, period: ReportPeriod) -> Sheet:
    depth = viewer.unit.depth + 1
    stats, by_unit = complaint_statistics_many(  # one pass over the period's cases
        user=viewer,
        filters=period.filters,
        requests=[
            StatisticsRequest(["intake_channel", "unit"], unit_depth=depth, repeats="none"),
            StatisticsRequest(["unit"], unit_depth=depth, repeats="none"),
        ],
    )
    lines = _unit_lines(viewer, by_unit)
    counts = {(r.key[0], r.key[1]): r.measures.received for r in stats.rows}
    present = {k[0] for k in counts}
    channels = [
        t
        for t in TaxonomyTerm.objects.filter(axis=Axis.INTAKE_CHANNEL).order_by(
            "sort_order", "code"
        )
        if t.is_active or t.pk in present
    ]
    grand = stats.total.received
    rows: list[list[Any]] = []
    sums = [0] * (len(lines) + 1)
    for term in channels:
        per_unit = [counts.get((term.pk, line.key), 0) for line in lines]
        total = sum(per_unit)
        rows.append(
            [
                term.code,
                term.name,
                "是" if term.is_referral else "否",
                total,
                share(total, grand),
                *per_unit,
            ]
        )
        sums = [a + b for a, b in zip(sums, [total, *per_unit], strict=True)]
    referred = sum(r[3] for r in rows if r[2] == "是")
    rows.append(
        [
            "",
            "其中：外部转办合计",
            "",
            referred,
            share(referred, grand),
            *[
                sum(counts.get((t.pk, line.key), 0) for t in channels if t.is_referral)
                for line in lines
            ],
        ]
    )
    # Art. 33: a regulator forwards within 7 working days; later forwarding is reported.
    late = list(
        scoped_population(user=viewer, filters=period.filters)
        .filter(forwarded_late=True)
        .values_list("unit__path", flat=True)
    )
    per_line = [
        # The report unit's own line ("本级") holds only its own cases, not its subtree's.
        sum(
            1
            for path in late
            if (path == line.key if line.key == viewer.unit.path else path.startswith(line.key))
        )
        for line in lines
    ]
    rows.append(
        [
            "",
            "其中：转办方超期转送（超过7个工作日）",
            "",
            len(late),
            share(len(late), grand),
            *per_line,
        ]
    )
    rows.append(["", TOTAL, "", sums[0], share(sums[0], grand) if grand else None, *sums[1:]])
    return Sheet(
        name="投诉渠道",
        title=f"{period.label}投诉渠道统计表",
        subtitle=_subtitle(viewer, period),
        columns=[
            Column("渠道代码", "text", 16),
            Column("投诉渠道", "text", 26),
            Column("外部转办", "text", 10),
            Column(TOTAL),
            Column("占比", "rate"),
        ]
        + [Column(line.name) for line in lines],
        rows=rows,
        total_last=True,
        notes=[
            str(COUNTING_RULE),
            "投诉渠道指投诉到达本机构的途径（柜面、热线、12345/12363/12378 转办等），"
            "与业务办理渠道不同。",
        ],
    )


TIMELINESS_COLUMNS = [
    Column("机构代码", "text", 12),
    Column("机构名称", "text", 24),
    Column("受理量"),
    Column("办结量"),
    Column("办结率", "rate"),
    Column("已告知答复"),
    Column("按时答复"),
    Column("按时办结率", "rate"),
    Column("超期"),
    Column("其中：未办结已超期"),
    Column("平均办理天数", "days"),
    Column("90%办理天数", "days"),
    Column("延期"),
    Column("其中：延至60日"),
    Column("撤诉"),
    Column("核查申请"),
    Column("核查改变"),
    Column("核查改变率", "rate"),
    Column("补偿金额（元）", "money", 14),
    Column("每万名客户投诉量", "ratio"),
]


def _timeliness_values(m: Any) -> list[Any]:
    return [
        m.received,
        m.closed,
        m.closed_rate,
        m.answered,
        m.timely,
        m.timely_rate,
        m.overdue,
        m.open_overdue,
        round(m.avg_days, 1) if m.avg_days is not None else None,
        m.p90_days,
        m.extended,
        m.extended_60,
        m.withdrawn,
        m.reviewed,
        m.reversed,
        m.reversal_rate,
        m.compensation,
        round(m.per_10k, 2) if m.per_10k is not None else None,
    ]


def timeliness_sheet(*, viewer: Any, period: ReportPeriod) -> Sheet:
    stats = complaint_statistics(
        repeats="none",
        user=viewer,
        dimensions=["unit"],
        filters=period.filters,
        unit_depth=viewer.unit.depth + 1,
    )
    by_key = {r.key[0]: r.measures for r in stats.rows}
    rows = [
        [line.code, line.name, *_timeliness_values(by_key.get(line.key, Measures()))]
        for line in _unit_lines(viewer, stats)
    ]
    rows.append(["", TOTAL, *_timeliness_values(stats.total)])
    return Sheet(
        name="办理时效",
        title=f"{period.label}投诉办理时效统计表",
        subtitle=_subtitle(viewer, period),
        columns=TIMELINESS_COLUMNS,
        rows=rows,
        total_last=True,
        notes=[
            str(COUNTING_RULE),
            "按时办结率 = 在办理期限内告知处理决定的件数 ÷ 已告知处理决定的件数（撤诉不计）。",
            "超期 = 逾期告知 + 统计时点仍未办结且已过期限；办理期限经批准延期的按延长后的期限计。",
            "90%办理天数：按办理天数由少到多排列，第90百分位（最近秩法）对应的天数。",
            "核查改变率 = 核查结论为诉求成立或部分成立的件数 ÷ 已作出核查决定的件数。",
            "每万名客户投诉量 = 受理量 ÷ 机构登记的客户数 × 10000（未登记客户数的机构不计算）。",
        ],
    )


def disclosure_sheet(*, viewer: Any, year: int, through: date) -> Sheet:
    """The annual public-disclosure summary (year to `through`): a short table and its text."""
    ytd = ReportPeriod(code=str(year), first=date(year, 1, 1), last=through)
    previous = ReportPeriod(
        code=str(year - 1), first=date(year - 1, 1, 1), last=_same_day(through, year - 1)
    )
    depth = viewer.unit.depth + 1
    categories, regions = complaint_statistics_many(  # one pass over the year's cases
        user=viewer,
        filters=ytd.filters,
        requests=[
            StatisticsRequest(["business_category"], repeats="none"),
            StatisticsRequest(["unit"], unit_depth=depth, repeats="none"),
        ],
    )
    before = scoped_population(user=viewer, filters=previous.filters).count()
    total = categories.total.received
    rows: list[list[Any]] = []
    for row in sorted(categories.rows, key=lambda r: -r.measures.received):
        rows.append(
            ["业务类别", row.labels[0], row.measures.received, share(row.measures.received, total)]
        )
    for row in sorted(regions.rows, key=lambda r: -r.measures.received):
        rows.append(
            [
                "地区（机构）分布",
                row.labels[0],
                row.measures.received,
                share(row.measures.received, total),
            ]
        )
    rows.append(["", TOTAL, total, 1.0 if total else None])
    text = disclosure_text(
        unit_name=viewer.unit.name,
        period=ytd,
        total=total,
        before=before,
        categories=[(r.labels[0], r.measures.received) for r in categories.rows],
        regions=[(r.labels[0], r.measures.received) for r in regions.rows],
    )
    return Sheet(
        name="年度信息披露",
        title=f"{year}年度消费投诉情况（信息披露）",
        subtitle=f"披露机构：{viewer.unit.name}　统计期间：{ytd.span}",
        columns=[
            Column("项目", "text", 18),
            Column("类别", "text", 26),
            Column("投诉量"),
            Column("占比", "rate"),
        ],
        rows=rows,
        total_last=True,
        paragraphs=[text],
        notes=[str(COUNTING_RULE), f"同比口径：上年同期 {previous.span}。"],
    )


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _top(items: list[tuple[str, int]], total: int, n: int = 3) -> str:
    items = sorted((i for i in items if i[1]), key=lambda i: -i[1])[:n]
    return "、".join(
        f"{name}{count}件（占{format_rate(share(count, total))}）" for name, count in items
    )


def disclosure_text(
    *,
    unit_name: str,
    period: ReportPeriod,
    total: int,
    before: int,
    categories: list[tuple[str, int]],
    regions: list[tuple[str, int]],
) -> str:
    change = total - before
    if before:
        trend = f"较上年同期{'增加' if change >= 0 else '减少'}{abs(change)}件，同比{'上升' if change >= 0 else '下降'}{format_rate(abs(change) / before)}"
    else:
        trend = "上年同期无投诉"
    text = f"{period.span}，{unit_name}共受理消费投诉{total}件，{trend}。"
    if total:
        text += f"从业务类别看，投诉主要集中在{_top(categories, total)}；"
        text += f"从地区分布看，{_top(regions, total)}。"
    return text


def regulator_sheets(*, viewer: Any, period: ReportPeriod) -> list[Sheet]:
    generated: datetime = localtime(now())
    axes = [
        ("business_category", Axis.BUSINESS_CATEGORY, "业务类别×机构", "投诉业务类别统计表"),
        ("cause", Axis.CAUSE, "投诉原因×机构", "投诉原因统计表"),
        ("business_channel", Axis.BUSINESS_CHANNEL, "业务办理渠道×机构", "投诉业务办理渠道统计表"),
    ]
    sheets = [
        axis_sheet(
            viewer=viewer, period=period, dimension=d, axis=a, name=n, title=f"{period.label}{t}"
        )
        for d, a, n, t in axes
    ]
    sheets.append(intake_sheet(viewer=viewer, period=period))
    sheets.append(timeliness_sheet(viewer=viewer, period=period))
    sheets.append(disclosure_sheet(viewer=viewer, year=period.first.year, through=period.last))
    total = sheets[-2].rows[-1][2]
    cover = Sheet(
        name="填报说明",
        title=f"{viewer.unit.name}{period.label}消费投诉统计报表",
        subtitle=f"统计期间：{period.span}　生成时间：{generated:%Y-%m-%d %H:%M}",
        columns=[Column("工作表", "text", 22), Column("内容", "text", 80)],
        rows=[
            ["业务类别×机构", "按 JR/T 0169 业务类别（含细类）统计各机构投诉量"],
            ["投诉原因×机构", "按 JR/T 0169 投诉原因统计各机构投诉量"],
            ["业务办理渠道×机构", "按 JR/T 0169 业务办理渠道（含电子渠道细类）统计各机构投诉量"],
            ["投诉渠道", "按投诉到达渠道统计，含外部转办（12345、12363、12378 等）"],
            ["办理时效", "办结、按时办结、超期、办理天数、延期、核查及补偿"],
            ["年度信息披露", "本年初至统计期末的投诉情况摘要（表格与文字）"],
        ],
        notes=[str(COUNTING_RULE), f"本期受理投诉合计 {total} 件，各表合计数一致。"],
    )
    return [cover, *sheets]


def regulator_workbook(*, viewer: Any, period: ReportPeriod) -> bytes:
    return write_xlsx(regulator_sheets(viewer=viewer, period=period))


def sheet_cells(sheet: Sheet) -> Mapping[tuple[str, str], Any]:
    """{(row label, column label): value} of a sheet, for cross-checks."""
    header = sheet.header()
    return {(str(row[1]), header[i]): v for row in sheet.rows for i, v in enumerate(row)}
