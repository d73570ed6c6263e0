"""A realistic demo institution: 1 head office, 3 branches, 10 sub-branches, 30 outlets, staff for every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaobao.organisation import services
from xiaobao.organisation.choices import DepartmentFunction, ResponsibilityDuty, Role, UnitKind
from xiaobao.organisation.models import Unit, User

DEMO_PASSWORD = "xiaobao-demo-2026"
INSTITUTION = "锦程银行"

BRANCHES: dict[str, dict[str, Any]] = {
    "杭州分行": {
        "code": "HZ",
        "address": "浙江省杭州市上城区钱江路58号",
        "subs": {
            "西湖支行": ["文三路网点", "黄龙网点", "古荡网点"],
            "滨江支行": ["江南大道网点", "长河网点", "浦沿网点"],
            "萧山支行": ["城厢网点", "北干网点", "瓜沥网点"],
            "余杭支行": ["临平网点", "良渚网点", "未来科技城网点"],
        },
    },
    "南京分行": {
        "code": "NJ",
        "address": "江苏省南京市鼓楼区中山北路101号",
        "subs": {
            "鼓楼支行": ["湖南路网点", "宁海路网点", "热河路网点"],
            "建邺支行": ["奥体网点", "河西万达网点", "南湖网点"],
            "江宁支行": ["东山网点", "百家湖网点"],
        },
    },
    "成都分行": {
        "code": "CD",
        "address": "四川省成都市锦江区红星路三段1号",
        "subs": {
            "锦江支行": ["春熙路网点", "东大街网点", "牛市口网点"],
            "高新支行": ["天府三街网点", "金融城网点", "大源网点"],
            "武侯支行": ["玉林网点", "桐梓林网点"],
        },
    },
}

HQ_DEPARTMENTS = [
    ("XBB", "消费者权益保护部（消保办）", DepartmentFunction.CONSUMER_PROTECTION),
    ("LSJR", "零售金融部", DepartmentFunction.RETAIL),
    ("SXGL", "授信管理部", DepartmentFunction.CREDIT),
    ("XYK", "信用卡部", DepartmentFunction.CREDIT_CARD),
    ("CFGL", "财富管理部", DepartmentFunction.WEALTH),
    ("YYGL", "运营管理部", DepartmentFunction.OPERATIONS),
    ("FLHG", "法律合规部", DepartmentFunction.LEGAL_COMPLIANCE),
    ("SJB", "审计部", DepartmentFunction.AUDIT),
    ("XXKJ", "信息科技部", DepartmentFunction.TECHNOLOGY),
]
BRANCH_DEPARTMENTS = [
    ("XBB", "消费者权益保护办公室", DepartmentFunction.CONSUMER_PROTECTION),
    ("LSJR", "零售金融部", DepartmentFunction.RETAIL),
    ("SXGL", "授信管理部", DepartmentFunction.CREDIT),
    ("YYGL", "运营管理部", DepartmentFunction.OPERATIONS),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "文静",
    "海燕",
    "志强",
    "丹",
    "宁",
    "倩",
]


@dataclass
class DemoLogin:
    username: str
    name: str
    role: str
    unit: str


def _name(i: int) -> str:
    return SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 11 + 3) % len(GIVEN)]


@transaction.atomic
def seed_institution() -> list[DemoLogin]:
    """Build the demo institution once; running it again changes nothing."""
    if Unit.objects.filter(code="JC0001").exists():
        return _logins()
    hq = services.unit_create(
        actor=None,
        code="JC0001",
        name=f"{INSTITUTION}总行",
        kind=UnitKind.HEAD_OFFICE,
        parent=None,
        short_name="总行",
        address="上海市浦东新区世纪大道88号",
        customer_count=5_200_000,
    )
    hq_depts = {
        code: services.department_create(actor=None, unit=hq, code=code, name=name, function=fn)
        for code, name, fn in HQ_DEPARTMENTS
    }
    services.unit_create(
        actor=None,
        code="JC0002",
        name="总行营业部",
        kind=UnitKind.OUTLET,
        parent=hq,
        address="上海市浦东新区世纪大道88号一层",
        customer_count=180_000,
    )
    counter = 0
    plan: list[tuple[str, Unit, str, str | None]] = []  # (username, unit, role, dept code)
    plan += [
        ("admin", hq, Role.SYSADMIN, "XXKJ"),
        ("hq_officer", hq, Role.HQ_CP_OFFICER, "XBB"),
        ("hq_head", hq, Role.UNIT_HEAD, "XBB"),
        ("auditor", hq, Role.AUDITOR, "SJB"),
        ("retail_dept", hq, Role.BUSINESS_DEPT, "LSJR"),
        ("card_dept", hq, Role.BUSINESS_DEPT, "XYK"),
    ]
    for b_index, (b_name, spec) in enumerate(BRANCHES.items(), start=1):
        branch = services.unit_create(
            actor=None,
            code=f"JC{b_index}00",
            name=f"{INSTITUTION}{b_name}",
            kind=UnitKind.BRANCH,
            parent=hq,
            short_name=b_name,
            address=spec["address"],
            customer_count=1_200_000,
        )
        for code, name, fn in BRANCH_DEPARTMENTS:
            services.department_create(actor=None, unit=branch, code=code, name=name, function=fn)
        prefix = spec["code"].lower()
        plan += [
            (f"{prefix}_officer", branch, Role.BRANCH_CP_OFFICER, "XBB"),
            (f"{prefix}_head", branch, Role.UNIT_HEAD, None),
        ]
        for s_index, (s_name, outlets) in enumerate(spec["subs"].items(), start=1):
            sub = services.unit_create(
                actor=None,
                code=f"JC{b_index}{s_index:02d}",
                name=f"{b_name}{s_name}",
                kind=UnitKind.SUB_BRANCH,
                parent=branch,
                short_name=s_name,
                customer_count=200_000 + 10_000 * s_index,
            )
            counter += 1
            plan += [
                (f"{prefix}{s_index}_handler", sub, Role.HANDLER, None),
                (f"{prefix}{s_index}_head", sub, Role.UNIT_HEAD, None),
            ]
            for o_index, o_name in enumerate(outlets, start=1):
                outlet = services.unit_create(
                    actor=None,
                    code=f"JC{b_index}{s_index:02d}{o_index}",
                    name=f"{s_name}{o_name}",
                    kind=UnitKind.OUTLET,
                    parent=sub,
                    customer_count=30_000 + 5_000 * o_index,
                )
                if o_index == 1:
                    plan.append((f"{prefix}{s_index}{o_index}_handler", outlet, Role.HANDLER, None))

    # Last, so that the other demo staff keep their names: approves 60-day extensions.
    plan.append(("hq_senior", hq, Role.HQ_SENIOR_MANAGER, None))
    depts = {d.code: d for d in hq_depts.values()}
    for i, (username, unit, role, dept_code) in enumerate(plan):
        dept = None
        if dept_code:
            dept = (
                depts.get(dept_code)
                if unit.pk == hq.pk
                else unit.departments.filter(code=dept_code).first()
            )
        user = services.user_create(
            actor=None,
            username=username,
            password=None,
            unit=unit,
            roles=[role],
            display_name=_name(i),
            department=dept,
            title=str(Role(role).label),
            is_superuser=(role == Role.SYSADMIN),
            email=f"{username}@demo.xiaobao.local",
        )
        if role in (Role.UNIT_HEAD, Role.BRANCH_CP_OFFICER, Role.HQ_CP_OFFICER):
            duty = {
                Role.UNIT_HEAD: ResponsibilityDuty.COMPLAINT_LEAD,
                Role.BRANCH_CP_OFFICER: ResponsibilityDuty.COMPLAINT_CONTACT,
                Role.HQ_CP_OFFICER: ResponsibilityDuty.CP_LEAD,
            }[Role(role)]
            services.responsible_person_register(
                actor=None,
                unit=unit,
                duty=duty,
                name=user.display_name,
                user=user,
                position=user.title,
                phone=f"0571-8{i:03d}{i:04d}"[:13],
                start_date=date(2025, 1, 1),
            )
    # One slow hash for all demo accounts instead of one per account.
    User.objects.filter(username__in=[p[0] for p in plan]).update(
        password=make_password(DEMO_PASSWORD)
    )
    return _logins()


def _logins() -> list[DemoLogin]:
    from xiaobao.organisation.roles import user_roles

    logins = []
    for user in (
        User.objects.select_related("unit")
        .prefetch_related("groups")
        .order_by("unit__path", "username")
    ):
        roles = user_roles(user)
        logins.append(
            DemoLogin(
                user.username,
                str(user),
                "、".join(str(Role(r).label) for r in sorted(roles)),
                user.unit.name,
            )
        )
    return logins
