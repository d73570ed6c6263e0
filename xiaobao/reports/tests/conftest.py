"""A factory that builds cases through the real lifecycle services, and a hand-counted quarter."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.conftest import at, person
from xiaobao.organisation.choices import DepartmentFunction
from xiaobao.organisation.models import Unit
from xiaobao.organisation.services import department_create
from xiaobao.privacy.redaction import id_check_char

MINUTE = timedelta(minutes=1)


def resident_id(serial: int) -> str:
    """A valid 18-digit resident ID number, different for each serial."""
    first17 = f"33010219800101{serial:03d}"
    return first17 + id_check_char(first17)


def mobile(serial: int) -> str:
    return f"139{serial:08d}"


@pytest.fixture
def clock() -> Iterator[Callable[[datetime], None]]:
    travellers: list[Any] = []

    def move(moment: datetime) -> None:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for t in travellers:
        t.stop()


@dataclass
class Review:
    requested: datetime
    outcome: str
    decided: datetime | None = None


@dataclass
class CaseFactory:
    """Builds one case per call, moving the frozen clock through its life."""

    org: Any
    people: Any
    move: Callable[[datetime], None]
    made: list[Complaint] = field(default_factory=list)
    _department: Any = None

    def handler_for(self, unit: Unit) -> Any:
        p, o = self.people, self.org
        return {
            o.sub_a.pk: p.handler_a,
            o.outlet_a.pk: p.outlet_handler_a,
            o.branch_a.pk: p.officer_a,
            o.sub_b.pk: p.handler_b,
            o.outlet_b.pk: p.handler_b,
            o.branch_b.pk: p.officer_b,
        }.get(unit.pk, p.hq_officer)

    def department(self) -> Any:
        if self._department is None:
            self._department = department_create(
                actor=None,
                unit=self.org.hq,
                code="XYK",
                name="信用卡部",
                function=DepartmentFunction.CREDIT_CARD,
            )
        return self._department

    def __call__(
        self,
        *,
        received: datetime,
        unit: Unit | None = None,
        channel: str = "COUNTER",
        category: str = "CARD_CREDIT",
        cause: str = "PRICING",
        business_channel: str = "COUNTER",
        people: Sequence[services.ComplainantData] | None = None,
        title: str = "信用卡年费未告知即扣收",
        narrative: str = "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
        level: str = "NORMAL",
        tags: Sequence[str] = (),
        demands: Sequence[str] = ("REFUND",),
        notified: datetime | None = None,
        outcome: str = "upheld",
        compensation: Decimal | None = None,
        extend_to: int | None = None,
        close: bool = True,
        at_fault: bool = False,
        follow_up: str | None = None,
        review: Review | None = None,
        withdrawn: datetime | None = None,
        merge_into: Complaint | None = None,
        decline: bool = False,
        accept: bool = True,
    ) -> Complaint:
        unit = unit or self.org.sub_a
        handler = self.handler_for(unit)
        self.move(received + MINUTE)
        referral = channel.startswith("R") or channel == "REGULATOR_LETTER"
        case = services.complaint_register(
            actor=handler,
            unit=unit,
            received_at=received,
            intake_channel=channel,
            title=title,
            narrative=narrative,
            complainants=list(people or [someone(500 + len(self.made))]),
            demands=list(demands),
            business_channel=business_channel,
            business_category=category,
            cause=cause,
            level=level,
            tags=list(tags),
            external_ref=f"REF-{len(self.made) + 1:04d}" if referral else "",
            referrer_received_on=received.date() if referral else None,
        )
        self.made.append(case)
        if decline:
            return services.complaint_decline(
                actor=handler,
                complaint=case,
                ground="not_a_complaint",
                reason="咨询",
                told_by="phone",
            )
        if not accept:
            return case
        services.complaint_accept(actor=handler, complaint=case)
        if merge_into is not None:
            services.complaint_merge(
                actor=handler, complaint=case, into=merge_into, note="重复来件"
            )
            return Complaint.objects.get(pk=case.pk)
        if extend_to:
            self.move(received + timedelta(days=2))
            ext = services.extension_request(
                actor=handler, complaint=case, target_days=extend_to, reason="案情复杂，需调取录音"
            )
            kwargs: dict[str, Any] = {}
            if extend_to > 30:
                kwargs = {"told_by": "phone", "told_at": received + timedelta(days=2)}
            services.extension_approve(actor=self.people.hq_officer, extension=ext, **kwargs)
        if withdrawn is not None:
            self.move(withdrawn + MINUTE)
            services.complaint_withdraw(actor=handler, complaint=case, received_at=withdrawn)
            return Complaint.objects.get(pk=case.pk)
        if notified is None:
            return Complaint.objects.get(pk=case.pk)
        self.move(notified)
        services.complaint_decide(
            actor=handler,
            complaint=case,
            verified_facts="经核实，办卡时未向客户书面告知年费标准。客户联系电话13800138000。",
            outcome=outcome,
            basis="《信用卡领用合约》第五条",
            reasons="告知义务未履行。",
            routes=["review", "mediation", "litigation"],
            compensation=compensation,
        )
        services.complaint_notify(
            actor=handler, complaint=case, method="phone", given_at=notified, evidence="录音 REC-1"
        )
        if close or follow_up or review:
            rectifications = []
            if at_fault:
                rectifications = [
                    services.RectificationData(
                        department=self.department(),
                        description="完善年费告知流程",
                        due_date=notified.date() + timedelta(days=30),
                    )
                ]
            services.complaint_close(
                actor=handler,
                complaint=case,
                root_cause="告知不到位",
                at_fault=at_fault,
                rectifications=rectifications,
            )
        if follow_up:
            self.move(notified + timedelta(days=1))
            services.follow_up_record(
                actor=handler,
                complaint=case,
                result=follow_up,
                method="phone",
                made_at=notified + timedelta(days=1),
            )
        if review is not None:
            upper = self.handler_for(unit.parent) if unit.parent else handler
            self.move(review.requested + MINUTE)
            rc = services.review_request(
                actor=upper,
                complaint=case,
                requested_at=review.requested,
                narrative="不服，申请核查",
            )
            services.complaint_accept(actor=upper, complaint=rc)
            decided = review.decided or review.requested + timedelta(days=5)
            self.move(decided)
            services.complaint_decide(
                actor=upper,
                complaint=rc,
                verified_facts="核查属实。",
                outcome=review.outcome,
                basis="同上",
                reasons="同上",
                routes=["mediation", "litigation"],
            )
            services.complaint_notify(
                actor=upper, complaint=rc, method="letter", given_at=decided, evidence="挂号信 1"
            )
        return Complaint.objects.get(pk=case.pk)


@pytest.fixture
def make_case(org, people, clock) -> CaseFactory:
    return CaseFactory(org=org, people=people, move=clock)


def someone(
    serial: int, *, id_serial: int | None = None, phone_serial: int | None = None, **kw: Any
):
    """A complainant whose ID and phone are derived from serials (so two can share one)."""
    return person(
        name=kw.pop("name", "李四"),
        id_number=resident_id(id_serial if id_serial is not None else serial)
        if id_serial != 0
        else "",
        phone=mobile(phone_serial if phone_serial is not None else serial),
        **kw,
    )


QUARTER_END = at(2026, 3, 31, 18)


@dataclass
class Quarter:
    """The hand-counted first quarter of 2026 (see test_selectors_statistics for the answers)."""

    cases: dict[str, Complaint]
    end: datetime = QUARTER_END
    first: date = date(2026, 1, 1)
    last: date = date(2026, 3, 31)


@pytest.fixture
def quarter(org, people, make_case) -> Quarter:
    Unit.objects.filter(pk=org.branch_a.pk).update(customer_count=20000)
    Unit.objects.filter(pk=org.branch_b.pk).update(customer_count=10000)
    p1 = someone(1)
    p1_again = someone(1)  # same ID and phone
    p1_phone = someone(3, phone_serial=1, name="王五")  # other ID, P1's phone: the same person
    p2_phone_only = someone(2, id_serial=0)
    c: dict[str, Complaint] = {}
    c["a1"] = make_case(
        received=at(2026, 1, 5, 10),
        notified=at(2026, 1, 12, 14),
        compensation=Decimal("600"),
        follow_up="satisfied",
        people=[p1],
    )
    c["a2"] = make_case(
        received=at(2026, 1, 6, 9),
        notified=at(2026, 1, 26, 10),  # due end of 21 Jan: late
        channel="R12345",
        category="CARD_DEBIT",
        follow_up="unsatisfied",
        people=[p1_again],
        at_fault=True,
    )
    c["a3"] = make_case(
        received=at(2026, 1, 10, 11),
        extend_to=30,
        notified=at(2026, 2, 3, 16),  # due end of 9 Feb after the extension
        category="LOAN_MORTGAGE",
        cause="CONTRACT",
        compensation=Decimal("100.50"),
        people=[p2_phone_only],
        review=Review(requested=at(2026, 2, 10, 9), outcome="upheld"),
    )
    c["a4"] = make_case(
        received=at(2026, 2, 2, 15),
        notified=at(2026, 2, 5, 10),
        category="DEPOSIT",
        cause="SERVICE",
        outcome="not_upheld",
        people=[p1_phone],
        review=Review(requested=at(2026, 2, 8, 9), outcome="not_upheld"),
    )
    c["a5"] = make_case(
        received=at(2026, 2, 20, 10),
        withdrawn=at(2026, 2, 22, 10),
        cause="SERVICE",
        people=[someone(2, id_serial=0)],
    )
    c["a6"] = make_case(
        received=at(2026, 3, 1, 10),
        unit=org.outlet_a,
        category="PAYMENT",
        cause="FACILITIES",
        people=[someone(6)],
    )
    c["a7"] = make_case(
        received=at(2026, 3, 20, 10), level="COMPLEX", people=[someone(7)], tags=["ELDERLY"]
    )
    c["a8"] = make_case(received=at(2026, 3, 21, 10), merge_into=c["a7"], people=[someone(7)])
    c["a9"] = make_case(received=at(2026, 3, 22, 10), decline=True, people=[someone(9)])
    c["b1"] = make_case(
        received=at(2026, 1, 15, 10),
        unit=org.sub_b,
        notified=at(2026, 1, 18, 10),
        compensation=Decimal("50"),
        follow_up="basically",
        people=[someone(11)],
    )
    c["b2"] = make_case(
        received=at(2026, 2, 10, 10),
        unit=org.sub_b,
        notified=at(2026, 2, 25, 14),  # due end of 25 Feb: just in time
        category="LOAN_CONSUMER",
        cause="MARKETING",
        channel="R12363",
        follow_up="unreachable",
        people=[someone(12)],
    )
    # Outside the quarter: never counted in it.
    c["late_2025"] = make_case(
        received=at(2025, 12, 31, 23, 30), notified=at(2026, 1, 4, 10), people=[someone(1)]
    )
    c["april"] = make_case(received=at(2026, 4, 1, 0, 10), people=[someone(1)], accept=False)
    # Back to the end of the quarter for every reading.
    make_case.move(Quarter.end)
    return Quarter(cases=c)
