"""The auto-drafted year-end work summary (消费者权益保护工作总结, version 2), in the eleven
chapters of the institutions' own summaries.

The text comes from an administrator-editable template (texts.py, key "work_summary"). The
complaint chapter's figures are read from `complaint_statistics`; every other chapter's from the
metric registry (summary_sections.py), so the document and the dashboards agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.timezone import localdate

from xiaobao.complaints.models import Complaint
from xiaobao.lib.clock import now
from xiaobao.lib.officialdoc import OfficialDocument, html_document, html_signature
from xiaobao.organisation.scope import visible_to
from xiaobao.plans.choices import TaskSourceKind
from xiaobao.plans.selectors import task_figures, tasks_visible
from xiaobao.reports.choices import TemplateKey
from xiaobao.reports.models import TypicalCase
from xiaobao.reports.selectors import (
    Statistics,
    StatisticsRequest,
    complaint_statistics_many,
    format_days,
    format_rate,
    scoped_population,
    share,
)
from xiaobao.reports.summary_sections import programme_context
from xiaobao.reports.texts import render_text

QUARTER_NAMES = "一二三四"
TABLE_LINE = re.compile(r"^\[\[(\w+)\]\]$")


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def span_labels(first: date, last: date) -> tuple[str, str, str]:
    """(title part, text part, lead-in) for a period: ("2026年度", "2026年", "全年")."""
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return f"{first.year}年度", f"{first.year}年", "全年"
    if first.day == 1 and first.month in (1, 4, 7, 10) and first.year == last.year:
        from xiaobao.reports.selectors import period_bounds

        q = (first.month - 1) // 3 + 1
        if period_bounds(f"{first.year}Q{q}")[1] == last:
            name = f"{first.year}年第{QUARTER_NAMES[q - 1]}季度"
            return name, name, "本季度"
    text = f"{cn_date(first)}至{cn_date(last)}"
    return f"（{text}）", text, "期内"


def short_channel(term_code: str, name: str) -> str:
    """ "12345转办" rather than the hotline's full name."""
    digits = re.fullmatch(r"R(\d{5})", term_code)
    return digits.group(1) if digits else name


def _listing(stats: Statistics, total: int, *, verb: str = "", n: int = 3) -> str:
    rows = sorted(
        (r for r in stats.rows if r.measures.received), key=lambda r: -r.measures.received
    )[:n]
    return "；".join(
        f"{r.labels[0]}{verb}{r.measures.received}起，占比{format_rate(share(r.measures.received, total))}"
        for r in rows
    )


def _share_table(stats: Statistics, total: int, label: str) -> tuple[list[str], list[list[Any]]]:
    rows = sorted(stats.rows, key=lambda r: -r.measures.received)
    return [label, "投诉量（起）", "占比"], [
        [r.labels[0], r.measures.received, format_rate(share(r.measures.received, total))]
        for r in rows
    ] + [["合计", total, format_rate(1.0) if total else "—"]]


@dataclass
class SummaryContent:
    context: dict[str, Any]
    tables: dict[str, tuple[list[str], list[list[Any]]]]


def work_summary_content(*, viewer: Any, first: date, last: date) -> SummaryContent:
    """The figures, sentences and tables of the summary for `viewer`'s subtree."""
    filters = {"received_from": first, "received_to": last}
    depth = viewer.unit.depth + 1
    # Two passes over the period's cases instead of five: units and channels (and the whole)
    # share one, categories and causes the other; fewer groups each than all four at once.
    overall, units, channels = complaint_statistics_many(
        user=viewer,
        filters=filters,
        requests=[
            StatisticsRequest([], repeats="none"),
            StatisticsRequest(["unit"], unit_depth=depth, repeats="none"),
            StatisticsRequest(["intake_channel"], repeats="none"),
        ],
    )
    t = overall.total
    categories, causes = complaint_statistics_many(
        user=viewer,
        filters=filters,
        requests=[
            StatisticsRequest(["business_category"], repeats="none"),
            StatisticsRequest(["cause"], repeats="none"),
        ],
    )
    before_first = _year_earlier(first)
    before = scoped_population(  # the same count, without a pass of measures
        user=viewer, filters={"received_from": before_first, "received_to": _year_earlier(last)}
    ).count()

    referral_rows = [
        r
        for r in sorted(channels.rows, key=lambda r: -r.measures.received)
        if r.measures.referred and r.codes[0]
    ]
    referral_detail = "、".join(
        f"{short_channel(r.codes[0] or '', r.labels[0])}转办{r.measures.received}起"
        for r in referral_rows
    )
    if before:
        change = t.received - before
        yoy = (
            f"，较上年同期{'增加' if change >= 0 else '减少'}{abs(change)}起，"
            f"同比{'上升' if change >= 0 else '下降'}{format_rate(abs(change) / before)}"
        )
    else:
        yoy = ""
    rect = _rectifications(viewer, filters)
    title, text, lead = span_labels(first, last)
    top_cause = max(causes.rows, key=lambda r: r.measures.received, default=None)
    context = {
        "unit": viewer.unit.name,
        "period_title": title,
        "period_text": text,
        "period_lead": lead,
        "t": t,
        "yoy": yoy,
        "referral_detail": referral_detail,
        "referred_share": format_rate(share(t.referred, t.received)),
        "closed_rate": format_rate(t.closed_rate),
        "timely_rate": format_rate(t.timely_rate),
        "reversal_rate": format_rate(t.reversal_rate),
        "satisfaction_rate": format_rate(t.satisfaction_rate),
        "avg_days": format_days(round(t.avg_days, 1) if t.avg_days is not None else None),
        "p90_days": format_days(t.p90_days),
        "compensation": f"{t.compensation:,.2f}" if t.compensation else "",
        "unit_sentence": _listing(units, t.received, verb="受理"),
        "channel_sentence": _listing(channels, t.received, verb="反映"),
        "category_sentence": _listing(categories, t.received),
        "cause_sentence": _listing(causes, t.received),
        "top_cause": f"“{top_cause.labels[0]}”类投诉" if top_cause else "",
        "rect": rect,
        "typical_cases": _typical_cases(viewer, first, last),
        "generated_on": cn_date(localdate(now())),
    }
    context |= programme_context(
        unit=viewer.unit,
        first=first,
        last=last,
        top_cause=str(context["top_cause"]),
    )
    timeliness_rows = []
    for r in units.rows:
        m = r.measures
        timeliness_rows.append(
            [
                r.labels[0],
                m.received,
                m.answered,
                format_rate(m.timely_rate),
                m.overdue,
                format_days(round(m.avg_days, 1) if m.avg_days is not None else None),
                format_days(m.p90_days),
            ]
        )
    tables = {
        "units": _share_table(units, t.received, "机构"),
        "channels": _share_table(channels, t.received, "投诉渠道"),
        "categories": _share_table(categories, t.received, "业务类别"),
        "causes": _share_table(causes, t.received, "投诉原因"),
        "timeliness": (
            ["机构", "受理量", "已答复", "按时办结率", "超期", "平均办理天数", "90%办理天数"],
            timeliness_rows,
        ),
        "rectifications": (["整改部门", "整改任务", "已完成", "整改中"], rect["rows"]),
    }
    return SummaryContent(context=context, tables=tables)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _rectifications(viewer: Any, filters: dict[str, Any]) -> dict[str, Any]:
    """Rectification tasks owed for the period's counted cases (in the viewer's scope), read
    through the task engine like every other task."""
    cases = scoped_population(user=viewer, filters=filters)
    tasks = tasks_visible(viewer).filter(
        source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION,
        source_type=ContentType.objects.get_for_model(Complaint),
        source_id__in=cases.values("pk"),
    )
    figures = task_figures(tasks, localdate(now()))
    rows = figures["by_department"]
    return {
        "total": figures["total"],
        "done": figures["done"],
        "open": figures["open"],
        "overdue": figures["overdue"],
        "departments": "、".join(d["name"] for d in rows),
        "rows": [[d["name"], d["total"], d["done"], d["open"]] for d in rows],
    }


def _typical_cases(viewer: Any, first: date, last: date) -> list[dict[str, str]]:
    cases = visible_to(viewer, TypicalCase.objects.filter(published_at__isnull=False)).filter(
        published_at__date__gte=first, published_at__date__lte=last
    )
    out = []
    for case in cases.order_by("published_at")[:10]:
        body = re.sub(r"【[^】]+】\n?", "", case.write_up).strip()
        first_para = body.split("\n")[0]
        out.append({"title": case.title, "summary": first_para, "lessons": case.lessons})
    return out


def work_summary_text(content: SummaryContent) -> str:
    return render_text(TemplateKey.WORK_SUMMARY, content.context)


def work_summary_docx(*, viewer: Any, first: date, last: date) -> bytes:
    """The summary as an editable Word document, signed by the viewer's unit today."""
    content = work_summary_content(viewer=viewer, first=first, last=last)
    return text_to_docx(
        work_summary_text(content), content.tables, issuer=content.context["unit"], on=_today()
    )


def _today() -> date:
    return localdate(now())


def _title(text: str) -> str:
    return next((raw.strip()[2:] for raw in text.splitlines() if raw.strip().startswith("= ")), "")


def text_to_docx(
    text: str,
    tables: dict[str, tuple[list[str], list[list[Any]]]],
    *,
    issuer: str = "",
    on: date | None = None,
) -> bytes:
    """Lay out the template's lines in the official-document style: "= " title, "# " / "## "
    headings, "[[name]]" tables; then the issuing unit and date (落款)."""
    document = OfficialDocument(title=_title(text) or "工作总结")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("= "):
            continue
        table = TABLE_LINE.match(line)
        if table:
            header, rows = tables.get(table.group(1), ([], []))
            if header and rows:
                document.table(header, rows)
        elif line.startswith("## "):
            document.heading(line[3:], level=2)
        elif line.startswith("# "):
            document.heading(line[2:], level=1)
        else:
            document.paragraph(line)
    if issuer and on is not None:
        document.signature(issuer=issuer, on=on)
    return document.to_bytes()


def text_to_html(
    text: str,
    tables: dict[str, tuple[list[str], list[list[Any]]]],
    *,
    issuer: str = "",
    on: date | None = None,
) -> str:
    """The same layout as `text_to_docx`, as a printable HTML document."""
    from django.utils.html import escape

    parts = []
    title = _title(text) or "工作总结"
    parts.append(f"<h1>{escape(title)}</h1>")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("= "):
            continue
        table = TABLE_LINE.match(line)
        if table:
            header, rows = tables.get(table.group(1), ([], []))
            if header and rows:
                head = "".join(f"<th>{escape(h)}</th>" for h in header)
                body = "".join(
                    "<tr>"
                    + "".join(f"<td>{escape('' if v is None else v)}</td>" for v in row)
                    + "</tr>"
                    for row in rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif line.startswith("## "):
            parts.append(f"<h3>{escape(line[3:])}</h3>")
        elif line.startswith("# "):
            parts.append(f"<h2>{escape(line[2:])}</h2>")
        else:
            parts.append(f"<p>{escape(line)}</p>")
    if issuer and on is not None:
        parts.append(html_signature(issuer=issuer, on=on))
    return html_document(title=title, body="".join(parts))


def work_summary_pdf(*, viewer: Any, first: date, last: date) -> bytes:
    from xiaobao.reports.pdf import html_to_pdf

    content = work_summary_content(viewer=viewer, first=first, last=last)
    html = text_to_html(
        work_summary_text(content), content.tables, issuer=content.context["unit"], on=_today()
    )
    return html_to_pdf(html)
