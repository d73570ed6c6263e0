"""Demo data of assessment at 锦程银行: last year's branch scheme with a finished (locked) annual
run and one upheld appeal; this year's scheme with its latest quarter in preview; and last year's
self-assessment against the 2025 regulator elements (the shipped example indicators), final."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from xiaobao.assessment import services
from xiaobao.assessment.choices import IndicatorKind, Normalisation, RunStatus, SchemeStatus
from xiaobao.assessment.models import Run, Scheme, Score
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Unit, User

NOTES = ["制度健全，台账完整", "档案基本齐全，个别记录缺少签字", "按要求落实，佐证材料充分"]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def branch_scheme(
    officer: Any, senior: Any, year: int, staff_roles: tuple[str, ...] = ()
) -> Scheme:
    """The internal scheme for branches and sub-branches of `year` (and for the staff in
    `staff_roles`), published the December before."""
    with replay(_at(date(year - 1, 12, 20))):
        scheme = services.scheme_create(
            actor=officer,
            data=services.SchemeData(
                code=f"JC-KH-{year}",
                name=f"{year}年度分支机构消费者权益保护工作考核方案",
                year=year,
                unit_kinds=(UnitKind.BRANCH, UnitKind.SUB_BRANCH),
                kpi_share=Decimal("6"),
                staff_roles=staff_roles,
                basis="《关于银行保险机构加强消费者权益保护工作体制机制建设的指导意见》",
            ),
        )
        D, add = services.IndicatorData, services.indicator_add
        for data in (
            D(code="KH01", name="投诉按时办结率", kind=IndicatorKind.AUTO, weight=Decimal(25),
              metric_key="complaints.timely_rate", target=Decimal(100), zero_at=Decimal(80)),
            D(code="KH02", name="溯源整改按期完成率", kind=IndicatorKind.AUTO, weight=Decimal(15),
              metric_key="plans.rectifications_on_time_rate", target=Decimal(100), zero_at=Decimal(50)),
            D(code="KH03", name="开展宣传教育活动的网点占比", kind=IndicatorKind.AUTO,
              weight=Decimal(15), metric_key="outreach.outlets_covered_share",
              target=Decimal(100), zero_at=Decimal(30)),
            D(code="KH04", name="每网点宣传教育活动次数", kind=IndicatorKind.AUTO, weight=Decimal(10),
              metric_key="outreach.activities", normalisation=Normalisation.PER_OUTLET,
              target=Decimal(3), zero_at=Decimal(0)),
            D(code="KH05", name="员工消保培训覆盖率", kind=IndicatorKind.AUTO, weight=Decimal(10),
              metric_key="training.coverage", target=Decimal(100), zero_at=Decimal(60)),
            D(code="KH06", name="制度执行与档案管理", kind=IndicatorKind.MANUAL, weight=Decimal(25),
              guidance="对照制度清单检查执行记录与档案，每缺一项扣2分"),
            D(code="KC01", name="逾期未完成督办任务", kind=IndicatorKind.DEDUCTION,
              metric_key="plans.tasks_overdue", per_event=Decimal(1), cap=Decimal(10)),
            D(code="KJ01", name="媒体正面报道", kind=IndicatorKind.BONUS,
              metric_key="outreach.media_reports", per_event=Decimal("0.5"), cap=Decimal(3)),
            D(code="KF01", name="重大投诉处置不当或受到监管处罚", kind=IndicatorKind.VETO),
        ):  # fmt: skip
            add(actor=officer, scheme=scheme, data=data)
        services.scheme_advance(actor=senior, scheme=scheme, to=SchemeStatus.APPROVED)
        return services.scheme_advance(actor=officer, scheme=scheme, to=SchemeStatus.PUBLISHED)


def _manual(run: Run, officer: Any, rng: random.Random) -> None:
    for score in run.scores.filter(indicator__metric_key="").select_related("indicator"):
        if score.indicator.kind == IndicatorKind.VETO:
            services.score_set(actor=officer, score=score, points=0)
        else:
            weight = int(score.indicator.weight)
            points = weight - rng.choice([0, 0, 1, 2, 2, 3, 5])
            services.score_set(
                actor=officer, score=score, points=points, note=NOTES[(weight - points) % 3]
            )


def finished_run(scheme: Scheme, hq: Unit, officer: Any, branch_officer: Any, year: int) -> Run:
    rng = random.Random(year)
    with replay(_at(date(year + 1, 1, 8))):
        run = services.run_create(
            actor=officer, scheme=scheme, unit=hq, label=f"{year}年度",
            first=date(year, 1, 1), last=date(year, 12, 31),
        )  # fmt: skip
        _manual(run, officer, rng)
        services.run_advance(actor=officer, run=run, to=RunStatus.PREVIEW)
        services.run_advance(actor=officer, run=run, to=RunStatus.APPEAL)
    with replay(_at(date(year + 1, 1, 10))):
        score = (
            run.scores.filter(unit=branch_officer.unit, staff=None, indicator__code="KH06")
            .select_related("indicator")
            .get()
        )
        appeal = services.appeal_file(
            actor=branch_officer, score=score, requested_points=score.indicator.weight,
            reason="考核时未计入已归档的2份制度执行记录，现补充档案编号及扫描件。",
        )  # fmt: skip
    with replay(_at(date(year + 1, 1, 14))):
        services.appeal_decide(
            actor=officer, appeal=appeal, upheld=True, points=score.indicator.weight - 1,
            decision="经核实，2份记录已于期内归档，申诉成立；另1项缺少签字的记录仍扣1分。",
        )  # fmt: skip
        services.run_advance(actor=officer, run=run, to=RunStatus.FINAL)
        services.run_advance(actor=officer, run=run, to=RunStatus.LOCKED)
    return run


def quarter_in_progress(scheme: Scheme, hq: Unit, officer: Any, today: date) -> Run | None:
    q = (today.month - 1) // 3  # quarters finished this year
    if q == 0:
        return None
    first, last = (
        date(today.year, 3 * (q - 1) + 1, 1),
        date(today.year, 3 * q + 1, 1) - timedelta(1),
    )
    with replay(_at(min(last + timedelta(days=8), today - timedelta(days=1)), 9)):
        run = services.run_create(
            actor=officer, scheme=scheme, unit=hq, label=f"{today.year}年第{'一二三四'[q - 1]}季度",
            first=first, last=last,
        )  # fmt: skip
        _manual(run, officer, random.Random(today.year * 10 + q))
        services.run_advance(actor=officer, run=run, to=RunStatus.PREVIEW)
    return run


SELF_NOTES = {
    "MKT1": (
        8,
        "营销宣传材料实行事前审核，理财及代销产品销售全程录音录像；个别网点双录抽检发现话术不规范。",
    ),
    "DSP3": (4, "建立投诉多元化解机制，与当地调解组织签订合作协议；重大投诉均按应急预案处置。"),
    "MEC2": (
        5,
        "消保考核纳入分支机构综合绩效考评，审计部门开展年度消保专项审计；考核权重有待提高。",
    ),
    "SUI1": (3, "风险测评覆盖全部理财客户；特殊群体适当性保护措施尚未形成制度。"),
    "PIP1": (4, "个人信息保护制度健全，开展了权限清理；发现1起员工违规查询已问责。"),
}


def self_assessment(hq: Unit, officer: Any, senior: Any, year: int) -> Run:
    with replay(_at(date(year - 1, 12, 22))):
        scheme = services.scheme_load_regulator(actor=officer, year=2025, scheme_year=year)
        services.scheme_advance(actor=senior, scheme=scheme, to=SchemeStatus.APPROVED)
        scheme = services.scheme_advance(actor=officer, scheme=scheme, to=SchemeStatus.PUBLISHED)
    with replay(_at(date(year + 1, 1, 20))):
        run = services.run_create(
            actor=officer, scheme=scheme, unit=hq, label=f"{year}年度自评估",
            first=date(year, 1, 1), last=date(year, 12, 31),
        )  # fmt: skip
        rng = random.Random(year + 7)
        manual = Score.objects.filter(run=run, indicator__metric_key="").select_related(
            "indicator", "unit"
        )
        for score in manual:
            points, note = SELF_NOTES.get(score.indicator.code, (int(score.indicator.weight), ""))
            if score.unit_id != hq.pk:
                points = max(0, points - rng.choice([0, 1, 1, 2]))
            services.score_set(actor=officer, score=score, points=points, note=note)
        for to in (RunStatus.PREVIEW, RunStatus.APPEAL, RunStatus.FINAL):
            services.run_advance(actor=officer, run=run, to=to)
    return run


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    if Scheme.objects.exists():
        stdout.write("考核评价演示数据已存在，跳过。")
        return
    officer = User.objects.filter(username="hq_officer").first()
    senior = User.objects.filter(username="hq_senior").first() or officer
    branch_officer = User.objects.filter(username="hz_officer").first()
    if officer is None or branch_officer is None:
        return
    hq = officer.unit
    today = clock_now().astimezone(TZ).date()
    # Last year is scored and self-assessed in January (done by the 20th); before that the
    # finished year shown is the one before, and last year's scheme waits for its run.
    finished = today.year - 1 if today > date(today.year, 1, 20) else today.year - 2
    finished_run(branch_scheme(officer, senior, finished), hq, officer, branch_officer, finished)
    if finished < today.year - 1:
        branch_scheme(officer, senior, today.year - 1)
    this_year = branch_scheme(officer, senior, today.year, staff_roles=(Role.BRANCH_CP_OFFICER,))
    quarter_in_progress(this_year, hq, officer, today)
    self_assessment(hq, officer, senior, finished)
    stdout.write(
        "已生成考核评价演示数据：上年度考核（已锁定，含申诉）、本年度季度考核（预览中）、上年度监管评价自评估。"
    )
