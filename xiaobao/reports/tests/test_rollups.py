"""Monthly rollups: every dashboard call and the regulator workbook give from the rollups what
they give live from the facts, after any sequence of real operations; every write path marks
the months it changes; the reconciliation proves and repairs them."""

from __future__ import annotations

import csv
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.complaints.retention import _anonymise
from xiaobao.complaints.tests.conftest import at
from xiaobao.deadlines.engine import TZ
from xiaobao.intake.importing import import_complaints
from xiaobao.intake.tests.test_batched import HEADER, MAP
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError
from xiaobao.reports import facts, rollups
from xiaobao.reports.forms import DashboardForm
from xiaobao.reports.models import ComplaintFact, MonthlyRollup, RollupMonth, StaleMonth
from xiaobao.reports.selectors import StatisticsRequest, complaint_statistics_many, viewer_for
from xiaobao.reports.tests.conftest import someone
from xiaobao.reports.workbook import ReportPeriod, regulator_sheets, sheet_cells

pytestmark = pytest.mark.django_db

# Every table of the dashboard pages (views.py), the work summary's and the workbook's, and
# requests the rollups cannot answer (several taxonomies, tags), which stay live.
REQUESTS = [
    StatisticsRequest(["period"], repeats="total"),
    StatisticsRequest(["intake_channel"], repeats="none"),
    StatisticsRequest(["cause"], repeats="total"),
    StatisticsRequest(["business_category"], repeats="none"),
    StatisticsRequest(["business_category"], rollup=False, repeats="none"),
    StatisticsRequest(["unit"], unit_depth=1, repeats="total"),
    StatisticsRequest(["unit"], unit_depth=2),
    StatisticsRequest(["period"], grain="quarter"),
    StatisticsRequest([], repeats="none"),
    StatisticsRequest(["intake_channel", "unit"], unit_depth=2, repeats="none"),
    StatisticsRequest(["handler", "period"], repeats="none"),
    StatisticsRequest(["level", "unit"], unit_depth=1),
    StatisticsRequest(["intake_channel", "level"]),
    StatisticsRequest(["tag"]),
]


def _figures(stats: Any) -> tuple[Any, ...]:
    rows = [(r.key, r.codes, r.labels, _rounded(asdict(r.measures)), r.drill) for r in stats.rows]
    return rows, _rounded(asdict(stats.total))


def _rounded(measures: dict[str, Any]) -> dict[str, Any]:
    # Averages are re-weighted over groups summed in another order: equal to rounding.
    return {k: round(v, 9) if isinstance(v, float) else v for k, v in measures.items()}


def _filters(org: Any) -> list[dict[str, Any]]:
    first, last = DashboardForm.default_range()
    return [
        {"received_from": first, "received_to": last},  # the pages' default
        {"received_from": first, "received_to": last, "unit": org.branch_a.code},
        {"received_from": first + timedelta(days=9), "received_to": last},  # a partial month
        {"received_from": date(2026, 1, 1), "received_to": date(2026, 3, 31)},  # a quarter
    ]


def assert_rollups_give_the_live_figures(org: Any, people: Any) -> None:
    _compare(org, people, now())
    _compare(org, people, now() - timedelta(days=20))  # overdue as at another moment
    period = ReportPeriod.parse("2026Q1")
    viewer = viewer_for(None)
    with override_settings(STATISTICS_ROLLUPS=False):
        live_cells = [sheet_cells(s) for s in regulator_sheets(viewer=viewer, period=period)]
    rolled_cells = [sheet_cells(s) for s in regulator_sheets(viewer=viewer, period=period)]
    assert live_cells == rolled_cells


def _compare(org: Any, people: Any, moment: datetime) -> None:
    for user in (people.hq_officer, people.officer_a):
        for filters in _filters(org):
            with override_settings(STATISTICS_ROLLUPS=False):
                live = complaint_statistics_many(
                    user=user, requests=REQUESTS, filters=filters, at=moment
                )
            rolled = complaint_statistics_many(
                user=user, requests=REQUESTS, filters=filters, at=moment
            )
            for request, a, b in zip(REQUESTS, live, rolled, strict=True):
                assert _figures(a) == _figures(b), (request, filters, user)


def assert_in_step() -> None:
    assert facts.reconcile().total == 0
    assert rollups.reconcile() == 0


def _marked() -> set[date]:
    return set(StaleMonth.objects.values_list("month", flat=True))


# --- the hand-counted quarter ---------------------------------------------------------------------


def test_rollups_give_the_live_figures_on_the_quarter(quarter, org, people, clock):
    clock(at(2026, 5, 10, 9))  # January to April are whole past months
    assert_rollups_give_the_live_figures(org, people)
    assert set(RollupMonth.objects.values_list("month", flat=True)) >= {
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    }
    assert MonthlyRollup.objects.filter(dimension="").exists()
    assert_in_step()


def test_a_built_month_is_read_from_its_rows(quarter, people, clock):
    clock(at(2026, 5, 10, 9))
    requests = [StatisticsRequest(["cause"], repeats="none")]
    filters = {"received_from": "2026-01-01", "received_to": "2026-03-31"}
    complaint_statistics_many(user=people.hq_officer, requests=requests, filters=filters)
    with CaptureQueriesContext(connection) as queries:
        complaint_statistics_many(user=people.hq_officer, requests=requests, filters=filters)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "reports_monthlyrollup" in sql
    assert "INSERT" not in sql  # nothing rebuilt
    # One live pass: the open cases of the three months (a6, a7); the period is whole months.
    assert len([q for q in queries.captured_queries if "m_received" in q["sql"]]) == 1


def test_a_partial_or_current_month_and_other_filters_are_read_live(quarter, people, clock):
    clock(at(2026, 3, 20, 9))  # March is still moving
    requests = [StatisticsRequest(["cause"], repeats="none")]
    filters = {"received_from": "2026-01-01", "received_to": "2026-03-31"}
    complaint_statistics_many(user=people.hq_officer, requests=requests, filters=filters)
    assert set(RollupMonth.objects.values_list("month", flat=True)) == {
        date(2026, 1, 1),
        date(2026, 2, 1),
    }
    RollupMonth.objects.all().delete()
    for free in ({**filters, "cause": "PRICING"}, {"received_to": "2026-03-31"}):
        complaint_statistics_many(user=people.hq_officer, requests=requests, filters=free)
    assert not RollupMonth.objects.exists()


def test_a_rollup_built_with_other_referral_channels_is_rebuilt(quarter, org, people, clock):
    clock(at(2026, 5, 10, 9))
    assert_rollups_give_the_live_figures(org, people)
    counter = TaxonomyTerm.objects.get(axis="intake_channel", code="COUNTER")
    counter.attributes = {**counter.attributes, "referral": True}
    counter.save()
    assert_rollups_give_the_live_figures(org, people)


# --- marking: every write path ----------------------------------------------------------------


def test_changes_of_a_past_months_case_mark_its_month(quarter, people, clock):
    clock(at(2026, 5, 10, 9))
    rollups.build_stale()
    assert not _marked()
    a6 = quarter.cases["a6"]  # received in February, still open
    services.complaint_decide(
        actor=people.handler_a,
        complaint=a6,
        verified_facts="经核实属实。",
        outcome="upheld",
        basis="合同",
        reasons="理由",
        routes=["mediation"],
        compensation=Decimal("10"),
    )
    assert _marked() == {facts.month_of(a6.received_at)}
    rollups.build_stale()
    assert not _marked()
    _anonymise(Complaint.objects.get(pk=quarter.cases["a1"].pk), now())  # retention
    assert _marked() == {date(2026, 1, 1)}


def test_registrations_mark_a_month_only_near_or_after_its_end(people, org, clock):
    def register(received: datetime) -> Complaint:
        return services.complaint_register(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=received,
            intake_channel="COUNTER",
            title="年费",
            narrative="客户称信用卡年费未告知即扣收，要求退还。",
            complainants=[someone(700 + StaleMonth.objects.count())],
            demands=["REFUND"],
        )

    clock(at(2026, 5, 10, 9))
    register(at(2026, 5, 10, 8))  # the current month, weeks from its end: no mark
    assert not _marked()
    register(at(2026, 4, 28, 8))  # a past month
    assert _marked() == {date(2026, 4, 1)}
    clock(at(2026, 5, 31, 9))  # the last day: its changes are marked
    register(at(2026, 5, 31, 8))
    assert _marked() == {date(2026, 4, 1), date(2026, 5, 1)}


def test_history_replayed_into_a_built_month_marks_it(quarter, people, clock):
    from xiaobao.lib.clock import replay

    clock(at(2026, 5, 10, 9))
    rollups.build_stale()
    assert not _marked()
    # An import of a historical case replays its events at the times they happened: weeks
    # before its month ended, but long after that month's rollup was built.
    with replay(at(2026, 2, 3, 10)):
        services.complaint_register(
            actor=people.handler_a,
            unit=people.handler_a.unit,
            received_at=at(2026, 2, 3, 9),
            intake_channel="COUNTER",
            title="年费",
            narrative="客户称信用卡年费未告知即扣收，要求退还。",
            complainants=[someone(5)],
            demands=["REFUND"],
        )
    assert _marked() == {date(2026, 2, 1)}
    rollups.build_stale()
    assert_in_step()


def test_a_merge_and_an_import_mark_their_months(quarter, people, org, clock, tmp_path):
    clock(at(2026, 5, 10, 9))
    rollups.build_stale()
    case = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=at(2026, 3, 30, 9),
        intake_channel="COUNTER",
        title="年费",
        narrative="客户称信用卡年费未告知即扣收，要求退还。",
        complainants=[someone(1)],
        demands=["REFUND"],
    )
    services.complaint_accept(actor=people.handler_a, complaint=case)
    StaleMonth.objects.all().delete()
    services.complaint_merge(
        actor=people.handler_a, complaint=case, into=quarter.cases["a7"], note="重复"
    )
    assert date(2026, 3, 1) in _marked()
    StaleMonth.objects.all().delete()
    _import(tmp_path, people, [at(2026, 2, 3, 10)])
    assert _marked() == {date(2026, 2, 1)}
    assert_in_step()  # (the marked months are not compared: they are rebuilt on their read)
    rollups.build_stale()
    assert_in_step()


def test_reconcile_finds_and_rebuilds_a_wrong_rollup(quarter, people, clock):
    clock(at(2026, 5, 10, 9))
    rollups.build_stale()
    call_command("reconcile_statistics", stdout=StringIO())
    row = MonthlyRollup.objects.filter(month=date(2026, 1, 1), dimension="cause").first()
    assert row is not None
    MonthlyRollup.objects.filter(pk=row.pk).update(received=row.received + 1)
    assert rollups.reconcile() == 1
    with pytest.raises(CommandError, match="1 difference"):
        call_command("reconcile_statistics", stdout=StringIO())
    out = StringIO()
    call_command("reconcile_statistics", "--fix", stdout=out)
    assert "rollup months\t1" in out.getvalue()
    assert_in_step()


def test_a_fact_repair_marks_the_months_it_changes(quarter, people, clock):
    clock(at(2026, 5, 10, 9))
    rollups.build_stale()
    ComplaintFact.objects.filter(pk=quarter.cases["b2"].pk).update(status="closed", timely=False)
    facts.reconcile(fix=True)
    assert _marked() == {date(2026, 2, 1)}


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["dashboard", "causes", "units", "timeliness"])
def test_the_pages_show_the_same_figures_from_the_rollups(quarter, people, client, clock, page):
    clock(at(2026, 5, 10, 9))
    client.force_login(people.hq_officer)
    url = reverse(f"reports:{page}")
    with override_settings(STATISTICS_ROLLUPS=False):
        live = client.get(url, {"received_from": "2026-01-01", "received_to": "2026-04-30"})
    rolled = client.get(url, {"received_from": "2026-01-01", "received_to": "2026-04-30"})
    assert live.status_code == rolled.status_code == 200
    assert RollupMonth.objects.filter(month=date(2026, 2, 1)).exists()
    for name in ("total", "table", "channel_table", "cause_table", "unit_table", "period_table"):
        if name in live.context:
            assert repr(live.context[name]) == repr(rolled.context[name]), name


# --- any sequence of operations ------------------------------------------------------------------


def _import(tmp_path: Path, people: Any, received: list[datetime]) -> None:
    path = tmp_path / f"import-{now().timestamp()}-{len(received)}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for n, moment in enumerate(received):
            local = moment.astimezone(TZ)
            out.writerow(
                [
                    f"IMP-{local:%Y%m%d%H%M}-{n}-{StaleMonth.objects.count()}",
                    "信用卡年费",
                    "客户称信用卡年费未告知即扣收，要求退还年费600元。",
                    f"{local:%Y/%m/%d %H:%M}",
                    "张三",
                    f"1390000{n:04d}",
                    "",
                    "",
                    "SUB-a",
                    "COUNTER",
                    "REFUND",
                    "",
                    "CARD",
                    "PRICING",
                    "",
                    "",
                ]
            )
    import_complaints(actor=people.hq_officer, path=path, mapping=MAP, partial=True, batched=True)


UNITS = ["sub_a", "outlet_a", "branch_a", "sub_b"]
CHANNELS = ["COUNTER", "R12363", "12363"]
CAUSES = ["PRICING", "MARKETING", "SERVICE"]
CATEGORIES = ["CARD_CREDIT", "LOAN_CONSUMER", "CARD"]

operations = st.one_of(
    st.tuples(
        st.just("register"),
        st.integers(0, 45),  # received this many days before now
        st.integers(0, len(UNITS) - 1),
        st.integers(0, len(CHANNELS) - 1),
        st.integers(0, len(CAUSES) - 1),
        st.integers(0, len(CATEGORIES) - 1),
        st.integers(0, 3),  # steps of its life taken at once
    ),
    st.tuples(st.just("advance"), st.integers(0, 99)),
    st.tuples(st.just("withdraw"), st.integers(0, 99)),
    st.tuples(st.just("review"), st.integers(0, 99)),
    st.tuples(st.just("merge"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("import"), st.integers(0, 40)),
    st.tuples(st.just("anonymise"), st.integers(0, 99)),
    st.tuples(st.just("wait"), st.integers(1, 35 * 24)),  # hours
    st.tuples(st.just("read")),
)


class Lives:
    """Takes cases through their lives at the clock's moment, which only moves forward."""

    def __init__(self, org: Any, people: Any, clock: Any, tmp_path: Path) -> None:
        self.org, self.people, self.clock, self.tmp_path = org, people, clock, tmp_path
        self.cases: list[int] = []
        self.moment = at(2026, 3, 2, 9)
        clock(self.moment)

    def wait(self, hours: int) -> None:
        self.moment += timedelta(hours=hours)
        self.clock(self.moment)

    def case(self, n: int) -> Complaint | None:
        if not self.cases:
            return None
        return Complaint.objects.get(pk=self.cases[n % len(self.cases)])

    def register(self, days: int, unit: int, channel: int, cause: int, category: int) -> None:
        received = self.moment - timedelta(days=days, minutes=5)
        referral = CHANNELS[channel].startswith("R")
        case = services.complaint_register(
            actor=self.people.hq_officer,
            unit=getattr(self.org, UNITS[unit]),
            received_at=received,
            intake_channel=CHANNELS[channel],
            title="信用卡年费",
            narrative="客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
            complainants=[someone(600 + len(self.cases) % 4)],
            demands=["REFUND"],
            business_channel="COUNTER",
            business_category=CATEGORIES[category],
            cause=CAUSES[cause],
            external_ref=f"R-{len(self.cases)}" if referral else "",
            referrer_received_on=received.astimezone(TZ).date() if referral else None,
        )
        self.cases.append(case.pk)

    def advance(self, case: Complaint) -> None:
        actor = self.people.hq_officer
        if case.status == "registered":
            services.complaint_accept(actor=actor, complaint=case)
        elif case.status in ("accepted", "paused"):
            services.complaint_decide(
                actor=actor,
                complaint=case,
                verified_facts="经核实属实。",
                outcome="upheld" if case.pk % 2 else "not_upheld",
                basis="合同",
                reasons="理由",
                routes=["review", "mediation"],
                compensation=Decimal("12.34") if case.pk % 3 else None,
            )
            services.complaint_notify(
                actor=actor, complaint=case, method="phone", given_at=self.moment, evidence="录音"
            )
        elif case.status == "decided":
            services.complaint_close(
                actor=actor, complaint=case, root_cause="告知不到位", at_fault=False
            )

    def review(self, case: Complaint) -> None:
        actor = self.people.hq_officer
        rc = services.review_request(
            actor=actor, complaint=case, requested_at=self.moment, narrative="不服，申请核查"
        )
        services.complaint_accept(actor=actor, complaint=rc)
        services.complaint_decide(
            actor=actor,
            complaint=rc,
            verified_facts="核查属实。",
            outcome="upheld",
            basis="同上",
            reasons="同上",
            routes=["mediation", "litigation"],
        )
        self.cases.append(rc.pk)

    def apply(self, op: tuple[Any, ...]) -> None:
        name, *args = op
        try:
            if name == "register":
                self.register(*args[:5])
                for _step in range(args[5]):
                    self.wait(7)
                    self.advance(Complaint.objects.get(pk=self.cases[-1]))
            elif name == "wait":
                self.wait(args[0])
            elif name == "import":
                _import(self.tmp_path, self.people, [self.moment - timedelta(days=args[0])])
            elif name == "read":
                assert_rollups_give_the_live_figures(self.org, self.people)
            elif (case := self.case(args[0])) is None:
                return
            elif name == "advance":
                self.advance(case)
            elif name == "withdraw":
                services.complaint_withdraw(
                    actor=self.people.hq_officer, complaint=case, received_at=self.moment
                )
            elif name == "review":
                self.review(case)
            elif name == "merge" and (into := self.case(args[1])) is not None:
                services.complaint_merge(
                    actor=self.people.hq_officer, complaint=case, into=into, note="重复"
                )
            elif name == "anonymise":
                _anonymise(case, self.moment)
        except DomainError:
            pass  # not allowed in the case's state: the sequence goes on


@given(st.lists(operations, min_size=4, max_size=14))
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_sequence_of_operations_keeps_the_rollups_equal_to_the_live_figures(
    org, people, clock, tmp_path, ops
):
    # Examples share the database; each starts its clock afresh, so rollups built at a later
    # moment of an earlier example are dropped (in real time a month never reopens).
    RollupMonth.objects.all().delete()
    StaleMonth.objects.all().delete()
    MonthlyRollup.objects.all().delete()
    lives = Lives(org, people, clock, tmp_path)
    for op in ops:
        lives.apply(op)
    lives.wait(40 * 24)  # every month of the sequence over
    assert_rollups_give_the_live_figures(org, people)
    assert_in_step()
