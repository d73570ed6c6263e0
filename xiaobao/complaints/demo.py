"""A year of demo complaints in every state, composed by the product's own text generator.

Every case goes through the real lifecycle services, replayed at the moments it happened, so the
registry, the timelines and the deadlines look exactly as a year of real use would leave them.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.complaints import services
from xiaobao.complaints.choices import Kind, Status
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.textgen import ComposedComplaint, compose_complaint, compose_person
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import replay
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.choices import DepartmentFunction, Role, UnitKind
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.roles import group_name

DEMO_CASES = 420
SEED = 20261123
STUCK_MAX_AGE_DAYS = 45

CHANNEL_WEIGHTS = {
    "COUNTER": 30,
    "HOTLINE": 28,
    "WEB_APP": 10,
    "LETTER": 3,
    "EMAIL": 2,
    "OPINION_BOOK": 2,
    "R12345": 12,
    "R12363": 6,
    "R12378": 5,
    "REGULATOR_LETTER": 2,
}
REFERRAL_PREFIX = {
    "R12345": "12345-",
    "R12363": "PBC-",
    "R12378": "NFRA-",
    "REGULATOR_LETTER": "JGZB-",
}
FUNCTION_FOR_CATEGORY = {
    "CARD": DepartmentFunction.CREDIT_CARD,
    "LOAN": DepartmentFunction.CREDIT,
    "WEALTH": DepartmentFunction.WEALTH,
    "AGENCY": DepartmentFunction.WEALTH,
    "INS_MISSELLING": DepartmentFunction.WEALTH,
    "INS_CLAIMS": DepartmentFunction.WEALTH,
    "PERSONAL_INFO": DepartmentFunction.TECHNOLOGY,
}


class _Staff:
    """Who works where, so each case gets plausible handlers and approvers."""

    def __init__(self) -> None:
        self.by_role: dict[str, list[User]] = {}
        for user in User.objects.select_related("unit").prefetch_related("groups"):
            for group in user.groups.all():
                self.by_role.setdefault(group.name, []).append(user)

    def nearest(self, role: str, unit: Unit, *, strict_above: bool = False) -> User | None:
        """The member of `role` whose unit is closest above (or at) `unit`."""
        best: User | None = None
        for user in self.by_role.get(group_name(role), []):
            if not user.unit.contains(unit) or (strict_above and user.unit_id == unit.pk):
                continue
            if best is None or user.unit.depth > best.unit.depth:
                best = user
        return best


def _business_hours(rng: random.Random, day: datetime) -> datetime:
    minute = rng.randint(9 * 60, 17 * 60 + 30)
    local = day.astimezone(TZ)
    return datetime.combine(local.date(), time(minute // 60, minute % 60), tzinfo=TZ)


def _later(rng: random.Random, moment: datetime, days: float) -> datetime:
    return _business_hours(rng, moment + timedelta(days=days))


def _department(composed: ComposedComplaint) -> Department | None:
    function = FUNCTION_FOR_CATEGORY.get(composed.business_category, DepartmentFunction.RETAIL)
    hq_departments = Department.objects.filter(unit__parent__isnull=True)
    return (
        hq_departments.filter(function=function).first()
        or hq_departments.filter(function=DepartmentFunction.OPERATIONS).first()
    )


def _one_case(
    rng: random.Random, staff: _Staff, units: list[Unit], now: datetime, *, decline: bool = False
) -> str:
    person = compose_person(rng)
    composed = compose_complaint(rng, person)  # a phone quoted in the story is the complainant's
    unit = rng.choice(units)
    officer = staff.nearest(Role.BRANCH_CP_OFFICER, unit) or staff.nearest(Role.HQ_CP_OFFICER, unit)
    assert officer is not None, (
        "the demo institution has a consumer-protection officer at head office"
    )
    handler = staff.nearest(Role.HANDLER, unit) or officer
    head = staff.nearest(Role.UNIT_HEAD, unit)
    upper_head = staff.nearest(Role.UNIT_HEAD, unit, strict_above=True)
    registrar = handler if handler.unit.contains(unit) else officer
    received = _business_hours(rng, now - timedelta(days=rng.uniform(0, 365)))
    if received > now:
        received = now - timedelta(minutes=30)
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    referral: dict[str, Any] = {}
    if channel in REFERRAL_PREFIX:
        referral = {
            "external_ref": f"{REFERRAL_PREFIX[channel]}{received:%Y%m%d}-{rng.randint(1000, 9999)}",
            "referrer_received_on": (received - timedelta(days=rng.randint(1, 6)))
            .astimezone(TZ)
            .date(),
        }
    category = composed.business_subcategory or composed.business_category
    with replay(received):
        complaint = services.complaint_register(
            actor=registrar,
            unit=unit,
            received_at=received,
            intake_channel=channel,
            title=composed.title,
            narrative=composed.narrative,
            complainants=[
                services.ComplainantData(
                    name=person.name,
                    id_number=person.id_number,
                    phone=person.phone,
                    address=person.address,
                    email=person.email,
                    card_number=person.card_number if rng.random() < 0.4 else "",
                )
            ],
            demands=list(composed.demands),
            amount=composed.amount,
            business_channel=composed.business_channel,
            business_category=category,
            cause=composed.cause,
            level="COMPLEX" if rng.random() < 0.12 else "NORMAL",
            tags=["ELDERLY"] if person.birth_year < 1961 else [],
            **referral,
        )

    def step(at: datetime) -> bool:
        return at <= now

    # A few are not complaints at all, or withdrawn early.
    roll = 0.0 if decline else rng.random()
    if roll < 0.03 and step(t := _later(rng, received, 1)):
        with replay(t):
            services.complaint_decline(
                actor=officer,
                complaint=complaint,
                ground="not_a_complaint",
                reason="经核实为业务咨询，已当场解答",
                told_by="phone",
            )
        return "declined"
    t = _later(rng, received, rng.choice([0, 0, 1]))
    if t <= received:
        t = received + timedelta(minutes=rng.randint(10, 180))
    if not step(t):
        return "registered"
    with replay(t):
        services.complaint_accept(actor=officer, complaint=complaint, handler=handler)
    if roll < 0.07 and step(t := _later(rng, t, rng.uniform(1, 4))):
        with replay(t):
            services.complaint_withdraw(
                actor=handler,
                complaint=complaint,
                received_at=t,
                note="客户来电表示问题已解决，申请撤诉",
            )
        return "withdrawn"

    # A few recent cases run late (a decent bank has some, days or weeks over, never months),
    # so the overdue views have something to show.
    if 0.07 <= roll < 0.22 and 20 < (now - received).days <= STUCK_MAX_AGE_DAYS:
        return "accepted (overdue)"

    extended = False
    if rng.random() < 0.08 and step(t := _later(rng, t, rng.uniform(1, 3))):
        with replay(t):
            services.complaint_pause(
                actor=handler,
                complaint=complaint,
                reason=rng.choice(["mediation", "appraisal"]),
                told_by="phone",
                note="经客户同意",
            )
        t = _later(rng, t, rng.uniform(2, 8))
        if not step(t):
            return "paused"
        with replay(t):
            services.complaint_resume(actor=handler, complaint=complaint)
    if head is not None and rng.random() < 0.1 and step(t := _later(rng, t, rng.uniform(2, 6))):
        with replay(t):
            extension = services.extension_request(
                actor=handler,
                complaint=complaint,
                target_days=30,
                reason="需调取交易流水并与合作机构核实，情况复杂",
            )
        t2 = t + timedelta(hours=3)
        if step(t2):
            approver = head if head.pk != handler.pk else upper_head
            if approver is not None:
                with replay(t2):
                    services.extension_approve(actor=approver, extension=extension, note="同意延期")
                extended = True

    complaint.refresh_from_db()
    late = rng.random() < 0.05
    budget = complaint.allowed_days - 1 if not late else complaint.allowed_days + rng.randint(1, 4)
    decide_at = _later(
        rng, max(t, received), rng.uniform(2, max(3, budget - 1 if extended else min(budget, 13)))
    )
    if not step(decide_at):
        return "accepted"
    routes = ["review", "mediation", "litigation"]
    with replay(decide_at):
        services.complaint_decide(
            actor=handler,
            complaint=complaint,
            verified_facts="经调阅业务凭证、系统日志及录音录像核实。" + composed.decision_text[:60],
            outcome=composed.outcome,
            basis="《银行业保险业消费投诉处理管理办法》及相关业务合同约定",
            reasons=composed.root_cause,
            routes=routes,
            compensation=composed.compensation,
            text=composed.decision_text,
        )
    notice_at = decide_at + timedelta(hours=rng.uniform(0.5, 30))
    if not step(notice_at):
        return "decided"
    with replay(notice_at):
        services.complaint_notify(
            actor=handler,
            complaint=complaint,
            method=rng.choice(["phone", "phone", "sms", "letter", "in_person"]),
            given_at=notice_at,
            evidence=f"通话录音编号 REC-{notice_at:%Y%m%d}-{rng.randint(100, 999)}",
        )
    if rng.random() < 0.04 and step(t := _later(rng, notice_at, rng.uniform(3, 20))):
        reviewer = staff.nearest(Role.BRANCH_CP_OFFICER, unit.parent or unit) or officer
        with replay(t):
            review = services.review_request(
                actor=reviewer,
                complaint=complaint,
                requested_at=t,
                narrative="客户对处理结果不服，书面申请上级机构核查。",
            )
        return _handle_review(rng, review, reviewer, t, now)
    close_at = _later(rng, notice_at, rng.uniform(1, 4))
    if not step(close_at):
        return "notified"
    rectifications = []
    if composed.product_or_process_at_fault:
        department = _department(composed)
        if department is not None:
            rectifications.append(
                services.RectificationData(
                    department, composed.rectification, (close_at + timedelta(days=60)).date()
                )
            )
    with replay(close_at):
        services.complaint_close(
            actor=handler,
            complaint=complaint,
            root_cause=composed.root_cause,
            at_fault=bool(rectifications),
            rectifications=rectifications,
        )
    follow_at = _later(rng, close_at, rng.uniform(2, 6))
    if rng.random() < 0.7 and step(follow_at):
        with replay(follow_at):
            services.follow_up_record(
                actor=handler,
                complaint=complaint,
                result=rng.choices(
                    ["satisfied", "basically", "unsatisfied", "unreachable"],
                    weights=[60, 25, 10, 5],
                )[0],
                method="phone",
                comments=rng.choice(["对处理结果表示认可", "希望今后加强告知", "", "无其他意见"]),
            )
    return "closed"


def _handle_review(
    rng: random.Random, review: Complaint, reviewer: User, requested: datetime, now: datetime
) -> str:
    """The upper level handles the review on time (30 days, Art. 20): accepted within a day,
    decided in one to three weeks, told the next day and closed."""
    accept_at = _later(rng, requested, rng.uniform(0.1, 1))
    if accept_at > now:
        return "review"
    with replay(accept_at):
        services.complaint_accept(actor=reviewer, complaint=review, handler=reviewer)
    decide_at = _later(rng, accept_at, rng.uniform(5, 20))
    if decide_at > now:
        return "review"
    with replay(decide_at):
        services.complaint_decide(
            actor=reviewer,
            complaint=review,
            verified_facts="复核原处理过程、业务凭证及录音录像，原处理决定认定事实清楚。",
            outcome=rng.choices(["not_upheld", "partly_upheld"], weights=[4, 1])[0],
            basis="《银行业保险业消费投诉处理管理办法》第二十条",
            reasons="原处理决定依据充分，程序合规。",
            routes=["mediation", "arbitration", "litigation"],
        )
    notice_at = decide_at + timedelta(hours=rng.uniform(2, 24))
    if notice_at > now:
        return "review"
    with replay(notice_at):
        services.complaint_notify(
            actor=reviewer,
            complaint=review,
            method="letter",
            given_at=notice_at,
            evidence=f"核查决定书挂号信 XB{notice_at:%Y%m%d}{rng.randint(1000, 9999)}",
        )
    close_at = _later(rng, notice_at, rng.uniform(1, 3))
    if close_at > now:
        return "review"
    with replay(close_at):
        services.complaint_close(
            actor=reviewer,
            complaint=review,
            root_cause="原处理决定适当，客户对结果仍有异议，已告知其他救济途径。",
            at_fault=False,
        )
    return "review closed"


def _group_case(staff: _Staff, now: datetime) -> None:
    unit = Unit.objects.filter(kind=UnitKind.SUB_BRANCH).order_by("path").first()
    assert unit is not None
    officer = staff.nearest(Role.BRANCH_CP_OFFICER, unit)
    rng = random.Random(SEED + 1)
    received = _business_hours(rng, now - timedelta(days=6))
    people = [compose_person(rng) for _ in range(5)]
    with replay(received):
        services.complaint_register(
            actor=officer,  # type: ignore[arg-type]
            unit=unit,
            received_at=received,
            intake_channel="COUNTER",
            title="代销理财产品到期未兑付，多名客户集体投诉",
            narrative="26名购买同一款代销私募产品的客户推选5名代表到网点反映，产品到期未能兑付，"
            "认为销售时未充分揭示风险，要求说明情况并返还本金。",
            complainants=[
                services.ComplainantData(
                    name=p.name, id_number=p.id_number, phone=p.phone, is_representative=True
                )
                for p in people
            ],
            group_size=26,
            demands=["EXPLANATION", "COMPENSATION"],
            amount=Decimal("7800000.00"),
            business_channel="COUNTER",
            business_category="AGENCY_FUND",
            cause="DISCLOSURE",
            tags=["MEDIA"],
        )


def _fresh_case(
    rng: random.Random, staff: _Staff, units: list[Unit], now: datetime, *, accept: bool = True
) -> Complaint:
    """A case received in the last few days (and accepted): still open, within its deadline."""
    unit = rng.choice(units)
    officer = staff.nearest(Role.BRANCH_CP_OFFICER, unit) or staff.nearest(Role.HQ_CP_OFFICER, unit)
    assert officer is not None
    handler = staff.nearest(Role.HANDLER, unit) or officer
    person = compose_person(rng)
    composed = compose_complaint(rng, person)
    received = _business_hours(rng, now - timedelta(days=rng.uniform(2, 5)))
    with replay(received):
        complaint = services.complaint_register(
            actor=officer,
            unit=unit,
            received_at=received,
            intake_channel="HOTLINE",
            title=composed.title,
            narrative=composed.narrative,
            complainants=[
                services.ComplainantData(
                    name=person.name, phone=person.phone, id_number=person.id_number
                )
            ],
            business_channel=composed.business_channel,
            business_category=composed.business_subcategory or composed.business_category,
            cause=composed.cause,
            demands=list(composed.demands),
            amount=composed.amount,
        )
    if not accept:
        return complaint
    with replay(received + timedelta(hours=1)):
        return services.complaint_accept(actor=officer, complaint=complaint, handler=handler)


def _pauses_and_merges(staff: _Staff, units: list[Unit], now: datetime) -> dict[str, int]:
    """A few cases paused right now, and repeat filings merged into the case they repeat."""
    rng = random.Random(SEED + 2)
    open_cases = list(
        # Complaints only: a repeat filing is never merged into a review case (核查).
        Complaint.objects.filter(status="accepted", due_at__gt=now, kind=Kind.COMPLAINT).order_by(
            "-received_at"
        )[:6]
    )
    while len(open_cases) < 6:
        open_cases.append(_fresh_case(rng, staff, units, now))
    counts = {"paused": 0, "merged": 0}
    for complaint in open_cases[:3]:
        assert complaint.handler is not None
        with replay(now - timedelta(hours=rng.randint(2, 30))):
            services.complaint_pause(
                actor=complaint.handler,
                complaint=complaint,
                reason=rng.choice(["mediation", "appraisal", "valuation"]),
                told_by="phone",
                note="已告知客户中止计时原因",
            )
        counts["paused"] += 1
    for target in open_cases[3:6]:
        assert target.handler is not None
        first = target.complainants.first()
        assert first is not None
        received = max(target.received_at, now - timedelta(days=2)) + timedelta(hours=1)
        if received > now:
            continue
        with replay(received):
            repeat = services.complaint_register(
                actor=target.handler,
                unit=target.unit,
                received_at=received,
                intake_channel="R12345",
                external_ref=f"12345-{received:%Y%m%d}-{rng.randint(1000, 9999)}",
                referrer_received_on=received.astimezone(TZ).date(),
                title=target.title,
                narrative="市民通过12345热线反映同一事项：" + target.narrative[:120],
                complainants=[
                    services.ComplainantData(
                        name=first.name, phone=first.phone, id_number=first.id_number
                    )
                ],
                business_channel=target.business_channel,
                business_category=target.business_category,
                cause=target.cause,
            )
            services.complaint_merge(
                actor=target.handler,
                complaint=repeat,
                into=target,
                note="同一投诉人就同一事项经12345重复反映，合并办理",
            )
        counts["merged"] += 1
    # A case just registered, one waiting for its notice and already answered but not yet closed.
    for state in ("decided", "notified"):
        complaint = _fresh_case(rng, staff, units, now)
        assert complaint.handler is not None
        decided_at = complaint.received_at + timedelta(days=1)
        with replay(decided_at):
            services.complaint_decide(
                actor=complaint.handler,
                complaint=complaint,
                verified_facts="已调阅业务凭证核实。",
                outcome="not_upheld",
                basis="相关业务合同约定",
                reasons="收费符合合同约定且已事先告知。",
                routes=["review", "mediation", "litigation"],
            )
        if state == "notified":
            with replay(decided_at + timedelta(hours=2)):
                services.complaint_notify(
                    actor=complaint.handler,
                    complaint=complaint,
                    method="phone",
                    given_at=decided_at + timedelta(hours=2),
                    evidence="通话录音编号 REC-DEMO-1",
                )
        counts[state] = counts.get(state, 0) + 1
    _fresh_case(rng, staff, units, now, accept=False)
    counts["registered"] = counts.get("registered", 0) + 1
    return counts


STATE_LABELS = {
    "accepted (overdue)": "处理中（已超期）",
    "review": "核查办理中",
    "review closed": "核查已办结",
    "paused": "中止计时",
    "merged": "已合并",
}


def state_label(state: str) -> str:
    """The Chinese label of a demo outcome: a status's own label, or the few demo-only ones."""
    from django.utils import translation

    if state.startswith("skipped: "):
        return f"跳过（{state.removeprefix('skipped: ')}）"
    if state in STATE_LABELS:
        return STATE_LABELS[state]
    with translation.override("zh-hans"):
        return str(Status(state).label) if state in Status.values else state


def seed_demo(*, stdout: Any) -> None:
    if Complaint.objects.exists():
        stdout.write("投诉演示数据已存在，跳过。")
        return
    rng = random.Random(SEED)
    staff = _Staff()
    units = list(
        Unit.objects.filter(kind__in=[UnitKind.OUTLET, UnitKind.SUB_BRANCH]).order_by("path")
    )
    now = timezone.now()
    counts: dict[str, int] = {}
    from django.conf import settings

    with transaction.atomic():
        for i in range(getattr(settings, "XIAOBAO_DEMO_CASES", DEMO_CASES)):
            try:
                # Every 50th filing is an enquiry, not a complaint: declined with notice.
                state = _one_case(rng, staff, units, now, decline=i % 50 == 7)
            except DomainError as exc:  # a generated story the rules refuse is skipped, visibly
                state = f"skipped: {exc.message}"
            counts[state] = counts.get(state, 0) + 1
        _group_case(staff, now)
        for state, n in _pauses_and_merges(staff, units, now).items():
            counts[state] = counts.get(state, 0) + n
    summary = "，".join(f"{state_label(k)} {v} 件" for k, v in sorted(counts.items()))
    stdout.write(
        f"已生成近一年演示投诉（{summary}，另有群体性投诉 1 件；中止计时与合并为已有投诉上的操作）。"
    )
