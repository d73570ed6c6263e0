"""Demo data: the head office's consumer-protection committee and leading-group meetings of the
past year (their decisions, two of which order tasks), a branch's regular meeting, and the
register of internal rules — mostly current, one revised (the old version kept), one repealed and
one overdue for review, as a real register looks.

Everything is replayed at the day it happened (`clock.replay`), so events carry true dates.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.deadlines.engine import TZ
from xiaobao.governance import services
from xiaobao.governance.choices import MeetingBody
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.lib.clock import replay
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.roles import user_roles

# (body, title, days before today, attendees, topics, decisions: (text, task title or "", dept,
#  days the task runs))
MEETINGS: list[tuple[str, str, int, str, str, list[tuple[str, str, str, int]]]] = [
    (
        MeetingBody.BOARD_COMMITTEE,
        "董事会消费者权益保护委员会年度第一次会议",
        200,
        "委员会主任委员、委员共5人；列席：行长、分管消保工作副行长、消保部总经理",
        "审议上年度消费者权益保护工作报告及本年度工作计划；听取投诉情况专题汇报",
        [
            ("审议通过上年度消费者权益保护工作报告，按要求报送监管部门。", "", "", 0),
            ("审议通过本年度消费者权益保护工作计划，由高级管理层组织实施。", "", "", 0),
            (
                "针对信用卡分期业务投诉上升，责成信用卡部开展溯源整改并于下次会议汇报。",
                "信用卡分期业务投诉溯源整改",
                "XYK",
                150,
            ),
        ],
    ),
    (
        MeetingBody.LEADING_GROUP,
        "消费者权益保护工作领导小组第二季度会议",
        110,
        "领导小组组长、副组长及成员单位负责人共11人",
        "通报一季度投诉情况；部署金融教育宣传月活动；研究消保审查发现问题的整改",
        [
            ("一季度投诉按时办结率99.2%，各分行继续落实首问负责制。", "", "", 0),
            (
                "零售金融部牵头修订理财产品销售录音录像管理要求，报消保部审查后印发。",
                "修订理财产品销售双录管理要求",
                "LSJR",
                120,
            ),
        ],
    ),
    (
        MeetingBody.LEADING_GROUP,
        "消费者权益保护工作领导小组第三季度会议",
        20,
        "领导小组组长、副组长及成员单位负责人共10人",
        "通报上半年消保监管评价自评情况；研究个人信息保护专项检查安排",
        [
            ("上半年自评发现的3项差距由各牵头部门制定整改计划。", "", "", 0),
            ("年内完成一次个人信息保护专项检查，结果报领导小组。", "", "", 0),
        ],
    ),
]

# (title, doc number, version, department, effective days ago, next review in days, revise?)
RULES: list[tuple[str, str, str, str, int, int, str]] = [
    ("消费者权益保护工作管理办法", "济银发〔2023〕12号", "2023版", "XBB", 900, 180, "revise"),
    ("消费投诉处理管理办法", "济银发〔2024〕5号", "2024版", "XBB", 560, 170, ""),
    ("消费者权益保护审查实施细则", "济银发〔2024〕18号", "2024版", "XBB", 480, 250, ""),
    ("金融知识宣传教育工作实施细则", "济银办发〔2023〕31号", "2023版", "XBB", 800, -25, ""),
    ("个人金融信息保护管理办法", "济银发〔2024〕22号", "2024版", "FLHG", 420, 310, ""),
    ("理财产品销售录音录像管理规程", "济银零发〔2022〕7号", "2022版", "LSJR", 1100, 60, ""),
    ("信用卡催收业务管理办法", "济银卡发〔2023〕4号", "2023版", "XYK", 700, 120, ""),
    ("投诉处理工作考核办法（试行）", "济银办发〔2021〕9号", "试行版", "XBB", 1400, 30, "repeal"),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _with_role(role: str, unit: Unit) -> User | None:
    users = User.objects.filter(unit=unit, is_active=True).order_by("pk")
    return next((u for u in users if role in user_roles(u)), None)


def _meetings(hq: Unit, officer: User, today: date) -> int:
    departments = {d.code: d for d in Department.objects.filter(unit=hq)}
    count = 0
    for body, title, ago, attendees, topics, decisions in MEETINGS:
        held = today - timedelta(days=ago)
        with replay(_at(held, 16)):
            meeting = services.meeting_create(
                actor=officer,
                unit=hq,
                body=body,
                title=title,
                held_on=held,
                attendees=attendees,
                topics=topics,
            )
        with replay(_at(held + timedelta(days=2), 10)):
            for text, task_title, dept, days in decisions:
                task = None
                if task_title:
                    task = services.DecisionTask(
                        owner_unit=hq,
                        owner_department=departments.get(dept),
                        title=task_title,
                        due_date=held + timedelta(days=days),
                    )
                services.decision_add(actor=officer, meeting=meeting, text=text, task=task)
            # The newest minutes are still being drafted.
            if ago > 30:
                services.meeting_confirm(actor=officer, meeting=meeting)
        count += 1
    _finish_card_task(officer, today)
    branch = Unit.objects.filter(kind=UnitKind.BRANCH, is_active=True).order_by("code").first()
    branch_officer = _with_role(Role.BRANCH_CP_OFFICER, branch) if branch else None
    if branch is not None and branch_officer is not None:
        held = today - timedelta(days=45)
        with replay(_at(held, 15)):
            meeting = services.meeting_create(
                actor=branch_officer,
                unit=branch,
                body=MeetingBody.REGULAR,
                title=f"{branch.short_name or branch.name}消保工作例会",
                held_on=held,
                attendees="分行消保专员、各支行负责人及投诉联络人",
                topics="通报辖内投诉情况；布置回访抽查",
            )
            services.decision_add(
                actor=branch_officer,
                meeting=meeting,
                text="各支行本月内完成已办结投诉的回访抽查，结果报分行消保办。",
            )
            services.meeting_confirm(actor=branch_officer, meeting=meeting)
        count += 1
    return count


def _finish_card_task(officer: User, today: date) -> None:
    """The card department reported its rectification done, and the office accepted it."""
    from xiaobao.plans import services as plans

    decision = (
        MeetingDecision.objects.filter(task__owner_department__code="XYK")
        .select_related("task")
        .first()
    )
    if decision is None or decision.task is None:
        return
    task = decision.task
    owner = (
        User.objects.filter(department=task.owner_department, is_active=True).order_by("pk").first()
    )
    if owner is None:
        return
    done = min(task.due_date - timedelta(days=6), today - timedelta(days=1))
    with replay(_at(done - timedelta(days=40), 15)):
        plans.task_progress_add(
            actor=owner, task=task, pct=50, text="已完成分期业务投诉溯源分析，形成问题清单。"
        )
    with replay(_at(done, 15)):
        plans.task_submit(
            actor=owner, task=task, note="已修订分期业务营销话术和费率披露页面，完成员工培训。"
        )
    with replay(_at(done + timedelta(days=1), 10)):
        plans.task_accept(actor=officer, task=task, note="经核验，整改到位。")


def _rules(hq: Unit, officer: User, today: date) -> int:
    departments = {d.code: d for d in Department.objects.filter(unit=hq)}
    count = 0
    for title, number, version, dept, ago, review_in, then in RULES:
        effective = today - timedelta(days=ago)
        with replay(_at(effective, 9)):
            rule = services.rule_register(
                actor=officer,
                unit=hq,
                title=title,
                doc_number=number,
                version=version,
                owner_department=departments.get(dept),
                effective_on=effective,
                next_review_on=today + timedelta(days=review_in if not then else 400),
            )
        count += 1
        if then == "revise":
            revised_on = today - timedelta(days=150)
            with replay(_at(revised_on, 9)):
                services.rule_revise(
                    actor=officer,
                    rule=rule,
                    version="2025版",
                    doc_number="济银发〔2025〕9号",
                    effective_on=revised_on,
                    next_review_on=today + timedelta(days=review_in),
                    reason="落实《银行保险机构消费者权益保护管理办法》新要求，增加消保审查和考核内容。",
                )
            count += 1
        elif then == "repeal":
            with replay(_at(today - timedelta(days=90), 9)):
                services.rule_repeal(
                    actor=officer, rule=rule, reason="已并入《消费投诉处理管理办法》考核章节。"
                )
    return count


def seed_demo(*, stdout: Any) -> None:
    if Meeting.objects.exists() or InternalRule.objects.exists():
        stdout.write("消保治理演示数据已存在，跳过。")
        return
    hq = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    officer = _with_role(Role.HQ_CP_OFFICER, hq) if hq else None
    if hq is None or officer is None:
        stdout.write("未找到总行消保专员，跳过消保治理演示数据。")
        return
    today = timezone.now().astimezone(TZ).date()
    with transaction.atomic():
        meetings = _meetings(hq, officer, today)
        rules = _rules(hq, officer, today)
    stdout.write(f"已生成消保委员会及领导小组会议{meetings}次、内部制度{rules}件（含历史版本）。")
