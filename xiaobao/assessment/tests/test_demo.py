"""Done-when of issue 24 on the demo data: last year's locked run with an upheld appeal, this
year's run in progress, the self-assessment with every 2025 element; and the year-end summary for
last year, read back from Word, has the eleven chapters and prints every figure as its metric."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from docx import Document

from xiaobao.assessment import demo
from xiaobao.assessment.choices import AppealStatus, RunStatus, SchemeKind
from xiaobao.assessment.models import Appeal, Run, Scheme
from xiaobao.assessment.selectors import element_breakdown
from xiaobao.lib import metrics
from xiaobao.reports.summary import work_summary_content, work_summary_docx
from xiaobao.reports.summary_sections import format_value

pytestmark = pytest.mark.django_db

CHAPTERS = [
    "一、总体情况与组织机制",
    "二、投诉处理",
    "三、金融知识宣传教育",
    "四、内部培训",
    "五、服务检查与整改",
    "六、消保审查与适当性管理",
    "七、合作机构管理",
    "八、考核评价",
    "九、年度计划完成情况",
    "十、存在的问题",
    "十一、下一步工作",
]


@pytest.fixture
def seeded(settings):
    settings.XIAOBAO_DEMO_CASES = 40
    call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())


def test_demo_runs_and_self_assessment(seeded):
    year = date.today().year - 1
    done = Run.objects.get(scheme__year=year, scheme__kind=SchemeKind.INTERNAL)
    assert done.status == RunStatus.LOCKED
    assert done.results.filter(unit__kind="branch").count() == 3
    appeal = Appeal.objects.get(score__run=done)
    assert appeal.status == AppealStatus.UPHELD and appeal.points_after != appeal.points_before
    current = Run.objects.filter(scheme__year=year + 1, scheme__kind=SchemeKind.INTERNAL)
    assert all(r.status == RunStatus.PREVIEW for r in current) and current.count() <= 1
    for run in current:  # this year's scheme also assesses the branch CP officers
        assert run.results.filter(staff__username="hz_officer").exists()
    self_run = Run.objects.get(scheme__kind=SchemeKind.REGULATOR)
    assert self_run.status == RunStatus.FINAL
    hq = self_run.unit
    lines = element_breakdown(self_run, list(self_run.scores.filter(unit=hq)))
    assert [line.name for line in lines] == [
        "营销行为管理", "纠纷化解", "体制机制", "适当性管理", "金融教育", "消费者服务", "个人信息保护",
    ]  # fmt: skip
    assert Scheme.objects.filter(kind=SchemeKind.REGULATOR, is_example=True).count() == 1
    # Running it again changes nothing.
    demo.seed_demo(stdout=io.StringIO())
    assert Run.objects.count() == 2 + current.count()


def test_year_end_summary_from_demo_has_every_chapter_and_every_figure_equals_its_metric(seeded):
    from xiaobao.reports.selectors import viewer_for

    year = date.today().year - 1
    first, last = date(year, 1, 1), date(year, 12, 31)
    viewer = viewer_for(None)
    document = Document(io.BytesIO(work_summary_docx(viewer=viewer, first=first, last=last)))
    lines = [p.text for p in document.paragraphs]
    text = "\n".join(lines)
    assert [line for line in lines if line in CHAPTERS] == CHAPTERS
    assert lines[0] == f"锦程银行总行{year}年度消费者权益保护工作总结"

    used = work_summary_content(viewer=viewer, first=first, last=last).context["figures_used"]
    assert len(used) >= 20  # outreach, plans, governance, assessment and complaints figures
    for key, printed in used.items():
        m = metrics.get(key)
        assert printed == format_value(
            m.value(unit=viewer.unit, first=first, last=last), m.unit_label
        ), key

    # Exact sentences, read back from the document, with the registry's own values.
    def v(key: str) -> str:
        m = metrics.get(key)
        return format_value(m.value(unit=viewer.unit, first=first, last=last), m.unit_label)

    assert (
        f"开展宣传教育活动{v('outreach.activities')}次（线上{v('outreach.activities_online')}次）"
        in text
    )
    assert (
        f"期限在期内的工作任务{v('plans.tasks_total')}项，已完成{v('plans.tasks_done')}项" in text
    )
    assert (
        f"期内对{v('assessment.units_assessed')}家次机构开展消保考核，平均得分率{v('assessment.mean_score')}"
        in text
    )
    assert f"自评得分率{v('assessment.self_score')}" in text
    assert f"消保考核在综合绩效考评中的权重为{v('assessment.kpi_share')}" in text
    assert v("assessment.kpi_share") == "6.0%"
    # Not registered in this branch: no training sentence, never a made-up figure.
    if "training.sessions" not in metrics.registry():
        assert "本期暂无培训数据。" in text
    # 存在的问题 drafts from the weakest self-assessment elements.
    problems = text.split("十、存在的问题")[1].split("十一、下一步工作")[0]
    assert re.search(r"一是对照监管评价要素，\S+得分率相对较低", problems)
