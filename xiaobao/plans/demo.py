"""Demo data: the head office's plan for the current year (shaped like the source plans: goals,
six numbered measures written 一是…二是…, tasks cascaded to the branches and owned by head-office
departments, in every state), and the demo complaints' rectifications mostly completed on time.

Called by `seed_demo` after the complaint demo; everything is replayed at the time it happened.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import replay
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.plans import services
from xiaobao.plans.choices import TaskSourceKind, TaskStatus
from xiaobao.plans.models import Plan, Task

SEED = 19

GOALS = (
    "以习近平新时代中国特色社会主义思想为指导，认真落实监管部门关于金融消费者权益保护的各项要求，"
    "健全消保体制机制，压实各级机构主体责任，持续提升投诉处理质效和金融消费者满意度，"
    "全年投诉按时办结率保持在98%以上，重大投诉零发生。"
)
BASIS = "依据《银行保险机构消费者权益保护管理办法》《银行业保险业消费投诉处理管理办法》及监管年度工作要求制定。"

# (heading, 一是…二是… lines, regulator element, lead department code, branch task or None,
#  head-office task or None)
MEASURES: list[tuple[str, list[str], str, str, str | None, str | None]] = [
    (
        "健全消费者权益保护体制机制",
        ["修订消费者权益保护工作制度", "按季度召开消保委员会会议", "将消保工作纳入综合绩效考核"],
        "governance",
        "XBB",
        "制定本分行消保工作实施方案并报总行备案",
        "修订《消费者权益保护工作管理办法》",
    ),
    (
        "提升投诉处理质效",
        ["落实投诉首问负责制", "开展投诉溯源整改", "每季度通报投诉情况"],
        "disputes",
        "XBB",
        "开展投诉溯源分析并按季报送整改台账",
        "建立投诉数据季度通报机制",
    ),
    (
        "深入开展金融知识宣传教育",
        [
            "组织“3·15”消费者权益保护教育宣传周",
            "开展“金融教育宣传月”活动",
            "推进金融知识进社区、进校园",
        ],
        "education",
        "LSJR",
        "组织“3·15”宣传周及金融教育宣传月活动",
        None,
    ),
    (
        "加强营销行为和适当性管理",
        ["规范营销宣传内容审核", "落实理财产品销售录音录像", "开展适当性匹配专项检查"],
        "marketing",
        "CFGL",
        "开展理财销售“双录”合规自查",
        "修订营销宣传内容审核规程",
    ),
    (
        "强化个人金融信息保护",
        ["梳理个人信息收集使用清单", "开展个人信息保护专项培训", "完善数据访问留痕与审计"],
        "personal_data",
        "XXKJ",
        None,
        "完成个人信息访问日志审计功能上线",
    ),
    (
        "优化适老化与消费者服务",
        ["推进网点适老化改造", "优化手机银行大字版", "开展服务质量暗访检查"],
        "service",
        "YYGL",
        "完成辖内网点适老化设施改造",
        "手机银行大字版功能优化",
    ),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _first(role: str, unit: Unit | None = None) -> User | None:
    users = User.objects.filter(groups__name__isnull=False, is_active=True)
    if unit is not None:
        users = users.filter(unit=unit)
    return next((u for u in users.order_by("pk") if role in _roles(u)), None)


def _roles(user: User) -> set[str]:
    from xiaobao.organisation.roles import user_roles

    return user_roles(user)


def _progress(rng: random.Random, task: Task, actor: Any, verifier: Any, now: datetime) -> str:
    """Move a task along as its owner would: mostly done on time, some late, some still open."""
    start = task.created_at.astimezone(TZ).date()
    due = task.due_date
    roll = rng.random()
    span = max((due - start).days, 2)
    mid = start + timedelta(days=max(1, int(span * rng.uniform(0.3, 0.5))))
    if _at(mid, 15) >= now:
        return task.status
    with replay(_at(mid, 15)):
        services.task_progress_add(
            actor=actor,
            task=task,
            pct=rng.choice([30, 40, 50, 60]),
            text="已制定方案并按计划推进。",
        )
    if roll < 0.12:  # still under way (overdue when the due day has passed)
        return "in_progress"
    finish = start + timedelta(days=max(2, int(span * rng.uniform(0.6, 0.95))))
    if roll > 0.9:  # finished late
        finish = due + timedelta(days=rng.randint(3, 20))
    if _at(finish, 16) >= now:
        return "in_progress"
    with replay(_at(finish, 16)):
        services.task_submit(actor=actor, task=task, note="已按要求完成，相关材料已归档。")
    check = finish + timedelta(days=rng.randint(1, 5))
    if _at(check, 11) >= now or 0.85 < roll <= 0.9:
        return "submitted"
    if roll < 0.17:  # sent back for more evidence, not yet resubmitted
        with replay(_at(check, 11)):
            services.task_return(actor=verifier, task=task, reason="佐证材料不全，请补充。")
        return "returned"
    with replay(_at(check, 11)):
        services.task_accept(actor=verifier, task=task, note="经核验，同意验收。")
    return "done"


def _plan(rng: random.Random, now: datetime) -> dict[str, int]:
    hq = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    officer = _first(Role.HQ_CP_OFFICER, hq)
    head = _first(Role.UNIT_HEAD, hq) or officer
    if hq is None or officer is None or head is None:
        return {}
    year = now.astimezone(TZ).year
    if now.astimezone(TZ).date() < date(year, 2, 1):  # nothing of this year's plan to replay yet
        year -= 1
    departments = {d.code: d for d in Department.objects.filter(unit=hq)}
    with replay(_at(date(year, 1, 8))):
        plan = services.plan_create(
            actor=officer,
            unit=hq,
            year=year,
            title=f"锦程银行{year}年消费者权益保护工作计划",
            basis=BASIS,
            goals=GOALS,
        )
        measures = [
            services.measure_add(
                actor=officer,
                plan=plan,
                heading=heading,
                text="\n".join(lines),
                element=element,
                lead_department=departments.get(dept),
            )
            for heading, lines, element, dept, _b, _h in MEASURES
        ]
        services.plan_submit(actor=officer, plan=plan)
    with replay(_at(date(year, 1, 20), 15)):
        services.plan_approve(
            actor=head, plan=plan, note=f"经消费者权益保护委员会{year}年第一次会议审议通过"
        )
    tasks: list[tuple[Task, User]] = []
    with replay(_at(date(year, 1, 22))):
        services.plan_start(actor=officer, plan=plan)
        for i, (measure, spec) in enumerate(zip(measures, MEASURES, strict=True)):
            _heading, _lines, _element, dept, branch_task, hq_task = spec
            due = date(year, 3 + 2 * i, 28) if i < 5 else date(year, 12, 31)
            if branch_task:
                for task in services.measure_cascade(
                    actor=officer, measure=measure, title=branch_task, due_date=due
                ):
                    owner = _first(Role.BRANCH_CP_OFFICER, task.owner_unit) or officer
                    tasks.append((task, owner))
            if hq_task and dept in departments:
                task = services.task_create(
                    actor=officer,
                    source=measure,
                    source_kind=TaskSourceKind.PLAN_MEASURE,
                    source_label=f"{plan.title} {measure.number}. {measure.heading}",
                    source_url=f"/plans/{plan.pk}/",
                    issuing_unit=hq,
                    owner_unit=hq,
                    owner_department=departments[dept],
                    title=hq_task,
                    due_date=min(due + timedelta(days=30), date(year, 12, 31)),
                    plan=plan,
                    measure=measure,
                )
                tasks.append((task, officer))
    counts: dict[str, int] = {}
    for task, owner in tasks:
        state = _progress(rng, task, owner, officer, now)
        counts[state] = counts.get(state, 0) + 1
    return counts


def _rectifications(rng: random.Random, now: datetime) -> dict[str, int]:
    officer = _first(Role.HQ_CP_OFFICER)
    counts: dict[str, int] = {}
    if officer is None:
        return counts
    tasks = Task.objects.filter(
        source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION, status=TaskStatus.OPEN
    ).select_related("owner_unit", "owner_department")
    for task in tasks.order_by("pk"):
        branch: Unit | None = task.issuing_unit
        while branch is not None and branch.kind not in (UnitKind.BRANCH, UnitKind.HEAD_OFFICE):
            branch = branch.parent
        verifier = (_first(Role.BRANCH_CP_OFFICER, branch) if branch else None) or officer
        owner = (
            User.objects.filter(department=task.owner_department, is_active=True).first() or officer
        )
        if not owner.has_perm("plans.report_task") and not owner.has_perm("plans.change_task"):
            owner = officer
        state = _progress(rng, task, owner, verifier, now)
        counts[state] = counts.get(state, 0) + 1
    return counts


def seed_demo(*, stdout: Any) -> None:
    now = timezone.now()
    if Plan.objects.exists():
        stdout.write("工作计划演示数据已存在，跳过。")
        return
    rng = random.Random(SEED)
    with transaction.atomic():
        plan_counts = _plan(rng, now)
        rect_counts = _rectifications(rng, now)

    def line(counts: dict[str, int]) -> str:
        return "，".join(
            f"{TaskStatus(k).label if k in TaskStatus.values else k} {v}"
            for k, v in sorted(counts.items())
        )

    stdout.write(
        f"已生成年度工作计划及任务（{line(plan_counts)}）；投诉溯源整改（{line(rect_counts)}）。"
    )
