"""The statistics selector against the hand-counted quarter in conftest.py.

Counted in Q1 2026 (merged a8, declined a9 and the cases outside the quarter are not):
    a1 7 days, timely · a2 20 days, late · a3 24 days, extended to 30, timely, review upheld
    a4 3 days, review not upheld · a5 withdrawn · a6 open, overdue · a7 open, not yet due
    b1 3 days · b2 15 days, in time on its last day
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaobao.complaints.models import Complaint
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError
from xiaobao.reports.selectors import (
    StatisticsRequest,
    complaint_statistics,
    complaint_statistics_many,
    count_repeat_people,
    nearest_rank,
    period_bounds,
    viewer_for,
)

pytestmark = pytest.mark.django_db

Q1 = {"received_from": "2026-01-01", "received_to": "2026-03-31"}


def test_totals_for_head_office(quarter, people):
    stats = complaint_statistics(user=people.hq_officer, filters=Q1)
    t = stats.total
    assert t.received == 9
    assert (t.answered, t.closed, t.withdrawn) == (6, 7, 1)
    assert t.timely == 5 and t.timely_rate == pytest.approx(5 / 6)
    assert (t.overdue, t.open_overdue) == (2, 1)  # a2 answered late, a6 still open past due
    assert t.avg_days == pytest.approx(12.0)  # (7 + 20 + 24 + 3 + 3 + 15) / 6
    assert t.p90_days == 24  # nearest rank: the 6th of 6 sorted day counts
    assert (t.extended, t.extended_60) == (1, 0)
    assert (t.reviewed, t.review_decided, t.reversed) == (2, 2, 1)
    assert t.reversal_rate == pytest.approx(0.5)
    assert t.compensation == Decimal("750.50")
    assert t.repeat_complainants == 2  # P1 on a1, a2 and (by phone) a4; P2 on a3 and a5
    assert (t.surveyed, t.satisfied) == (3, 2)  # the unreachable call does not count
    assert t.satisfaction_rate == pytest.approx(2 / 3)
    assert t.referred == 2 and t.at_fault == 1
    assert t.per_10k is None  # head office has no customer count


def test_by_branch_with_per_10k(quarter, people):
    stats = complaint_statistics(user=people.hq_officer, dimensions=["unit"], filters=Q1)
    assert [r.codes for r in stats.rows] == [("BR-a",), ("BR-b",)]
    a, b = (r.measures for r in stats.rows)
    assert (a.received, a.answered, a.timely, a.overdue) == (7, 4, 3, 2)
    assert a.timely_rate == pytest.approx(0.75)
    assert a.avg_days == pytest.approx(13.5) and a.p90_days == 24
    assert a.per_10k == pytest.approx(3.5)  # 7 cases, 20,000 customers
    assert a.repeat_complainants == 2 and a.compensation == Decimal("700.50")
    assert a.satisfaction_rate == pytest.approx(0.5)
    assert (b.received, b.answered, b.timely, b.overdue) == (2, 2, 2, 0)
    assert b.avg_days == pytest.approx(9.0) and b.p90_days == 15
    assert b.per_10k == pytest.approx(2.0)
    assert b.satisfaction_rate == 1.0 and b.reversal_rate is None


def test_by_month(quarter, people):
    stats = complaint_statistics(user=people.hq_officer, dimensions=["period"], filters=Q1)
    assert [(r.codes[0], r.labels[0], r.measures.received) for r in stats.rows] == [
        ("2026-01", "2026年1月", 4),
        ("2026-02", "2026年2月", 3),
        ("2026-03", "2026年3月", 2),
    ]
    quarter_stats = complaint_statistics(
        user=people.hq_officer, dimensions=["period"], filters=Q1, grain="quarter"
    )
    assert [(r.codes[0], r.measures.received) for r in quarter_stats.rows] == [("2026Q1", 9)]


def test_new_year_eve_late_night_counts_in_its_own_local_day(quarter, people):
    stats = complaint_statistics(
        user=people.hq_officer, dimensions=["period"], filters={"received_to": "2026-01-31"}
    )
    counts = {r.codes[0]: r.measures.received for r in stats.rows}
    assert counts == {"2025-12": 1, "2026-01": 4}  # 23:30 on 31 Dec Beijing time is 2025


def test_sub_categories_roll_up(quarter, people):
    rolled = complaint_statistics(
        user=people.hq_officer, dimensions=["business_category"], filters=Q1
    )
    assert {r.codes[0]: r.measures.received for r in rolled.rows} == {
        "DEPOSIT": 1,
        "LOAN": 2,
        "CARD": 5,
        "PAYMENT": 1,
    }
    assert [r.codes[0] for r in rolled.rows] == ["DEPOSIT", "LOAN", "CARD", "PAYMENT"]
    leaves = complaint_statistics(
        user=people.hq_officer, dimensions=["business_category"], filters=Q1, rollup=False
    )
    assert {r.codes[0]: r.measures.received for r in leaves.rows} == {
        "DEPOSIT": 1,
        "LOAN_MORTGAGE": 1,
        "LOAN_CONSUMER": 1,
        "CARD_DEBIT": 1,
        "CARD_CREDIT": 4,
        "PAYMENT": 1,
    }
    assert leaves.row_for("CARD_CREDIT").labels == ("银行卡/信用卡",)


def test_several_dimensions_at_once(quarter, people):
    stats = complaint_statistics(
        user=people.hq_officer,
        dimensions=["unit", "cause", "intake_channel"],
        filters=Q1,
    )
    row = stats.row_for("BR-a", "PRICING", "COUNTER")
    assert row is not None and row.measures.received == 2  # a1 and a7 (a2 came through 12345)
    assert stats.row_for("BR-a", "PRICING", "R12345").measures.received == 1
    assert sum(r.measures.received for r in stats.rows) == 9


def test_repeat_complainants_only_where_asked_for(quarter, people):
    def by_unit(repeats: str) -> object:
        return complaint_statistics(
            user=people.hq_officer, dimensions=["unit"], filters=Q1, repeats=repeats
        )

    full, total_only, none = by_unit("all"), by_unit("total"), by_unit("none")
    assert full.total.repeat_complainants == total_only.total.repeat_complainants == 2
    assert [r.measures.repeat_complainants for r in full.rows] == [2, 0]
    assert [r.measures.repeat_complainants for r in total_only.rows] == [None, None]
    assert none.total.repeat_complainants is None
    # Every other measure is the same whatever is asked about repeats.
    assert [r.measures.received for r in none.rows] == [r.measures.received for r in full.rows]
    with pytest.raises(ValueError):
        by_unit("some")


def test_multi_valued_dimensions_count_a_case_under_each_value(quarter, people):
    stats = complaint_statistics(user=people.hq_officer, dimensions=["tag"], filters=Q1)
    counts = {r.codes[0]: r.measures.received for r in stats.rows}
    assert counts == {"REGULATOR": 1, "ELDERLY": 1, None: 7}  # b2 came through 12363


def test_handler_and_level(quarter, people):
    stats = complaint_statistics(user=people.hq_officer, dimensions=["handler"], filters=Q1)
    counts = {r.codes[0]: r.measures.received for r in stats.rows}
    assert counts == {"handler_a": 6, "outlet_handler_a": 1, "handler_b": 2}
    levels = complaint_statistics(user=people.hq_officer, dimensions=["level"], filters=Q1)
    assert {r.codes[0]: r.measures.received for r in levels.rows} == {"NORMAL": 8, "COMPLEX": 1}


def test_unit_depth(quarter, people):
    stats = complaint_statistics(
        user=people.hq_officer, dimensions=["unit"], filters=Q1, unit_depth=3
    )
    counts = {r.codes[0]: r.measures.received for r in stats.rows}
    # Cases registered at a sub-branch are that sub-branch's own ("本级") at outlet depth.
    assert counts == {"SUB-a": 6, "OUT-a": 1, "SUB-b": 2}
    assert stats.row_for("SUB-a").labels == ("A支行（本级）",)
    assert stats.row_for("SUB-a").drill is None


def test_branch_b_sees_nothing_of_branch_a(quarter, people):
    stats = complaint_statistics(user=people.officer_b, dimensions=["unit", "cause"], filters=Q1)
    assert stats.total.received == 2
    assert {r.codes[0] for r in stats.rows} == {"SUB-b"}  # officer_b's own depth + 1
    assert stats.total.repeat_complainants == 0 and stats.total.reviewed == 0
    handler = complaint_statistics(user=people.handler_a, filters=Q1)
    assert handler.total.received == 7  # sub-branch A and its outlet


def test_filters_use_the_registry_names(quarter, people):
    stats = complaint_statistics(
        user=people.hq_officer, filters={**Q1, "business_category": "CARD", "unit": "BR-a"}
    )
    assert stats.total.received == 4  # a1, a2, a5, a7
    with pytest.raises(DomainError, match="统计条件无效"):
        complaint_statistics(user=people.hq_officer, filters={"cause": "NO_SUCH_CODE"})


def test_drill_down_links_select_exactly_the_counted_cases(quarter, people, client):
    stats = complaint_statistics(
        user=people.hq_officer, dimensions=["business_category", "period"], filters=Q1
    )
    from xiaobao.complaints.filters import RegistryFilter

    for row in stats.rows:
        url = stats.drill_url(row)
        assert url is not None and url.startswith("/complaints/?")
        params = parse_qs(urlparse(url).query)
        listed = RegistryFilter(data=params_to_querydict(params), queryset=Complaint.objects.all())
        assert listed.is_valid(), listed.errors
        assert listed.qs.distinct().count() == row.measures.received, url


def params_to_querydict(params):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for k, v in params.items():
        q.setlist(k, v)
    return q


def test_viewer_for_a_unit_code_uses_the_same_scope(quarter, people):
    stats = complaint_statistics(user=viewer_for("BR-b"), filters=Q1)
    assert stats.total.received == 2
    assert complaint_statistics(user=viewer_for(None), filters=Q1).total.received == 9


def test_nearest_rank_and_repeat_people_units():
    assert nearest_rank({}) is None
    assert nearest_rank({5: 1}) == 5
    assert nearest_rank({1: 9, 30: 1}) == 1  # 90 % reach 1 day
    assert nearest_rank({1: 8, 30: 2}) == 30
    records = [(1, "i1", "p1"), (2, "", "p1"), (3, "i2", ""), (4, "i3", "p9"), (5, "i3", "")]
    assert count_repeat_people(records) == 2  # {1, 2} through p1 and {4, 5} through i3


def test_people_are_linked_through_any_shared_hash():
    from xiaobao.reports.selectors import people_index

    pairs = [("i1", "p1"), ("i2", "p2"), ("i1", "p2"), ("i3", ""), ("", "p3"), ("", "p1")]
    person = people_index(pairs)
    # (i2, p2) and (i1, p1) share nothing directly, but (i1, p2) links them.
    assert person[("i1", "p1")] == person[("i2", "p2")] == person[("i1", "p2")]
    assert person[("", "p1")] == person[("i1", "p1")]
    assert len({person[("i3", "")], person[("", "p3")], person[("i1", "p1")]}) == 3
    assert count_repeat_people([(1, "i1", "p1"), (2, "i2", "p2"), (3, "i1", "p2")]) == 1


def test_period_bounds():
    assert period_bounds("2026Q3")[0].isoformat() == "2026-07-01"
    assert period_bounds("2026Q3")[1].isoformat() == "2026-09-30"
    assert period_bounds("2026-02")[1].isoformat() == "2026-02-28"
    assert period_bounds("2026")[1].isoformat() == "2026-12-31"
    with pytest.raises(DomainError):
        period_bounds("2026Q5")


@pytest.mark.parametrize(
    "dimensions",
    [["unit"], ["period", "business_category"], ["handler", "level"], ["demand"], ["tag", "unit"]],
)
def test_every_grouping_has_the_same_total_as_no_grouping(quarter, people, dimensions):
    """Single-valued groupings add their groups up into the total (a person on cases in two
    groups is still one repeat complainant); multi-valued ones count the total separately."""
    plain = complaint_statistics(user=people.hq_officer, filters=Q1).total
    grouped = complaint_statistics(user=people.hq_officer, filters=Q1, dimensions=dimensions).total
    for name in (
        "received", "closed", "answered", "timely", "overdue", "open_overdue", "withdrawn",
        "referred", "at_fault", "extended", "extended_60", "reviewed", "review_decided",
        "reversed", "surveyed", "satisfied", "compensation", "p90_days", "repeat_complainants",
    ):  # fmt: skip
        assert getattr(grouped, name) == getattr(plain, name), name
    assert grouped.avg_days == pytest.approx(plain.avg_days)
    assert plain.repeat_complainants == 2


def _figures(stats):
    rows = [(r.key, r.codes, r.labels, asdict(r.measures), r.drill) for r in stats.rows]
    return rows, asdict(stats.total)


PAGES = [
    # The dashboard pages' tables (views.py), then the work summary's, then mixed grains and
    # depths, which cannot share a pass and are answered one by one.
    [StatisticsRequest(["period"], repeats="total"), StatisticsRequest(["intake_channel"])],
    [
        StatisticsRequest(["cause"], repeats="total"),
        StatisticsRequest(["business_category"], repeats="none"),
        StatisticsRequest(["business_category"], rollup=False, repeats="none"),
    ],
    [StatisticsRequest(["unit"], unit_depth=1), StatisticsRequest(["period"], grain="quarter")],
    [
        StatisticsRequest([], repeats="none"),
        StatisticsRequest(["unit"], unit_depth=2, repeats="none"),
        StatisticsRequest(["intake_channel", "level"]),
    ],
    [
        StatisticsRequest(["unit", "business_category"], unit_depth=2),
        StatisticsRequest(["unit"], unit_depth=1),
        StatisticsRequest(["period"], grain="month"),
        StatisticsRequest(["period"], grain="year"),
        StatisticsRequest(["tag"]),
        StatisticsRequest(["handler", "cause"], rollup=False),
    ],
]


@pytest.mark.parametrize("requests", PAGES)
@pytest.mark.parametrize("who", ["hq_officer", "officer_a"])
def test_one_shared_pass_gives_what_separate_calls_give(quarter, people, requests, who):
    """Every figure of every request, exactly (incl. the average and the 90th percentile)."""
    user = getattr(people, who)
    moment = now()
    shared = complaint_statistics_many(user=user, requests=requests, filters=Q1, at=moment)
    for request, stats in zip(requests, shared, strict=True):
        alone = complaint_statistics(
            user=user,
            filters=Q1,
            at=moment,
            dimensions=request.dimensions,
            grain=request.grain,
            rollup=request.rollup,
            unit_depth=request.unit_depth,
            repeats=request.repeats,
        )
        assert _figures(stats) == _figures(alone)
        assert stats.total.received == (9 if who == "hq_officer" else 7) or request.dimensions


def test_a_page_of_tables_costs_one_pass_over_the_cases(quarter, people, settings):
    settings.STATISTICS_ROLLUPS = False  # the live path (the rollups' own passes: test_rollups)
    requests = PAGES[1]
    with CaptureQueriesContext(connection) as queries:
        complaint_statistics_many(user=people.hq_officer, requests=requests, filters=Q1)
    grouped = [q for q in queries.captured_queries if "m_received" in q["sql"]]
    assert len(grouped) == 1
