"""The work summary: opened as Word, its sentences carry the statistics' own figures."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from docx import Document

from xiaobao.reports.choices import TemplateKey
from xiaobao.reports.models import ReportTemplate
from xiaobao.reports.pdf import chromium_path
from xiaobao.reports.selectors import complaint_statistics, format_rate, viewer_for
from xiaobao.reports.services import typical_case_mark, typical_case_publish
from xiaobao.reports.summary import (
    span_labels,
    text_to_html,
    work_summary_content,
    work_summary_text,
)

pytestmark = pytest.mark.django_db

Q1 = {"received_from": "2026-01-01", "received_to": "2026-03-31"}


def read(path) -> tuple[str, list[str], list[list[list[str]]]]:
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return "\n".join(paragraphs), [p.style.name for p in doc.paragraphs], tables


@pytest.fixture
def summary(quarter, people, tmp_path):
    case = typical_case_mark(actor=people.hq_officer, complaint=quarter.cases["a1"])
    typical_case_publish(actor=people.hq_officer, case=case)
    out = tmp_path / "summary.docx"
    call_command(
        "generate_report", "work-summary", "--from", "2026-01-01", "--to", "2026-03-31",
        "--out", str(out),
    )  # fmt: skip
    return read(out)


def test_sections_and_title(summary):
    text, styles, _tables = summary
    assert text.startswith("测试银行总行2026年第一季度消费者权益保护工作总结")
    lines = text.splitlines()
    for heading in (
        "一、总体情况与组织机制",
        "二、投诉处理",
        "（一）受理概况",
        "（二）投诉渠道",
        "（三）业务类别与原因",
        "（四）办理时效",
        "（五）溯源整改",
        "（六）典型案例",
        "三、金融知识宣传教育",
        "十一、下一步工作",
    ):
        assert heading in lines
    assert "Heading 1" in styles and "Heading 2" in styles and "Title" in styles
    assert "（此处由消保部门补充下一步工作安排。）" in text


def test_figures_equal_the_statistics(summary, people):
    text, _styles, tables = summary
    stats = complaint_statistics(user=people.hq_officer, filters=Q1)
    t = stats.total
    assert f"本季度共受理消费投诉{t.received}起" in text  # 9
    assert f"其中外部转办{t.referred}起（12345转办1起、12363转办1起）" in text
    assert f"已办结{t.closed}起，办结率{format_rate(t.closed_rate)}（含撤诉1起）" in text
    assert f"按时办结率{format_rate(t.timely_rate)}" in text  # 83.3%
    units = complaint_statistics(user=people.hq_officer, dimensions=["unit"], filters=Q1)
    a = units.row_for("BR-a").measures
    assert f"A分行受理{a.received}起，占比{format_rate(a.received / t.received)}" in text  # 77.8%
    assert "银行卡5起，占比55.6%" in text and "定价收费4起，占比44.4%" in text
    assert "平均办理12.0天，90%的投诉在24天内告知处理决定" in text
    assert "经批准延期1起；超期2起，其中截至统计时点仍未办结1起" in text
    assert "客户申请核查2起，已作出核查决定2起，其中改变原处理决定1起，核查改变率50.0%" in text
    assert "回访3起，满意率66.7%" in text and "补偿（赔偿）合计750.50元" in text
    assert "下达整改任务1项，已完成0项，整改中1项" in text and "测试银行总行信用卡部" in text
    unit_table = next(tb for tb in tables if tb[0][0] == "机构")
    assert unit_table[1] == ["A分行", "7", "77.8%"] and unit_table[-1] == ["合计", "9", "100.0%"]


def test_typical_case_in_summary_is_redacted(summary):
    text, _styles, _tables = summary
    assert "1. 信用卡年费未告知即扣收" in text
    assert "客户通过柜面/现场反映：客户称其信用卡被扣收年费600元" in text
    assert "13800138000" not in text


def test_rectification_done_and_year_on_year(quarter, people, make_case):
    from xiaobao.complaints.tests.conftest import at
    from xiaobao.plans.models import Task
    from xiaobao.plans.services import task_accept, task_submit

    make_case.move(at(2026, 3, 31, 19))
    task = task_submit(actor=people.hq_officer, task=Task.objects.get(), note="已修订告知书")
    task_accept(actor=people.hq_officer, task=task)
    content = work_summary_content(
        viewer=viewer_for(None), first=date(2026, 1, 1), last=date(2026, 3, 31)
    )
    assert content.context["rect"]["done"] == 1 and content.context["rect"]["open"] == 0
    assert content.context["yoy"] == ""  # nothing counted in Q1 2025
    whole_2026 = work_summary_content(
        viewer=viewer_for(None), first=date(2026, 1, 1), last=date(2026, 12, 31)
    )
    assert whole_2026.context["period_lead"] == "全年"


def test_branch_summary_and_administrator_template(quarter, people, tmp_path):
    ReportTemplate.objects.create(
        key=TemplateKey.WORK_SUMMARY,
        body="= {{ unit }}总结\n# 概况\n共{{ t.received }}起，超期{{ t.overdue }}起。\n[[units]]",
    )
    out = tmp_path / "b.docx"
    call_command(
        "generate_report", "work-summary", "--unit", "BR-b", "--from", "2026-01-01",
        "--to", "2026-03-31", "--out", str(out),
    )  # fmt: skip
    text, _styles, tables = read(out)
    assert text.splitlines()[:3] == ["B分行总结", "概况", "共2起，超期0起。"]
    assert "A分行" not in text and tables[0][1][0] == "B支行"


def test_span_labels():
    assert span_labels(date(2026, 1, 1), date(2026, 12, 31)) == ("2026年度", "2026年", "全年")
    assert span_labels(date(2026, 7, 1), date(2026, 9, 30))[0] == "2026年第三季度"
    assert span_labels(date(2026, 7, 1), date(2026, 8, 15))[1] == "2026年7月1日至2026年8月15日"


@pytest.mark.skipif(not chromium_path(), reason="needs headless Chromium for PDF")
def test_pdf_embeds_cjk_fonts(quarter, tmp_path):
    out = tmp_path / "summary.pdf"
    call_command(
        "generate_report", "work-summary", "--from", "2026-01-01", "--to", "2026-03-31",
        "--out", str(out),
    )  # fmt: skip
    content = out.read_bytes()
    assert content.startswith(b"%PDF") and b"CJK" in content


def test_summary_html_matches_the_word_text(quarter):
    content = work_summary_content(
        viewer=viewer_for(None), first=date(2026, 1, 1), last=date(2026, 3, 31)
    )
    html = text_to_html(work_summary_text(content), content.tables)
    assert (
        "<h2>二、投诉处理</h2>" in html
        and "<h3>（一）受理概况</h3>" in html
        and "共受理消费投诉9起" in html
    )
    assert "<td>A分行</td><td>7</td><td>77.8%</td>" in html
