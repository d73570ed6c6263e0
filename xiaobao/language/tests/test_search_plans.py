"""The search's plan follows the word's frequency: rare words are read from the inverted index,
common ones by walking the newest cases; both plans find the same cases in the same order."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from xiaobao.language import search
from xiaobao.language.search import INDEX, RECENT, WINDOWS, search_complaints
from xiaobao.language.segment import query_terms


@pytest.fixture(autouse=True)
def fresh_frequencies():
    """Each test reads the statistics of its own data (a process keeps them for minutes)."""
    search._frequencies.clear()
    yield
    search._frequencies.clear()


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE language_searchdocument")
    search._frequencies.clear()


@pytest.fixture
def ledger(register, org, people):
    """Twelve cases about 年费, one of which also names a rare word (锦程), one in branch B,
    received at different times (one from an old ledger, registered last)."""
    now = timezone.now()
    cases = [
        register(
            title=f"信用卡年费第{i}件",
            narrative="客户对信用卡年费有异议，要求退还年费。"
            + ("锦程分期也有问题。" if i == 4 else ""),
            received_at=now - timedelta(hours=i + 1),
        )
        for i in range(10)
    ]
    cases.append(
        register(
            title="旧台账年费",
            narrative="历史台账：年费争议。",
            received_at=now - timedelta(days=400),
        )
    )
    cases.append(
        register(
            actor=people.handler_b,
            unit=org.sub_b,
            title="B支行年费",
            narrative="B支行客户对信用卡年费收取标准有异议。",
        )
    )
    return cases


def _pks(base, query, plan):
    terms = query_terms(query)
    return search._newest_matches(base, terms, False, plan)


@pytest.mark.parametrize("query", ["年费", "锦程", "信用卡 年费", "退还 锦程", "台账"])
def test_both_plans_find_the_same_cases_in_the_same_order(ledger, people, query):
    from xiaobao.complaints.selectors import complaint_list

    for user in (people.handler_a, people.hq_officer):
        base = complaint_list(user=user)
        by_index = _pks(base, query, INDEX)
        assert by_index == _pks(base, query, RECENT) == _pks(base, query, WINDOWS)
        expected = [
            c.pk
            for c in sorted(ledger, key=lambda c: (c.received_at, c.pk), reverse=True)
            if base.filter(pk=c.pk).exists()
            and all(w in f"{c.title}{c.narrative}" for w in query.split())
        ]
        assert by_index == expected


def test_the_plan_follows_the_frequency_and_the_hits_do_not(ledger, people, monkeypatch):
    _analyze()
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    monkeypatch.setattr(search, "CANDIDATES", 3)
    # 年费 is in every document: walking the newest cases finds two matches in two rows.
    assert search.choose_plan(query_terms("年费"), False) == RECENT
    # 锦程 is in one document of twelve: the index returns one row, a walk reads them all.
    assert search.choose_plan(query_terms("锦程"), False) == INDEX
    # Two words: the rare one decides.
    assert search.choose_plan(query_terms("年费 锦程"), False) == INDEX
    chosen = {}
    for query in ("年费", "锦程", "年费 锦程"):
        results = search_complaints(user=people.handler_a, query=query)
        chosen[query] = [(h.complaint.pk, round(h.score, 6)) for h in results]
        for plan in (INDEX, RECENT, WINDOWS):
            monkeypatch.setattr(search, "choose_plan", lambda terms, any_term, p=plan: p)
            forced = search_complaints(user=people.handler_a, query=query)
            assert [(h.complaint.pk, round(h.score, 6)) for h in forced] == chosen[query]
            assert (forced.total, forced.total_capped, forced.truncated) == (
                results.total,
                results.total_capped,
                results.truncated,
            )
        monkeypatch.undo()
        monkeypatch.setattr(search, "COUNT_CAP", 1)
        monkeypatch.setattr(search, "CANDIDATES", 3)
    assert len(chosen["年费"]) == 3 and len(chosen["锦程"]) == 1 == len(chosen["年费 锦程"])


def test_unknown_words_and_an_empty_index_take_the_index(people, db):
    _analyze()
    assert search.term_share(("从未出现",)) == 0.0 or connection.vendor == "postgresql"
    assert search.choose_plan(query_terms("从未出现"), False) == INDEX


def test_a_hit_loads_only_the_columns_it_shows(ledger, people, django_assert_max_num_queries):
    results = search_complaints(user=people.handler_a, query="锦程")
    hit = results.hits[0]
    deferred = hit.complaint.get_deferred_fields()
    assert "narrative" in deferred and "sealed_text" in deferred
    # What the page shows is there without another query.
    with django_assert_max_num_queries(0):
        assert hit.complaint.registry_no and hit.complaint.get_status_display()
        assert hit.complaint.unit.name and hit.complaint.received_at


@pytest.fixture
def shuffled(register):
    """Twenty cases whose received order is not their id order: every third one is from an old
    ledger (received long ago, registered late), and two early registrations were received last
    (say, their received time corrected), so windows of newer ids miss the newest matches."""
    now = timezone.now()
    cases = []
    for i in range(20):
        received = now - timedelta(days=300 + i) if i % 3 == 0 else now - timedelta(hours=40 - i)
        if i in (1, 2):
            received = now - timedelta(minutes=i)
        text = "客户对信用卡年费有异议。" + ("催收电话太多。" if i % 2 else "")
        cases.append(register(title=f"年费第{i}件", narrative=text, received_at=received))
    return cases


@pytest.mark.parametrize(
    "window", [(1, 0.01, 2), (1, 1.0, 8), (3, 0.5, 2), (2_000, 1.5, 8)], ids=str
)
@pytest.mark.parametrize("cap", [1, 4, 9, 1000])
@pytest.mark.parametrize("query", ["年费", "年费 催收", "催收", "锦程", "费有"])
def test_windows_find_the_newest_received_matches_exactly(
    shuffled, people, monkeypatch, window, cap, query
):
    """Whatever the windows' sizes and however many matches are wanted, the windows return the
    same cases in the same order as the index plan: the newest received, not the newest ids."""
    from xiaobao.complaints.selectors import complaint_list

    monkeypatch.setattr(search, "WINDOW_MIN", window[0])
    monkeypatch.setattr(search, "WINDOW_SLACK", window[1])
    monkeypatch.setattr(search, "WINDOW_GROWTH", window[2])
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    monkeypatch.setattr(search, "CANDIDATES", 1)
    base = complaint_list(user=people.hq_officer)
    expected = _pks(base, query, INDEX)
    assert _pks(base, query, WINDOWS) == expected
    if query == "年费":
        newest = sorted(shuffled, key=lambda c: (c.received_at, c.pk), reverse=True)
        assert expected == [c.pk for c in newest][: cap + 1]
        assert newest[0].pk == shuffled[1].pk  # an early id, received last


def test_windows_step_over_ids_that_no_case_holds(ledger, people, monkeypatch):
    """The id sequence can run far ahead of the cases (a rolled-back import of 100,000 rows, a
    benchmark that deleted what it imported): the windows jump to the highest id below an empty
    one instead of widening over the gap until one reaches past it and reads the whole
    registry's matches (a second for 催收 at 1,000,000 cases, 400,000 ids over the cases)."""
    from django.test.utils import CaptureQueriesContext

    from xiaobao.complaints.selectors import complaint_list

    _analyze()
    base = complaint_list(user=people.hq_officer)
    expected = _pks(base, "年费", INDEX)
    top = max(c.pk for c in ledger)
    monkeypatch.setattr(search, "last_case_id", lambda: top + 1_000_000)
    monkeypatch.setattr(search, "WINDOW_MIN", 2)
    monkeypatch.setattr(search, "WINDOW_SLACK", 0.01)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    monkeypatch.setattr(search, "CANDIDATES", 1)
    with CaptureQueriesContext(connection) as ctx:
        found = _pks(base, "年费", WINDOWS)
    assert found == expected[:4]
    windows = [
        q["sql"]
        for q in ctx.captured_queries
        if "rowid >= " in q["sql"] or "complaint_id >= " in q["sql"]
    ]
    # One empty window above the gap, then the windows of the cases themselves, the first of
    # them ending at the highest id; without the jump: 2, 16, 128 … 4,194,304 ids, eight windows.
    assert 2 <= len(windows) <= 4
    assert re.search(rf"< {top + 1_000_001}\b", windows[0])
    assert re.search(rf"< {top + 1}\b", windows[1])


def test_windows_on_postgresql_for_words_with_many_matches(ledger, monkeypatch):
    _analyze()
    # 年费 is in all twelve documents: the index returns 12 (over WINDOWS_ABOVE), a walk reads
    # 101 for 101 matches (over WALK_ABOVE), so PostgreSQL reads windows (SQLite has no such
    # plan).
    monkeypatch.setattr(search, "WINDOWS_ABOVE", 2)
    monkeypatch.setattr(search, "WALK_ABOVE", 100)
    monkeypatch.setattr(search, "COUNT_CAP", 100)
    plan = search.choose_plan(query_terms("年费"), False)
    assert plan == (WINDOWS if connection.vendor == "postgresql" else INDEX)
    # A walk short enough is kept, however many the index would return.
    monkeypatch.setattr(search, "WALK_ABOVE", 101)
    assert search.choose_plan(query_terms("年费"), False) != WINDOWS
    # 锦程 (not a dictionary word: its bigram) is in one: the index reads one row, under the
    # threshold.
    assert search.choose_plan(query_terms("锦程"), False) == INDEX


def _session_settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_indexscan'), current_setting('plan_cache_mode')"
        )
        return cursor.fetchone()


@pytest.fixture
def postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has neither plan settings nor a plan cache")


def test_windows_leave_the_session_as_they_found_it(ledger, people, postgresql_only, monkeypatch):
    """The window queries turn plain index scans off for themselves only: every statement after
    the search is planned as before, whether the search succeeded or failed."""
    before = _session_settings()
    assert before == ("on", "force_custom_plan")
    base = search.complaint_list(user=people.hq_officer)
    with search._planned(bitmaps=True):
        assert _session_settings() == ("off", "force_custom_plan")
    assert _session_settings() == before
    assert _pks(base, "年费", WINDOWS)
    assert _session_settings() == before
    # A failing statement inside, in a transaction: the rollback puts the settings back.
    from django.db import DatabaseError, transaction

    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        search._planned(bitmaps=True),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")
    assert _session_settings() == before


def test_a_connection_not_planning_for_values_is_put_in_that_mode(
    ledger, people, postgresql_only, monkeypatch
):
    """A deployment that opens its connections with the server's default plan cache mode
    (DB_PLAN_CACHE_MODE= behind pgbouncer, without the role setting) still gets custom plans for
    its searches, and its own mode back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('plan_cache_mode', 'auto', false)")
    search._CUSTOM_PLANS.clear()
    try:
        assert not search._plans_for_values()
        seen = []
        with search._planned():
            seen.append(_session_settings())
        assert seen == [("on", "force_custom_plan")]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")
        search._CUSTOM_PLANS.clear()
    assert _session_settings() == ("on", "force_custom_plan")


def test_a_number_is_looked_up_through_indexes(postgresql_only):
    """A registry or referral number typed in any case reads the registry number's index and
    the index on the referral number's upper case, never the whole registry (at 1,000,000
    cases a scan takes seconds). Sequential scans are priced out so that the plan shows which
    indexes can serve the comparison at all, whatever the size of the test's tables."""
    from xiaobao.complaints.models import Complaint

    lookup = search.by_number(Complaint.objects.all(), "nfra-20261206-04999").values("pk")
    sql, params = lookup.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "complaint_ext_ref_upper_idx" in plan
    assert "complaints_complaint_registry_no" in plan
    assert "Seq Scan" not in plan
