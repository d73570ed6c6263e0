"""Demo data of pre-review and suitability at 锦程银行: a year of reviews and sales.

Reviews of every object type over the past year, replayed when they happened: most launched on
time with the approved version, opinions adopted, partly adopted and rejected; one rejected
mandatory opinion upheld by the 分管行领导, one still waiting for the decision, one launch whose
file differs from the approved version, one review not passed, one withdrawn, one overdue.
The product register with issuer/seller grades (one conflict resolved upward, one re-grading
that owes holders new advice), and a year of suitability checks at the outlets with a few honest
mismatches. Adds two logins: `product_reviewer` (消保审查员) and `wealth_pm` (财富管理部产品经理).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation import services as org_services
from xiaobao.organisation.choices import Role
from xiaobao.organisation.demo import DEMO_PASSWORD
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.products import services
from xiaobao.products.choices import ObjectType, ProductStatus
from xiaobao.products.models import Product, Review, ReviewRoute

PRODUCTS = [
    # code, name, kind, issuer, issuer grade, seller grade, target class
    ("JCLC2601", "锦程稳享90天理财", "wealth", "锦程理财有限责任公司", "R2", "R2", "C2"),
    ("JCLC2602", "锦程睿选一年期理财", "wealth", "锦程理财有限责任公司", "R2", "R3", "C3"),
    ("JCJJ2601", "华泰柏瑞沪深300ETF联接", "fund", "华泰柏瑞基金管理有限公司", "R3", "R3", "C3"),
    ("JCJJ2602", "易方达科技创新混合", "fund", "易方达基金管理有限公司", "R4", "R4", "C4"),
    ("JCJJ2603", "景顺长城新兴成长混合", "fund", "景顺长城基金管理有限公司", "R3", "R4", "C4"),
    (
        "JCBX2601",
        "平安福满分两全保险（分红型）",
        "insurance",
        "中国平安人寿保险股份有限公司",
        "R2",
        "R2",
        "C2",
    ),
    ("JCCK2601", "锦程挂钩黄金结构性存款", "structured_deposit", "锦程银行", "R2", "R2", "C2"),
    ("JCGJS2601", "锦程积存金", "precious_metal", "锦程银行", "R4", "R4", "C4"),
    ("JCXT2601", "中信信托·稳健1号集合资金信托", "trust", "中信信托有限责任公司", "R4", "R5", "C5"),
]

# (object type, title, product code or None, outcome); outcomes are described in `_Seeder.run`.
REVIEWS = [
    ("new_product", "锦程稳享90天理财产品说明书及风险揭示书", "JCLC2601", "launched"),
    ("new_product", "锦程睿选一年期理财销售文件", "JCLC2602", "launched_partly"),
    ("new_product", "沪深300ETF联接基金代销上线", "JCJJ2601", "launched"),
    ("new_product", "易方达科技创新混合代销上线", "JCJJ2602", "upheld"),
    ("new_product", "景顺长城新兴成长混合代销上线", "JCJJ2603", "launched"),
    ("new_product", "平安福满分两全保险代理销售", "JCBX2601", "launched"),
    ("new_product", "挂钩黄金结构性存款产品说明书", "JCCK2601", "mismatch"),
    ("new_product", "积存金业务上线", "JCGJS2601", "launched"),
    ("new_product", "稳健1号集合资金信托代销", "JCXT2601", "not_passed"),
    ("term_change", "信用卡分期手续费计算规则调整", None, "launched_partly"),
    ("term_change", "个人住房贷款提前还款条款修订", None, "launched"),
    ("contract_template", "个人消费贷款合同（2026版）", None, "waived"),
    ("contract_template", "借记卡领用合约修订", None, "launched"),
    ("fee", "跨行转账手续费减免调整", None, "launched"),
    ("fee", "账户管理费收费标准", None, "escalated"),
    ("marketing", "微信公众号“年末理财季”推文", None, "launched_partly"),
    ("marketing", "合作渠道（某支付平台）基金营销文案", None, "launched"),
    ("marketing", "网点海报“稳稳的幸福”", None, "opinions"),
    ("rule", "个人客户风险承受能力评估管理办法（修订）", None, "launched"),
    ("process", "老年客户大额转账二次确认流程", None, "launched"),
    ("partner_agreement", "与某保险经纪公司合作协议", None, "launched"),
    ("education", "“金融知识进万家”宣传折页", None, "launched"),
    ("marketing", "手机银行开屏广告（新客理财）", None, "withdrawn"),
    ("fee", "短信通知服务费调整", None, "answered"),
    ("new_product", "养老理财产品（拟）", None, "submitted"),
]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class _Seeder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.rng = random.Random(23)
        self.hq = Unit.objects.get(code="JC0001")
        self.officer = User.objects.get(username="hq_officer")
        self.leader = User.objects.get(username="hq_senior")
        self.retail = User.objects.get(username="retail_dept")
        self.card = User.objects.get(username="card_dept")
        self.reviewer = self._user("product_reviewer", Role.PRODUCT_REVIEWER, "XBB", "孙审")
        self.wealth_pm = self._user("wealth_pm", Role.BUSINESS_DEPT, "CFGL", "钱理")

    def _user(self, username: str, role: str, dept: str, name: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = org_services.user_create(
                actor=None,
                username=username,
                password=None,
                unit=self.hq,
                roles=[role],
                display_name=name,
                department=Department.objects.filter(unit=self.hq, code=dept).first(),
                title=str(Role(role).label),
                email=f"{username}@demo.xiaobao.local",
            )
            User.objects.filter(pk=user.pk).update(password=make_password(DEMO_PASSWORD))
        return user

    def routes(self) -> None:
        for t in ObjectType:
            reviewer = self.officer if t in ("marketing", "education", "process") else self.reviewer
            ReviewRoute.objects.get_or_create(object_type=t, defaults={"reviewer": reviewer})

    def products(self) -> dict[str, Product]:
        start = self.today - timedelta(days=380)
        out = {}
        with replay(_at(start, 10)):
            for code, name, kind, issuer, ig, sg, target in PRODUCTS:
                out[code] = services.product_register(
                    actor=self.officer,
                    data=services.ProductData(
                        code=code,
                        name=name,
                        kind=kind,
                        issuer=issuer,
                        issuer_grade=ig,
                        seller_grade=sg,
                        target_class=target,
                        owner_department=Department.objects.filter(
                            unit=self.hq, code="CFGL"
                        ).first(),
                    ),
                    at=_at(start, 10),
                )
        return out

    def manager_for(self, object_type: str) -> User:
        if object_type in ("new_product",):
            return self.wealth_pm
        return self.card if object_type == "fee" else self.retail

    def run_review(
        self, index: int, spec: tuple[str, str, str | None, str], products: dict[str, Product]
    ) -> None:
        object_type, title, code, outcome = spec
        # Spread over the past year, the open ones recent.
        recent = outcome in ("opinions", "escalated", "answered", "submitted")
        back = 6 + index % 4 if recent else 360 - index * 13
        day = _working_day(self.today - timedelta(days=back))
        if outcome == "submitted":
            day = _working_day(self.today - timedelta(days=12))  # overdue by now
        manager = self.manager_for(object_type)
        doc = f"{title} v1"
        with replay(_at(day, 9)):
            review = services.review_submit(
                actor=manager,
                object_type=object_type,
                title=title,
                unit=self.hq,
                product=products.get(code) if code else None,
                planned_launch=day + timedelta(days=30),
                documents=[{"name": f"{title}.pdf", "sha256": sha(doc)}],
                self_check={
                    "disclosure": "yes",
                    "risk_warning": "yes",
                    "fee_transparency": "yes",
                    "fair_terms": "yes",
                    "forbidden_words": "no" if outcome in ("upheld", "escalated") else "yes",
                    "complaint_channel": "yes",
                    "elderly_friendly": "na" if object_type in ("rule",) else "yes",
                },
            )
        if outcome == "submitted":
            return
        if outcome == "withdrawn":
            with replay(_at(day + timedelta(days=1), 15)):
                services.review_withdraw(actor=manager, review=review, reason="营销方案取消")
            return
        reviewer = review.reviewer or self.reviewer
        opinions = []
        with replay(_at(day + timedelta(days=2), 11)):
            if outcome != "launched" or index % 3 == 0:
                opinions.append(
                    services.opinion_issue(
                        actor=reviewer,
                        review=review,
                        location="第二部分 风险揭示",
                        issue="风险揭示未以醒目方式置于首页，字号小于正文",
                        basis="《银行保险机构消费者权益保护管理办法》第十一条",
                        kind="mandatory",
                        severity="high",
                    )
                )
            opinions.append(
                services.opinion_issue(
                    actor=reviewer,
                    review=review,
                    location="第三部分 费用说明",
                    issue="建议以表格列示各项费用及计算示例",
                    basis="收费透明要求",
                    kind="advisory",
                    severity="low",
                )
            )
            if outcome in ("upheld", "escalated"):
                opinions.append(
                    services.opinion_issue(
                        actor=reviewer,
                        review=review,
                        location="宣传要点第1条",
                        issue="使用“稳赚不赔”“保本”等禁用表述",
                        basis="《银行保险机构消费者权益保护管理办法》第十二条",
                        kind="mandatory",
                        severity="high",
                    )
                )
        if outcome == "opinions":
            return
        answer_day = day + timedelta(days=4)
        with replay(_at(answer_day, 10)):
            for o in opinions:
                if o.kind == "mandatory" and (
                    outcome in ("waived",)
                    or (outcome in ("upheld", "escalated") and "禁用" in o.issue)
                ):
                    services.opinion_answer(
                        actor=manager,
                        opinion=o,
                        response="not_adopted",
                        reason="同业普遍采用该表述，修改影响上线进度",
                        approver=manager,
                    )
                elif o.kind == "advisory" and outcome in ("launched_partly", "waived"):
                    services.opinion_answer(
                        actor=manager,
                        opinion=o,
                        response="partly",
                        reason="费用表格已补充，计算示例后续版本补充",
                    )
                elif o.kind == "advisory" and outcome == "answered":
                    services.opinion_answer(
                        actor=manager,
                        opinion=o,
                        response="not_adopted",
                        reason="短信服务费仅一项，无需表格",
                        approver=manager,
                    )
                else:
                    services.opinion_answer(actor=manager, opinion=o, response="adopted")
        if outcome in ("escalated", "answered"):
            return
        escalated = list(review.opinions.filter(escalated=True, decision=""))
        for o in escalated:
            with replay(_at(answer_day + timedelta(days=1), 16)):
                if outcome == "upheld":
                    services.opinion_decide(
                        actor=self.leader, opinion=o, decision="upheld", note="禁用表述必须删除"
                    )
                else:
                    services.opinion_decide(
                        actor=self.leader,
                        opinion=o,
                        decision="waived",
                        note="条款已有其他提示，风险可控",
                    )
            if outcome == "upheld":
                with replay(_at(answer_day + timedelta(days=2), 10)):
                    services.opinion_answer(actor=manager, opinion=o, response="adopted")
        final = f"{title} v2"
        with replay(_at(answer_day + timedelta(days=1), 9)):
            services.review_add_document(
                actor=manager,
                review=review,
                document={"name": f"{title}（修订稿）.pdf", "sha256": sha(final)},
            )
        conclude_day = answer_day + timedelta(days=3 if index % 5 else 8)  # a few late
        conclusion = {"not_passed": "not_passed", "launched": "passed"}.get(
            outcome, "passed_with_changes"
        )
        with replay(_at(conclude_day, 15)):
            services.review_conclude(
                actor=reviewer,
                review=review,
                conclusion=conclusion,
                note=""
                if conclusion == "passed"
                else (
                    "产品结构复杂、风险等级与目标客群不匹配"
                    if conclusion == "not_passed"
                    else "已按审查意见修改"
                ),
            )
        if conclusion == "not_passed":
            return
        launch_day = conclude_day + timedelta(days=7)
        with replay(_at(launch_day, 10)):
            if outcome == "mismatch":
                services.review_register_launch(
                    actor=manager,
                    review=review,
                    launched_on=launch_day,
                    sha256=sha(f"{title} v2（上线前又改）"),
                )
                return
            services.review_register_launch(
                actor=manager, review=review, launched_on=launch_day, sha256=sha(final)
            )

    def suitability(self, products: dict[str, Product]) -> None:
        outlets = list(
            Unit.objects.filter(kind="outlet", code__startswith="JC")
            .exclude(code="JC0002")
            .order_by("code")
        )
        sellers = {u.unit_id: u for u in User.objects.filter(unit__in=outlets, is_active=True)}
        on_sale = [p for p in Product.objects.filter(status=ProductStatus.ON_SALE).order_by("code")]
        if not on_sale:
            return
        rng = self.rng
        classes = ["C1", "C2", "C2", "C3", "C3", "C3", "C4", "C4", "C5"]
        for n in range(70):
            outlet = outlets[n % len(outlets)]
            seller = sellers.get(outlet.pk) or User.objects.get(username="hq_officer")
            actor = seller if seller.unit_id == outlet.pk else self.officer
            customer = f"3301061960{n:02d}0101{n % 10}X"[:18]
            cls = rng.choice(classes)
            band = "65_plus" if n % 9 == 0 else rng.choice(["under_40", "40_59", "40_59", "60_64"])
            assessed = self.today - timedelta(days=rng.randrange(20, 330))
            if n % 23 == 5:
                assessed = self.today - timedelta(days=400)  # expired: a sale on it is blocked
            with replay(_at(assessed, 10)):
                services.profile_record(
                    actor=actor,
                    customer_id=customer,
                    risk_class=cls,
                    questionnaire_version="2025版",
                    unit=outlet,
                    age_band=band,
                    assessed_at=_at(assessed, 10),
                )
                if n % 31 == 7:  # re-tested twice the same day until the class went up
                    for k, c in ((1, cls), (2, "C4")):
                        services.profile_record(
                            actor=actor,
                            customer_id=customer,
                            risk_class=c,
                            questionnaire_version="2025版",
                            unit=outlet,
                            age_band=band,
                            assessed_at=_at(assessed, 10) + timedelta(minutes=10 * k),
                        )
            for k in range(rng.randrange(1, 5)):
                fitting = [
                    p for p in on_sale if int(p.effective_grade[1]) <= int(cls[1])
                ] or on_sale
                product = rng.choice(on_sale if rng.random() < 0.08 else fitting)
                sold = assessed + timedelta(days=3 + k * rng.randrange(5, 40))
                if sold >= self.today or (product.launched_on and sold < product.launched_on):
                    continue
                with replay(_at(sold, 14)):
                    services.sale_check(
                        actor=actor,
                        product=product,
                        customer_id=customer,
                        unit=outlet,
                        seller=seller if seller.unit_id == outlet.pk else None,
                        seller_qualification=f"AMAC{outlet.code}",
                        dual_recording_ref=""
                        if rng.random() < 0.03
                        else f"SL{sold:%Y%m%d}{n:03d}{k}",
                        at=_at(sold, 14),
                    )

    def regrade(self, products: dict[str, Product]) -> None:
        product = products["JCJJ2601"]
        day = self.today - timedelta(days=20)
        with replay(_at(day, 11)):
            services.product_regrade(
                actor=self.officer,
                product=product,
                issuer_grade="R4",
                seller_grade="R3",
                reason="基金管理人上调风险等级（持仓集中度提高）",
                at=_at(day, 11),
            )

    def complaints(self, products: dict[str, Product]) -> None:
        from xiaobao.complaints.models import Complaint

        launched = products["JCLC2601"]
        if launched.launched_on is None:
            return
        for complaint in Complaint.objects.filter(
            received_at__date__gte=launched.launched_on
        ).order_by("received_at")[:3]:
            services.product_link_complaint(
                actor=self.officer, product=launched, complaint=complaint
            )


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    if Review.objects.exists():
        stdout.write("消保审查演示数据已存在，跳过。")
        return
    if (
        not User.objects.filter(username="hq_officer").exists()
        or not Unit.objects.filter(code="JC0001").exists()
    ):
        return
    today = clock_now().astimezone(TZ).date()
    seeder = _Seeder(today)
    seeder.routes()
    products = seeder.products()
    for index, spec in enumerate(REVIEWS):
        seeder.run_review(index, spec, products)
    for p in products.values():
        p.refresh_from_db()
    seeder.suitability(products)
    seeder.regrade(products)
    seeder.complaints(products)
    stdout.write(
        f"已生成消保审查与适当性演示数据：{Review.objects.count()}件审查、"
        f"{Product.objects.count()}个产品及适当性校验。"
    )
