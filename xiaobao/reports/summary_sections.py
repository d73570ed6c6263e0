"""The programme chapters of the year-end work summary (消费者权益保护工作总结, version 2).

Every figure is read through the metric registry (`xiaobao.lib.metrics`) by key, for the viewer's
unit subtree and the period, so the summary prints exactly what the dashboards, plan targets and
assessment read. A sentence whose figures are not registered (the app is not installed) or have
no value is left out — never filled with a guess. The sentences land in the administrator-editable
template (texts/work_summary.txt) as context variables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from xiaobao.lib import metrics
from xiaobao.reports.texts import ordinal_list


def format_value(value: Any, unit_label: Any) -> str:
    """A metric value exactly as the registry returns it, percentages with their sign."""
    return f"{value}{'%' if str(unit_label) == '%' else ''}"


@dataclass
class Figures:
    """Reads metrics for one unit and period, remembering each one it printed."""

    unit: Any
    first: date
    last: date
    used: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        if key not in self.raw:
            registered = metrics.registry().get(key)
            self.raw[key] = (
                registered.value(unit=self.unit, first=self.first, last=self.last)
                if registered is not None
                else None
            )
        return self.raw[key]

    def text(self, key: str) -> str | None:
        value = self.value(key)
        if value is None:
            return None
        printed = format_value(value, metrics.get(key).unit_label)
        self.used[key] = printed
        return printed

    def sentence(self, parts: Sequence[tuple[str, Sequence[str]]], *, need: int = 1) -> str:
        """Join the parts whose figures all exist ("{0}" … placeholders in order); empty when
        fewer than `need` parts could be written."""
        written = []
        for template, keys in parts:
            values = [self.text(k) for k in keys]
            if all(v is not None for v in values):
                written.append(template.format(*values))
        return "".join(written) if len(written) >= need else ""


def _join(*pieces: str) -> str:
    pieces = tuple(p for p in pieces if p)
    return "，".join(pieces) + "。" if pieces else ""


def organisation_text(f: Figures) -> str:
    return _join(
        f.sentence([("期内共部署督办任务{0}项", ["plans.tasks_total"])]),
        f.sentence([("召开消费者权益保护专题会议{0}次", ["governance.meetings"])]),
        f.sentence([("逾期未评估的制度{0}项", ["governance.rules_review_overdue"])]),
    )


def outreach_text(f: Figures) -> str:
    head = f.sentence(
        [
            ("开展宣传教育活动{0}次", ["outreach.activities"]),
            ("（线上{0}次）", ["outreach.activities_online"]),
            ("，覆盖网点{0}家", ["outreach.outlets_covered"]),
            ("（占比{0}）", ["outreach.outlets_covered_share"]),
            ("，参与员工{0}人次", ["outreach.staff"]),
            ("，受众{0}人次", ["outreach.audience"]),
            ("，其中老年人{0}人次", ["outreach.audience.elderly"]),
        ]
    )
    tail = f.sentence(
        [
            ("发放资料{0}份", ["outreach.materials"]),
            ("，发送短信{0}条", ["outreach.sms"]),
            ("，媒体报道{0}篇", ["outreach.media_reports"]),
            ("，线上阅读/观看{0}次", ["outreach.reads"]),
        ]
    )
    return "；".join(p for p in (head, tail) if p) + ("。" if head or tail else "")


def training_text(f: Figures) -> str:
    return _join(
        f.sentence(
            [
                ("组织消保培训{0}次", ["training.sessions"]),
                ("，合计{0}学时", ["training.hours"]),
                ("，参训{0}人次", ["training.attendance"]),
                ("，培训覆盖率{0}", ["training.coverage"]),
                ("，新入职员工30日内培训覆盖率{0}", ["training.new_hire_coverage"]),
            ]
        ),
        f.sentence(
            [
                ("组织考试{0}人", ["training.exam_takers"]),
                ("，平均{0}分", ["training.mean_score"]),
                ("，通过率{0}", ["training.pass_rate"]),
            ]
        ),
        f.sentence(
            [
                ("开展知识竞赛{0}次", ["training.contests"]),
                ("，参与{0}人次", ["training.contest_participants"]),
            ]
        ),
        f.sentence([("持有效销售资质人员{0}人", ["training.qualified_sellers"])]),
    )


def inspections_text(f: Figures) -> str:
    return _join(
        f.sentence(
            [
                ("开展服务检查{0}次", ["inspections.visits"]),
                ("（其中神秘人暗访{0}次）", ["inspections.visits_mystery"]),
                ("，检查网点{0}家", ["inspections.outlets_covered"]),
                ("（覆盖率{0}）", ["inspections.outlet_coverage"]),
                ("，平均得分{0}分", ["inspections.mean_score"]),
            ]
        ),
        f.sentence(
            [
                ("发现问题{0}项", ["inspections.findings"]),
                ("，已整改{0}项", ["inspections.findings_rectified"]),
                ("，按期整改率{0}", ["inspections.findings_on_time_rate"]),
                ("，重复发生问题{0}项", ["inspections.repeat_findings"]),
            ]
        ),
        f.sentence([("接受外部检查{0}次", ["inspections.examinations"])]),
    )


def products_text(f: Figures) -> str:
    return _join(
        f.sentence(
            [
                ("开展消保审查{0}件", ["products.reviews"]),
                ("，提出审查意见{0}条", ["products.opinions"]),
                ("，意见采纳率{0}", ["products.adoption_rate"]),
                ("，平均审查用时{0}个工作日", ["products.turnaround_days"]),
            ]
        ),
        f.sentence([("未经审查上线产品{0}件", ["products.launched_without_review"])]),
        f.sentence(
            [
                ("开展销售适当性校验{0}次", ["products.sale_checks"]),
                ("，拦截不匹配销售{0}次", ["products.sale_checks_blocked"]),
                ("，向老年客户销售最高风险等级产品{0}次", ["products.elderly_top_grade_sales"]),
            ]
        ),
    )


def partners_text(f: Figures) -> str:
    return _join(
        f.sentence(
            [
                ("合作机构名单在册{0}家", ["partners.listed"]),
                ("，期内准入{0}家", ["partners.admitted"]),
                ("，退出{0}家", ["partners.exited"]),
                ("，年度评价覆盖{0}", ["partners.evaluated_share"]),
            ]
        ),
        f.sentence([("涉及合作机构的投诉{0}件", ["partners.complaints"])]),
        f.sentence([("合作协议缺少消保条款{0}份", ["partners.agreements_lacking_clauses"])]),
    )


def assessment_text(f: Figures, weakest: Sequence[tuple[str, str]]) -> str:
    text = _join(
        f.sentence([("消保考核在综合绩效考评中的权重为{0}", ["assessment.kpi_share"])]),
        f.sentence(
            [
                ("期内对{0}家次机构开展消保考核", ["assessment.units_assessed"]),
                ("，平均得分率{0}", ["assessment.mean_score"]),
                ("，获最高等级{0}家次", ["assessment.top_grade"]),
                ("，一票否决{0}家次", ["assessment.vetoed"]),
            ]
        ),
        f.sentence([("按监管评价要素开展自评估，自评得分率{0}", ["assessment.self_score"])]),
    )
    if weakest:
        text += "自评得分率较低的要素为" + "、".join(f"{n}（{p}）" for n, p in weakest) + "。"
    return text


def plan_text(f: Figures) -> str:
    return _join(
        f.sentence(
            [
                ("期限在期内的工作任务{0}项", ["plans.tasks_total"]),
                ("，已完成{0}项", ["plans.tasks_done"]),
                ("，按期完成率{0}", ["plans.tasks_on_time_rate"]),
                ("，逾期未完成{0}项", ["plans.tasks_overdue"]),
            ]
        ),
        f.sentence(
            [
                ("投诉溯源整改任务{0}项", ["plans.rectifications_total"]),
                ("，按期完成率{0}", ["plans.rectifications_on_time_rate"]),
            ]
        ),
    )


# (key, is a problem when …, the sentence) — each drafted only when the figure exists.
PROBLEM_RULES: list[tuple[str, Callable[[Any], bool], str]] = [
    ("plans.tasks_overdue", lambda v: v > 0, "工作任务落实不够及时，逾期未完成{0}项"),
    (
        "outreach.outlets_covered_share",
        lambda v: v < 100,
        "宣传教育覆盖不均衡，开展活动的网点占比仅{0}",
    ),
    ("inspections.outlet_coverage", lambda v: v < 100, "服务检查覆盖不全，网点检查覆盖率为{0}"),
    ("training.coverage", lambda v: v < 90, "培训覆盖面不足，员工培训覆盖率为{0}"),
    (
        "training.new_hire_coverage",
        lambda v: v < 100,
        "新入职员工培训不及时，30日内培训覆盖率为{0}",
    ),
    ("complaints.timely_rate", lambda v: v < 100, "投诉处理时效仍需提升，按时办结率为{0}"),
    (
        "plans.rectifications_on_time_rate",
        lambda v: v < 100,
        "溯源整改不够及时，整改按期完成率为{0}",
    ),
    ("products.launched_without_review", lambda v: v > 0, "存在未经消保审查即上线的产品{0}件"),
    ("partners.licences_expired", lambda v: v > 0, "合作机构管理有待加强，资质过期{0}张"),
    ("governance.rules_review_overdue", lambda v: v > 0, "制度评估不及时，逾期未评估制度{0}项"),
]


def problems(f: Figures, weakest: Sequence[tuple[str, str]]) -> list[str]:
    out = []
    if weakest:
        out.append("对照监管评价要素，" + "、".join(n for n, _p in weakest) + "得分率相对较低")
    for key, bad, template in PROBLEM_RULES:
        value = f.value(key)
        if value is not None and bad(value):
            out.append(template.format(f.text(key)))
    return ordinal_list(out)


def next_steps(
    f: Figures, weakest: Sequence[tuple[str, str]], open_tasks: Sequence[str], top_cause: str
) -> list[str]:
    out = []
    if open_tasks:
        out.append("持续推进未完成的工作任务（" + "、".join(open_tasks) + "），逐项跟踪至办结")
    if top_cause:
        out.append(f"针对{top_cause}开展溯源整改和专项治理")
    if weakest:
        out.append(
            "补齐" + "、".join(n for n, _p in weakest) + "等要素的短板，完善相关制度和证据留存"
        )
    for key, bad, _template in PROBLEM_RULES[:4]:
        value = f.value(key)
        if value is not None and bad(value):
            out.append(
                {
                    "plans.tasks_overdue": "加强任务督办，确保按期完成",
                    "outreach.outlets_covered_share": "推动宣传教育活动覆盖全部网点",
                    "inspections.outlet_coverage": "扩大服务检查和神秘人暗访覆盖面",
                    "training.coverage": "扩大消保培训覆盖面，做到全员培训",
                }[key]
            )
    return ordinal_list(out)


def weakest_elements(unit: Any, first: date, last: date, n: int = 2) -> list[tuple[str, str]]:
    """The `n` regulator elements with the lowest self-assessment percentage (final or locked
    self-assessments whose period ends within first..last)."""
    from django.apps import apps

    if not apps.is_installed("xiaobao.assessment"):
        return []
    from xiaobao.assessment.selectors import self_assessment_elements

    lines = self_assessment_elements(unit=unit, first=first, last=last)
    scored = sorted(
        ((line.percent, line.name) for line in lines if line.percent is not None),
        key=lambda pair: pair[0],
    )
    return [(name, f"{percent}%") for percent, name in scored[:n] if percent < 100]


def open_task_titles(unit: Any, first: date, last: date, n: int = 3) -> list[str]:
    from xiaobao.plans.choices import TaskStatus
    from xiaobao.plans.models import Task

    tasks = (
        Task.objects.filter(
            owner_unit__path__startswith=unit.path, due_date__gte=first, due_date__lte=last
        )
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .order_by("due_date", "pk")
    )
    return [t.title for t in tasks[:n]]


def programme_context(*, unit: Any, first: date, last: date, top_cause: str = "") -> dict[str, Any]:
    """The chapters' sentences and the figures behind them (`figures_used`: key → printed)."""
    f = Figures(unit=unit, first=first, last=last)
    weakest = weakest_elements(unit, first, last)
    context: dict[str, Any] = {
        "organisation_text": organisation_text(f),
        "outreach_text": outreach_text(f),
        "training_text": training_text(f),
        "inspections_text": inspections_text(f),
        "products_text": products_text(f),
        "partners_text": partners_text(f),
        "assessment_text": assessment_text(f, weakest),
        "plan_text": plan_text(f),
        "problems": problems(f, weakest),
        "next_steps": next_steps(f, weakest, open_task_titles(unit, first, last), top_cause),
    }
    context["figures_used"] = dict(f.used)
    context["m"] = {key.replace(".", "__"): value for key, value in f.used.items()}
    return context
