"""Demo data of the partner list at 锦程银行: a dozen partners in every status, replayed at the
time things happened — admissions, licences (one expired, one expiring), agreements (one signed
without every clause), evaluations drawing on complaints linked in the registry, a partner under
observation, one suspended, one exit in progress and one completed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.partners import services
from xiaobao.partners.choices import Clause, Criterion, ExitStep
from xiaobao.partners.creditcode import check_character
from xiaobao.partners.models import Partner

ALL_MET = {c: True for c in Criterion.values}
ALL_CLAUSES = list(Clause.values)

# name, type, department, allowed branch codes, business lines, story
PARTNERS: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], str]] = [
    (
        "杭州快贷信息科技有限公司",
        "loan_assist",
        "LSJR",
        ("JC100", "JC200"),
        ("个人消费贷款获客",),
        "good",
    ),
    ("南京信融融资担保有限公司", "guarantee", "SXGL", ("JC200",), ("小微企业贷款担保",), "legacy"),
    ("成都安收资产管理有限公司", "collection", "XYK", ("JC300",), ("信用卡逾期催收",), "watch"),
    ("上海云帆营销策划有限公司", "marketing", "XYK", ("JC100",), ("信用卡外拓营销",), "suspended"),
    ("锦程数科信息技术有限公司", "it", "XXKJ", (), ("手机银行运维",), "expiring"),
    ("安泰保险经纪有限公司", "agency", "CFGL", ("JC100", "JC300"), ("代理保险销售",), "expired"),
    ("智信数据服务有限公司", "data", "SXGL", (), ("反欺诈数据",), "proposed"),
    ("恒印文化传播有限公司", "printing", "XBB", (), ("宣传资料印制",), "rejected"),
    (
        "明察市场调查有限公司",
        "mystery",
        "XBB",
        ("JC100", "JC200", "JC300"),
        ("神秘客暗访",),
        "good",
    ),
    ("优选生活网络平台有限公司", "internet_platform", "LSJR", ("JC100",), ("联合营销",), "exiting"),
    ("速收商务咨询有限公司", "collection", "XYK", ("JC200",), ("信用卡逾期催收",), "exited"),
    (
        "聚财网络科技有限公司",
        "internet_platform",
        "LSJR",
        ("JC200", "JC300"),
        ("互联网贷款",),
        "new",
    ),
]


def _code(n: int) -> str:
    first17 = f"91{310000 + 1000 * (n % 9):06d}MA{n:07d}"[:17]
    return first17 + check_character(first17)


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = f"%PDF-1.4\n% {text}\ntrailer<<>>\n%%EOF\n".encode()
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


class _Seeder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.officer = User.objects.get(username="hq_officer")
        self.hq = self.officer.unit
        self.rng = random.Random(23)
        self.serial = 100
        from xiaobao.complaints.models import Complaint

        self.complaints = list(
            Complaint.objects.filter(unit__path__startswith=self.hq.path)
            .exclude(status="merged")
            .select_related("unit")
            .order_by("received_at", "pk")
        )

    def partner(self, n: int, row: tuple[Any, ...], since: date) -> Partner:
        name, kind, dept, allowed, lines, _story = row
        with replay(_at(since)):
            return services.partner_create(
                actor=self.officer,
                data=services.PartnerData(
                    name=name,
                    credit_code=_code(n),
                    type=kind,
                    unit=self.hq,
                    business_lines=list(lines),
                    department=Department.objects.filter(unit=self.hq, code=dept).first(),
                    allowed_units=list(Unit.objects.filter(code__in=allowed)),
                ),
            )

    def admit(self, partner: Partner, day: date) -> None:
        with replay(_at(day, 15)):
            services.licence_add(
                actor=self.officer,
                partner=partner,
                name="营业执照",
                number=partner.credit_code,
                issuer="市场监督管理局",
            )
            services.admission_decide(
                actor=self.officer,
                partner=partner,
                criteria=ALL_MET,
                cp_opinion="七项准入条件均满足；合作方案已纳入消保审查，投诉处理机制健全。",
                decision="approved",
            )

    def agreement(
        self,
        partner: Partner,
        day: date,
        clauses: list[str],
        reason: str = "",
        *,
        reviewed: bool = False,
        sign: bool = True,
    ) -> Any:
        """An agreement; `reviewed` puts it through consumer-protection pre-review first."""
        from xiaobao.products import services as products

        self.serial += 1
        with replay(_at(day, 16)):
            agreement = services.agreement_create(
                actor=self.officer,
                partner=partner,
                data=services.AgreementData(
                    number=f"JCHZ-{day.year}-{self.serial:03d}",
                    title=f"{partner.get_type_display()}合作协议",
                    starts_on=day,
                    ends_on=day + timedelta(days=3 * 365),
                    clauses=clauses,
                    data_scope="仅限客户姓名、手机号及合作业务所需的账户信息，不得留存或转用。"
                    if Clause.DATA_SCOPE in clauses
                    else "",
                ),
            )
        if reviewed:
            with replay(_at(day, 17)):
                review = services.agreement_submit_review(actor=self.officer, agreement=agreement)
            if not sign:
                return agreement
            with replay(_at(day + timedelta(days=3), 11)):
                products.review_conclude(actor=self.officer, review=review, conclusion="passed")
        if not sign:
            return agreement
        with replay(_at(day + timedelta(days=4), 10)):
            return services.agreement_sign(
                actor=self.officer, agreement=agreement, exception_reason=reason
            )

    def link(self, partner: Partner, n: int, role: str) -> None:
        """Link `n` of the registry's cases, mostly from the units allowed to use the partner,
        a couple of days after each was received (as a handler would)."""
        allowed = [u.path for u in partner.allowed_units.all()]
        inside = [c for c in self.complaints if any(c.unit.path.startswith(p) for p in allowed)]
        pool = inside if len(inside) >= n else self.complaints
        now = clock_now()
        for complaint in self.rng.sample(pool, min(n, len(pool))):
            with replay(min(complaint.received_at + timedelta(days=2), now)):
                services.complaint_link(
                    actor=self.officer,
                    partner=partner,
                    complaint=complaint,
                    role=role,
                    note="客户反映经合作机构办理",
                )

    def evaluate(self, partner: Partner, result: str, note: str = "", **figures: Any) -> None:
        last = self.today - timedelta(days=20)
        first = last - timedelta(days=364)
        with replay(_at(last + timedelta(days=5))):
            evaluation = services.evaluation_create(
                actor=self.officer,
                partner=partner,
                data=services.EvaluationData(
                    period_start=first,
                    period_end=last,
                    customers_served=figures.pop("customers", 20000),
                    **figures,
                ),
            )
            services.evaluation_conclude(
                actor=self.officer, evaluation=evaluation, result=result, note=note
            )

    def run(self) -> None:
        t = self.today
        admitted = t - timedelta(days=420)
        for n, row in enumerate(PARTNERS, start=1):
            story = row[-1]
            since = (
                admitted - timedelta(days=30 * (n % 4))
                if story != "new"
                else t - timedelta(days=75)
            )
            partner = self.partner(n, row, since)
            if story in ("proposed", "rejected"):
                if story == "rejected":
                    with replay(_at(t - timedelta(days=40))):
                        services.admission_decide(
                            actor=self.officer,
                            partner=partner,
                            criteria=ALL_MET | {"clean_record": False},
                            cp_opinion="近三年受到监管处罚，不符合准入条件。",
                            decision="rejected",
                            reason="近三年有虚假宣传行政处罚记录",
                        )
                continue
            self.admit(partner, since + timedelta(days=20))
            clauses = ALL_CLAUSES
            reason = ""
            if story == "legacy":
                clauses = [
                    c for c in ALL_CLAUSES if c not in ("no_violent_collection", "audit_rights")
                ]
                reason = "存量协议续签，补充条款正在与对方协商，三个月内签订补充协议"
            self.agreement(
                partner, since + timedelta(days=25), clauses, reason, reviewed=story == "good"
            )
            if n == 1:
                # The renewal is with the consumer-protection reviewers now.
                self.agreement(
                    partner, t - timedelta(days=6), ALL_CLAUSES, reviewed=True, sign=False
                )
            if story == "expiring":
                services.licence_add(
                    actor=self.officer,
                    partner=partner,
                    name="信息系统安全等级保护备案证明",
                    expires_on=t + timedelta(days=35),
                )
            if story == "expired":
                services.licence_add(
                    actor=self.officer,
                    partner=partner,
                    name="保险经纪业务许可证",
                    number="260833000000800",
                    issuer="国家金融监督管理总局",
                    expires_on=t - timedelta(days=12),
                )
            if story == "good":
                self.link(partner, 3, "seller" if partner.type == "loan_assist" else "servicer")
                self.evaluate(
                    partner, "continue", "合作规范，投诉处理配合及时。", inspection_score=92
                )
            elif story == "legacy":
                self.link(partner, 1, "servicer")
                self.evaluate(partner, "continue", "需尽快补签消保条款。", inspection_score=85)
            elif story == "watch":
                self.link(partner, 6, "collector")
                self.evaluate(
                    partner,
                    "rectify",
                    "催收投诉集中，存在夜间频繁致电第三人情形，限期三个月整改。",
                    cooperation_timely=False,
                    contract_breaches=2,
                    customers=8000,
                )
            elif story == "suspended":
                self.link(partner, 2, "seller")
                with replay(_at(t - timedelta(days=30))):
                    services.partner_transition(
                        actor=self.officer,
                        partner=partner,
                        to="suspended",
                        reason="检查发现其业务人员在网点内营销信用卡分期，暂停合作待调查。",
                    )
            elif story in ("exiting", "exited"):
                self.link(partner, 2, "seller")
                self.exit(partner, done=story == "exited")
            elif story == "expired" or story == "expiring":
                self.evaluate(partner, "continue", "合作正常。", inspection_score=88)

    def exit(self, partner: Partner, *, done: bool) -> None:
        start = self.today - timedelta(days=200 if done else 25)
        with replay(_at(start)):
            exit = services.exit_start(
                actor=self.officer,
                partner=partner,
                reason="合作协议到期不再续约" if done else "评价不合格：客户信息使用超出约定范围",
                planned_on=start + timedelta(days=60),
            )
        steps = list(ExitStep.values) if done else [ExitStep.CUSTOMERS, ExitStep.ACCESS]
        for i, step in enumerate(steps, start=1):
            with replay(_at(start + timedelta(days=7 * i))):
                services.exit_confirm(
                    actor=self.officer,
                    exit=exit,
                    step=step,
                    note={
                        "customers": "存量客户已转由本行直接服务，并逐户告知。",
                        "data": "对方已出具客户数据销毁证明，本行科技部门现场见证。",
                        "access": "对方系统接口与账号已全部停用。",
                    }[step],
                    evidence=[_pdf(f"{step}.pdf", f"{partner.credit_code} {step}")],
                )
        if done:
            with replay(_at(start + timedelta(days=30))):
                services.exit_complete(actor=self.officer, exit=exit)


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    if Partner.objects.exists():
        stdout.write("合作机构演示数据已存在，跳过。")
        return
    if not User.objects.filter(username="hq_officer").exists():
        return
    _Seeder(clock_now().astimezone(TZ).date()).run()
    stdout.write("已生成合作机构演示数据：各状态合作机构、协议、评价、一家退出中。")
