"""Demo data of training at 锦程银行: a year of sessions and exams with honest coverage gaps.

Each branch holds a quarterly consumer-protection session for its staff; 成都分行 skipped one
quarter and signs in fewer people, 南京分行 leaves its outsourced and agency staff off the rosters,
and head office's new-hire sessions missed some months, so some new hires were not trained within
30 days. An exam follows the last session of every branch (a few fail and sit again); 杭州分行 held
a knowledge contest; sellers hold qualifications, some expiring within 30 or 60 days and one
already expired. Everything is replayed at the time it happened, through the services.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation.choices import Role, StaffCategory, UnitKind
from xiaobao.organisation.demo import DEMO_PASSWORD, GIVEN, SURNAMES
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.roles import user_roles
from xiaobao.training import services
from xiaobao.training.choices import ExamStatus, SessionStatus
from xiaobao.training.models import Course, Question

TRAINER = "trainer"

COURSES = [
    (
        "KC-XB-01",
        "消费者权益保护年度专题培训",
        "2.0",
        ["消保制度", "投诉处理", "适当性"],
        "《银行保险机构消费者权益保护管理办法》（2022年第9号令）",
        True,
        [],
        None,
    ),
    (
        "KC-XB-02",
        "新员工入职消保培训",
        "3.0",
        ["消保制度", "服务规范"],
        "《中国人民银行金融消费者权益保护实施办法》",
        True,
        [],
        30,
    ),
    (
        "KC-XB-03",
        "投诉处理能力与技巧",
        "1.5",
        ["投诉处理"],
        "《银行业保险业消费投诉处理管理办法》",
        False,
        [StaffCategory.FRONTLINE],
        None,
    ),
    (
        "KC-XB-04",
        "产品适当性与销售行为管理",
        "2.0",
        ["适当性", "销售行为"],
        "《金融机构产品适当性管理办法》（2025年第7号令）",
        False,
        [StaffCategory.AGENCY],
        None,
    ),
]

QUESTIONS = [
    (
        "single",
        "消保制度",
        "《银行保险机构消费者权益保护管理办法》自何时起施行？",
        ["2023年3月1日", "2022年12月1日", "2021年1月1日", "2024年3月15日"],
        [0],
        "第七十条",
    ),
    (
        "single",
        "投诉处理",
        "银行业金融机构应当在收到投诉之日起多少日内作出处理决定并告知投诉人？",
        ["15日", "7日", "30日", "60日"],
        [0],
        "《消费投诉处理管理办法》第十八条",
    ),
    (
        "single",
        "投诉处理",
        "情况复杂的投诉，经批准可以延长处理期限，最长不超过多少日？",
        ["60日", "45日", "90日", "30日"],
        [0],
        "第十八条",
    ),
    (
        "single",
        "适当性",
        "投资产品的风险等级由低到高至少应划分为几级？",
        ["五级", "三级", "四级", "六级"],
        [0],
        "《产品适当性管理办法》",
    ),
    (
        "single",
        "适当性",
        "发行机构与销售机构风险评级不一致时，销售机构应当如何处理？",
        ["按照孰高原则采用并披露", "按照孰低原则采用", "以发行机构为准", "不必披露"],
        [0],
        "",
    ),
    (
        "single",
        "消保制度",
        "每年至少开展一次消保专题培训，培训对象不包括以下哪项要求之外的人员？",
        [
            "应全面覆盖中高级管理人员、基层业务人员及新入职人员",
            "只需覆盖一线柜员",
            "只需覆盖管理人员",
            "只需覆盖新员工",
        ],
        [0],
        "《金融消费者权益保护实施办法》",
    ),
    (
        "single",
        "服务规范",
        "客户在营业厅提出投诉时，首问负责人应当首先做什么？",
        [
            "受理并登记，告知处理流程和时限",
            "请客户拨打客服热线",
            "请客户改日再来",
            "请客户书面投诉",
        ],
        [0],
        "",
    ),
    (
        "single",
        "个人信息",
        "收集客户个人信息应遵循的原则是？",
        [
            "合法、正当、必要，最小够用",
            "尽量多收集以备后用",
            "客户未反对即可收集",
            "由营销人员自行决定",
        ],
        [0],
        "",
    ),
    (
        "single",
        "销售行为",
        "销售理财产品时应对销售过程进行什么处理以便回溯？",
        ["录音录像（双录）", "仅口头说明", "事后补签", "由客户自行保存"],
        [0],
        "第十二条",
    ),
    (
        "single",
        "投诉处理",
        "投诉处理结果告知后客户不满意，可以提出什么？",
        ["核查或复核申请", "只能起诉", "不能再提出", "只能向媒体反映"],
        [0],
        "",
    ),
    (
        "multiple",
        "消保制度",
        "消费者的八项基本权利包括以下哪些？",
        ["知情权", "自主选择权", "公平交易权", "无限索赔权"],
        [0, 1, 2],
        "",
    ),
    (
        "multiple",
        "个人信息",
        "以下哪些做法符合个人信息保护要求？",
        ["屏幕展示客户信息时脱敏", "离开工位锁屏", "用个人微信传送客户名单", "按权限查询客户信息"],
        [0, 1, 3],
        "",
    ),
    (
        "multiple",
        "适当性",
        "适当性管理中，对普通投资者应当加强哪些工作？",
        ["风险测评", "信息告知", "风险警示", "推荐高收益产品"],
        [0, 1, 2],
        "",
    ),
    (
        "multiple",
        "投诉处理",
        "投诉登记应当记录哪些要素？",
        ["投诉人基本情况", "投诉请求及事实理由", "接收时间与渠道", "处理人员的家庭住址"],
        [0, 1, 2],
        "第十三条",
    ),
    (
        "multiple",
        "销售行为",
        "以下哪些属于营销宣传中的禁止行为？",
        ["承诺保本保收益", "夸大产品收益", "如实披露风险", "使用“最佳”“零风险”等用语"],
        [0, 1, 3],
        "",
    ),
    ("true_false", "投诉处理", "投诉处理可以由被投诉的员工本人独立办理并直接结案。", [], [1], ""),
    (
        "true_false",
        "消保制度",
        "消费者权益保护工作应纳入机构的公司治理、企业文化建设和经营发展战略。",
        [],
        [0],
        "",
    ),
    ("true_false", "适当性", "客户风险测评结果过期后，仍可继续向其销售高风险产品。", [], [1], ""),
    (
        "true_false",
        "个人信息",
        "员工可以将客户信息用于与业务无关的用途，只要不对外泄露。",
        [],
        [1],
        "",
    ),
    ("true_false", "服务规范", "营业网点应当公示投诉电话、投诉处理流程和时限。", [], [0], ""),
    ("true_false", "销售行为", "代理销售保险产品的人员须持有相应的销售资质。", [], [0], ""),
    ("true_false", "消保制度", "知识竞赛的时长可以计入员工年度培训学时。", [], [1], "培训管理办法"),
]

# Per outlet, sub-branch, branch and head office: (position, category, seller).
OUTLET_STAFF = [
    ("柜员", StaffCategory.FRONTLINE, False),
    ("理财经理", StaffCategory.FRONTLINE, True),
    ("大堂经理", StaffCategory.FRONTLINE, False),
]
SUB_STAFF = [
    ("保险代理人", StaffCategory.AGENCY, True),
    ("外包客服专员", StaffCategory.OUTSOURCED, False),
]
BRANCH_STAFF = [
    ("部门负责人", StaffCategory.MIDDLE, False),
    ("运营主管", StaffCategory.BACK_OFFICE, False),
]
HQ_STAFF = [
    ("副行长", StaffCategory.SENIOR, False),
    ("风险总监", StaffCategory.SENIOR, False),
    ("运营管理岗", StaffCategory.BACK_OFFICE, False),
    ("外包热线坐席", StaffCategory.OUTSOURCED, False),
]

ROLE_CATEGORY = {
    Role.HQ_SENIOR_MANAGER: StaffCategory.SENIOR,
    Role.UNIT_HEAD: StaffCategory.MIDDLE,
    Role.HQ_CP_OFFICER: StaffCategory.MIDDLE,
    Role.BRANCH_CP_OFFICER: StaffCategory.MIDDLE,
    Role.HANDLER: StaffCategory.FRONTLINE,
    Role.BUSINESS_DEPT: StaffCategory.BACK_OFFICE,
    Role.AUDITOR: StaffCategory.BACK_OFFICE,
    Role.SYSADMIN: StaffCategory.BACK_OFFICE,
}

# Branch code → (share signing in, quarters skipped, contractors left off the roster).
BRANCH_HABITS = {"JC100": (0.95, (), False), "JC200": (0.9, (), True), "JC300": (0.78, (2,), False)}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def _past(moment: datetime, now: datetime) -> datetime:
    return min(moment, now - timedelta(hours=3))


def _profile_existing(rng: random.Random) -> None:
    for user in User.objects.filter(staff_category="").prefetch_related("groups"):
        roles = user_roles(user)
        category = next((ROLE_CATEGORY[r] for r in ROLE_CATEGORY if r in roles), "")
        if not category:
            continue
        user.staff_category = category
        user.hire_date = date(2010 + rng.randrange(14), rng.randrange(1, 13), rng.randrange(1, 28))
        user.save(update_fields=["staff_category", "hire_date"])


def _new_staff(rng: random.Random, today: date) -> list[User]:
    plan: list[tuple[Unit, str, str, bool]] = []
    for unit in Unit.objects.filter(is_active=True).order_by("path"):
        spec = {
            UnitKind.OUTLET: OUTLET_STAFF,
            UnitKind.SUB_BRANCH: SUB_STAFF,
            UnitKind.BRANCH: BRANCH_STAFF,
            UnitKind.HEAD_OFFICE: HQ_STAFF,
        }[UnitKind(unit.kind)]
        plan += [(unit, position, category, seller) for position, category, seller in spec]
    password = make_password(DEMO_PASSWORD)
    rows = []
    for i, (unit, position, category, seller) in enumerate(plan):
        # About one in eleven joined within the last four months: the new hires.
        recent = i % 11 == 5
        hired = (
            today - timedelta(days=rng.randrange(5, 120))
            if recent
            else date(2012 + rng.randrange(12), rng.randrange(1, 13), rng.randrange(1, 28))
        )
        rows.append(
            User(
                username=f"staff{i + 1:03d}",
                password=password,
                unit=unit,
                display_name=SURNAMES[(i * 5 + 2) % len(SURNAMES)]
                + GIVEN[(i * 13 + 1) % len(GIVEN)],
                title=position,
                position=position,
                staff_category=category,
                hire_date=hired,
                is_seller=seller,
                is_staff=False,
            )
        )
    return User.objects.bulk_create(rows)


def _bank(actor: User) -> None:
    for n, (kind, topic, stem, options, answer, article) in enumerate(QUESTIONS, start=1):
        services.question_create(
            actor=actor,
            data=services.QuestionData(
                code=f"TK{n:03d}",
                kind=kind,
                stem=stem,
                options=options,
                answer=answer,
                topic=topic,
                rule_article=article,
                explanation=f"参考答案见{article or '相关制度'}。",
            ),
        )


def _run(
    *,
    actor: User,
    course: Course,
    unit: Unit,
    title: str,
    day: date,
    roster: list[User],
    share: float,
    rng: random.Random,
    now: datetime,
) -> Any:
    starts = _past(_at(day, 14), now)
    with replay(starts - timedelta(days=7)):
        session = services.session_create(
            actor=actor,
            data=services.SessionData(
                course=course,
                unit=unit,
                title=title,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                place=f"{unit.name}会议室",
                trainer_name=actor.display_name or str(actor),
                roster=roster,
                materials="课件：消费者权益保护制度解读（2026版）",
            ),
        )
    with replay(starts - timedelta(minutes=15)):
        services.session_advance(actor=actor, session=session, to=SessionStatus.SIGNING)
    for user in roster:
        if not user.unit.path.startswith(unit.path) or rng.random() > share:
            continue
        with replay(starts + timedelta(minutes=rng.randrange(-14, 26))):
            services.attendance_sign_in(actor=user, session=session)
    with replay(starts + timedelta(hours=2)):
        session = services.session_advance(actor=actor, session=session, to=SessionStatus.CLOSED)
    return session


def _exam(*, actor: User, session: Any, rng: random.Random, now: datetime) -> None:
    opens = session.ends_at + timedelta(minutes=5)
    with replay(opens):
        exam = services.exam_create(
            actor=actor,
            data=services.ExamData(
                title=f"{session.title}测试",
                unit=session.unit,
                session=session,
                rule=[
                    {"kind": "single", "topic": "", "count": 6},
                    {"kind": "multiple", "topic": "", "count": 2},
                    {"kind": "true_false", "topic": "", "count": 2},
                ],
                time_limit_minutes=20,
                max_attempts=2,
            ),
        )
        services.exam_advance(actor=actor, exam=exam, to=ExamStatus.OPEN)
    keys = dict(Question.objects.values_list("pk", "answer"))
    attendees = [a.user for a in session.attendances.filter(status__in=("present", "late"))]
    for n, user in enumerate(attendees):
        skill = rng.uniform(0.55, 1.0)
        for sitting in range(2):
            start = opens + timedelta(minutes=10 + n * 2 + sitting * 60)
            with replay(_past(start, now)):
                attempt = services.attempt_start(actor=user, exam=exam, seed=rng.randrange(10**6))
            answers = {}
            for item in attempt.paper:
                right = keys[item["q"]]
                answers[str(item["q"])] = (
                    right if rng.random() < skill else [(right[0] + 1) % len(item["order"])]
                )
            with replay(_past(start + timedelta(minutes=rng.randrange(6, 18)), now)):
                done = services.attempt_submit(actor=user, attempt=attempt, answers=answers)
            if done.passed:
                break
    with replay(_past(opens + timedelta(days=3), now)):
        services.exam_advance(actor=actor, exam=exam, to=ExamStatus.CLOSED)


def seed_demo(*, stdout: Any = None) -> None:
    if Course.objects.filter(code="KC-XB-01").exists():
        return
    hq = Unit.objects.filter(code="JC0001").first()
    if hq is None:
        return
    rng = random.Random(21)
    now = clock_now()
    today = now.astimezone(TZ).date()
    with transaction.atomic():
        from xiaobao.organisation import services as org_services

        trainer = org_services.user_create(
            actor=None,
            username=TRAINER,
            password=None,
            unit=hq,
            roles=[Role.TRAINING_ADMIN],
            display_name="周敏",
            title="培训管理员",
            email="trainer@demo.xiaobao.local",
        )
        User.objects.filter(pk=trainer.pk).update(
            password=make_password(DEMO_PASSWORD),
            staff_category=StaffCategory.MIDDLE,
            position="培训管理岗",
            hire_date=date(2016, 4, 1),
        )
        trainer.refresh_from_db()
        _profile_existing(rng)
        _new_staff(rng, today)
        courses = {}
        for code, title, hours, topics, rules, mandatory, categories, new_days in COURSES:
            courses[code] = services.course_create(
                actor=trainer,
                code=code,
                title=title,
                hours=Decimal(hours),
                topics=topics,
                rules=rules,
                mandatory=mandatory,
                audience_categories=categories,
                new_hire_days=new_days,
            )
        _bank(trainer)
        _sessions(trainer, courses, rng, now, today)
        _contest(trainer, rng, today)
        _qualifications(trainer, rng, today)
    if stdout is not None:
        stdout.write("已生成培训演示数据：年度课程、培训场次与签到、考试、知识竞赛和从业资格。")


def _sessions(
    trainer: User, courses: dict[str, Course], rng: random.Random, now: datetime, today: date
) -> None:
    first = today - timedelta(days=360)
    annual = courses["KC-XB-01"]
    for branch_code, (share, skipped, no_contractors) in BRANCH_HABITS.items():
        branch = Unit.objects.get(code=branch_code)
        staff = list(
            User.objects.filter(unit__path__startswith=branch.path, is_active=True).select_related(
                "unit"
            )
        )
        for quarter in range(4):
            if quarter in skipped:
                continue
            day = first + timedelta(days=20 + quarter * 90 + rng.randrange(0, 20))
            roster = [
                u
                for u in staff
                if (u.hire_date is None or u.hire_date <= day)
                and not (
                    no_contractors
                    and u.staff_category in (StaffCategory.OUTSOURCED, StaffCategory.AGENCY)
                )
            ]
            session = _run(
                actor=trainer,
                course=annual,
                unit=branch,
                title=f"{branch.short_name or branch.name}第{quarter + 1}季度消保专题培训",
                day=day,
                roster=roster,
                share=share,
                rng=rng,
                now=now,
            )
            if quarter == 3:  # the year-end exam
                _exam(actor=trainer, session=session, rng=rng, now=now)
    hq = Unit.objects.get(code="JC0001")
    hq_staff = list(
        User.objects.filter(
            unit__path__startswith=hq.path, unit__depth__lte=1, is_active=True
        ).select_related("unit")
    )
    _run(
        actor=trainer,
        course=annual,
        unit=hq,
        title="总行机关消保专题培训",
        day=first + timedelta(days=100),
        roster=[u for u in hq_staff if u.unit.parent_id is None],
        share=0.92,
        rng=rng,
        now=now,
    )
    # New-hire sessions every other month: those who joined in a skipped month wait too long.
    new_course = courses["KC-XB-02"]
    for month in range(0, 12, 2):
        day = first + timedelta(days=30 * month + 25)
        if day >= today - timedelta(days=1):
            break
        roster = list(
            User.objects.filter(
                hire_date__gt=day - timedelta(days=40), hire_date__lte=day, is_active=True
            ).select_related("unit")
        )
        if roster:
            _run(
                actor=trainer,
                course=new_course,
                unit=hq,
                title=f"新员工入职消保培训（{day:%m}月）",
                day=day,
                roster=roster,
                share=0.9,
                rng=rng,
                now=now,
            )


def _contest(trainer: User, rng: random.Random, today: date) -> None:
    branch = Unit.objects.get(code="JC100")
    held = today - timedelta(days=150)
    contest = services.contest_create(
        actor=trainer,
        unit=branch,
        title="杭州分行消费者权益保护知识竞赛",
        mode="team",
        held_on=held,
        rounds=3,
        notes="必答、抢答、风险题三轮，各支行组队参赛。",
    )
    for n, sub in enumerate(Unit.objects.filter(parent=branch).order_by("path")):
        members = list(
            User.objects.filter(
                unit__path__startswith=sub.path, staff_category=StaffCategory.FRONTLINE
            ).order_by("username")[:3]
        )
        if not members:
            continue
        services.contest_entry_add(
            actor=trainer,
            contest=contest,
            name=f"{sub.short_name or sub.name}代表队",
            members=members,
            score=Decimal(rng.randrange(160, 290)),
            award=("一等奖", "二等奖", "三等奖", "优秀奖")[min(n, 3)],
        )


def _qualifications(trainer: User, rng: random.Random, today: date) -> None:
    sellers = list(User.objects.filter(is_seller=True).select_related("unit").order_by("username"))
    for n, user in enumerate(sellers):
        if n == 3:
            continue  # a seller who never registered one
        agent = user.staff_category == StaffCategory.AGENCY
        if n in (1, 7):
            valid_to = today + timedelta(days=rng.randrange(10, 28))  # within 30 days
        elif n in (4, 11, 15):
            valid_to = today + timedelta(days=rng.randrange(35, 58))  # within 60 days
        elif n == 9:
            valid_to = today - timedelta(days=20)  # already expired
        else:
            valid_to = today + timedelta(days=rng.randrange(200, 1100))
        services.qualification_add(
            actor=trainer,
            user=user,
            kind="insurance_sales" if agent else ("wealth_manager" if n % 2 else "fund"),
            level="二级" if agent else "",
            number=f"{'BX' if agent else 'ZG'}{2026000 + n}",
            issuer="保险中介从业人员执业登记平台" if agent else "中国证券投资基金业协会",
            valid_from=valid_to - timedelta(days=3 * 365),
            valid_to=valid_to,
        )
