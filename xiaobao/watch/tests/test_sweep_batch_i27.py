"""The sweep over a backlog: many cases per batch, written together, idempotent and resumable.

Forty cases of sub-branch A are received 5 Jan 2026 10:00 (due 21 Jan 00:00) and first looked at
on 21 Jan 00:30: each fires its due threshold (50% and 80% recorded as superseded) to handler_a,
head_a and officer_a.
"""

from __future__ import annotations

from collections import Counter

import pytest

from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.watch import notify
from xiaobao.watch.choices import FiringOutcome, NotificationKind
from xiaobao.watch.models import Delivery, Firing, Notification, WatchState
from xiaobao.watch.sweep import RETRY_AFTER, discover, sweep

from .conftest import at
from .factories import bulk_cases

pytestmark = pytest.mark.django_db

CASES = 40
FIRST_LOOK = at(2026, 1, 21, 0, 30)


@pytest.fixture
def backlog(org, staff, frozen) -> list[Complaint]:
    frozen(at(2026, 1, 5, 11))
    cases = bulk_cases(
        CASES, unit=org.sub_a, handler=staff.handler_a, received_at=at(2026, 1, 5, 10)
    )
    frozen(FIRST_LOOK)
    return cases


def _written() -> tuple[int, int, int, int]:
    return (
        Firing.objects.count(),
        Notification.objects.count(),
        Delivery.objects.count(),
        ComplaintEvent.objects.filter(action="deadline_warning").count(),
    )


def _assert_each_case_told_once() -> None:
    notified = Counter(
        Firing.objects.filter(outcome=FiringOutcome.NOTIFIED).values_list("complaint_id", flat=True)
    )
    assert len(notified) == CASES and set(notified.values()) == {1}
    per_case = Counter(Notification.objects.values_list("complaint_id", "recipient__username"))
    assert len(per_case) == CASES * 3 and set(per_case.values()) == {1}
    warned = Counter(
        ComplaintEvent.objects.filter(action="deadline_warning").values_list(
            "complaint_id", flat=True
        )
    )
    assert len(warned) == CASES and set(warned.values()) == {1}


def test_a_backlog_is_checked_in_batches_and_each_case_is_told_once(backlog, staff):
    report = sweep(batch=15)  # three batches, the last one short

    assert report.checked == CASES and report.errors == 0
    assert report.fired == CASES * 3 and report.notices == CASES * 3
    _assert_each_case_told_once()
    assert _written() == (CASES * 3, CASES * 3, CASES * 3, CASES)
    # Each warning names the people its notices went to.
    event = ComplaintEvent.objects.filter(action="deadline_warning").first()
    assert event is not None
    assert event.data["threshold"] == "due" and event.data["superseded"] == ["half", "eighty"]
    told = Notification.objects.filter(complaint_id=event.complaint_id)
    assert event.data["recipients"] == sorted(told.values_list("recipient_id", flat=True))
    # Every case is overdue: looked at again for its reminder on the next working morning.
    assert set(WatchState.objects.values_list("next_check_at", flat=True)) == {at(2026, 1, 21, 9)}


def test_looking_again_the_same_day_writes_nothing_new(backlog, staff):
    sweep(batch=15)
    fired = Firing.objects.count()
    WatchState.objects.update(next_check_at=FIRST_LOOK)  # as if every case were due again
    report = sweep(batch=15)
    # No threshold fires twice; the overdue cases get their daily reminder (handler and head).
    assert report.fired == 0 and report.reminded == CASES and report.notices == CASES * 2
    assert Firing.objects.count() == fired
    written = _written()

    WatchState.objects.update(next_check_at=FIRST_LOOK)
    report = sweep(batch=15)
    assert report.checked == CASES and report.fired == 0 and report.notices == 0
    assert _written() == written


def test_a_batch_whose_write_fails_is_retried_case_by_case(backlog, staff, monkeypatch):
    broken = backlog[7].pk
    real = notify.create_many

    def create_many(notices, timing):
        if any(n.complaint.pk == broken for n in notices):
            raise RuntimeError("channel table unavailable")
        return real(notices, timing)

    monkeypatch.setattr(notify, "create_many", create_many)
    report = sweep(batch=15)

    # The failed batch was rolled back whole and its cases looked at one by one: only the
    # broken case is left for a retry, nothing is written twice.
    assert report.errors == 1 and report.checked == CASES - 1
    assert not Firing.objects.filter(complaint_id=broken).exists()
    state = WatchState.objects.get(complaint_id=broken)
    assert "channel table unavailable" in state.last_error
    assert state.next_check_at == FIRST_LOOK + RETRY_AFTER
    assert Firing.objects.filter(outcome=FiringOutcome.NOTIFIED).count() == CASES - 1

    monkeypatch.setattr(notify, "create_many", real)
    sweep()  # too early for the retry: nothing
    assert not Firing.objects.filter(complaint_id=broken).exists()
    assert sweep(now=FIRST_LOOK + RETRY_AFTER).checked == 1
    _assert_each_case_told_once()


def test_the_reconcile_marks_moved_deadlines_and_unreported_major_cases(backlog, staff, frozen):
    sweep()
    moved, major, quiet = backlog[0], backlog[1], backlog[2]
    # Changes made behind the event log's back (e.g. a restored backup): only the reconcile
    # can see them.
    Complaint.objects.filter(pk=moved.pk).update(due_at=at(2026, 2, 5))
    Complaint.objects.filter(pk=major.pk).update(is_major=True, major_reason="group")
    WatchState.objects.filter(complaint=quiet).delete()
    frozen(at(2026, 1, 21, 1))

    assert discover(full=True) == 3
    due = set(
        WatchState.objects.filter(next_check_at=at(2026, 1, 21, 1)).values_list(
            "complaint_id", flat=True
        )
    )
    assert due == {moved.pk, major.pk, quiet.pk}
    # A second reconcile finds nothing new to mark: those rows are due already.
    assert discover(full=True) == 0

    sweep()
    assert Notification.objects.filter(complaint=major, kind=NotificationKind.MAJOR).count() == 4
    # The moved deadline re-arms: 50% of the new period had passed before the move was seen
    # and already fired for the old deadline, so it is carried over without a notice.
    outcomes = Firing.objects.filter(complaint=moved, due_at=at(2026, 2, 5))
    assert list(outcomes.values_list("outcome", flat=True)) == [FiringOutcome.CARRIED_OVER]
    assert WatchState.objects.get(complaint=moved).due_at == at(2026, 2, 5)


def test_cases_closed_in_the_backlog_leave_the_watch(backlog, staff):
    discover()
    first = backlog[0]
    # Closed behind the event log's back: the look itself finds the case closed.
    Complaint.objects.filter(pk=first.pk).update(status=Status.WITHDRAWN)
    report = sweep(batch=15)
    assert report.checked == CASES and report.notices == (CASES - 1) * 3
    assert not WatchState.objects.filter(complaint=first).exists()
    assert not Firing.objects.filter(complaint=first).exists()


def test_each_look_is_recorded_on_its_watch_row_with_one_write(backlog, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    discover()
    WatchState.objects.filter(complaint=backlog[3]).update(last_error="RuntimeError: earlier")
    before = dict(WatchState.objects.values_list("complaint_id", "revision"))
    table = WatchState._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        report = sweep(batch=15)
    assert report.checked == CASES
    rows = WatchState.objects.all()
    # Every row looked at once: one revision up, stamped with the look, the old error cleared.
    assert {r.complaint_id: r.revision - before[r.complaint_id] for r in rows} == dict.fromkeys(
        before, 1
    )
    assert {r.checked_at for r in rows} == {FIRST_LOOK} and {r.last_error for r in rows} == {""}
    updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')
    ]
    if connection.vendor == "postgresql":
        # The rows are locked by the batch's read: the claim goes out with the final upsert.
        assert updates == []
    else:
        assert len(updates) == CASES  # one conditional claim per row; no lock to lean on


def test_a_failed_look_records_the_claim_with_the_error(backlog, staff, monkeypatch):
    from xiaobao.watch import sweep as sweep_module

    broken = backlog[5].pk
    real = sweep_module._decide

    def decide(state, complaint, *args):
        if complaint.pk == broken:
            raise ValueError("rule book unreadable")
        return real(state, complaint, *args)

    discover()
    revision = WatchState.objects.get(complaint_id=broken).revision
    monkeypatch.setattr(sweep_module, "_decide", decide)
    report = sweep(batch=15)
    assert report.errors == 1 and report.checked == CASES - 1
    state = WatchState.objects.get(complaint_id=broken)
    assert state.revision == revision + 1 and state.checked_at == FIRST_LOOK
    assert "rule book unreadable" in state.last_error
    assert state.next_check_at == FIRST_LOOK + RETRY_AFTER
