"""The sweeper with frozen time: every threshold, every ladder step, re-arming, major cases.

The `accepted` case is received 5 Jan 2026 10:00 at sub-branch A (handler_a), 15 days, due at
21 Jan 00:00. Its thresholds: 50% at 13 Jan 05:00, 80% at 17 Jan 21:12, due at 21 Jan 00:00,
three days overdue at 24 Jan 00:00.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.watch.choices import FiringOutcome, LadderStep, NotificationKind
from xiaobao.watch.models import (
    EscalationRule,
    EventCursor,
    Firing,
    Notification,
    Threshold,
    WatchState,
)
from xiaobao.watch.sweep import CURSOR, discover, sweep

from .conftest import at

pytestmark = pytest.mark.django_db

HALF = at(2026, 1, 13, 5)
EIGHTY = at(2026, 1, 17, 21, 12)
DUE = at(2026, 1, 21)
OVERDUE = at(2026, 1, 24)


def notified(code: str, complaint: Complaint | None = None) -> dict[str, int]:
    """username -> ladder step of everyone told about threshold `code`."""
    qs = Notification.objects.filter(firing__threshold__code=code)
    if complaint is not None:
        qs = qs.filter(complaint=complaint)
    return dict(qs.values_list("recipient__username", "step"))


def firings(complaint: Complaint, code: str) -> list[Firing]:
    return list(Firing.objects.filter(complaint=complaint, threshold__code=code).order_by("id"))


def warnings(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.filter(action="deadline_warning").order_by("id"))


# --- thresholds fire once, at their moment ---------------------------------------------------


def test_nothing_fires_before_the_first_threshold(accepted, staff, sweep_at):
    report = sweep_at(at(2026, 1, 13, 4, 59))
    assert report.fired == 0 and Firing.objects.count() == 0
    assert WatchState.objects.get(complaint=accepted).next_check_at == HALF


def test_half_fires_once_to_the_handler_with_an_event(accepted, staff, sweep_at):
    sweep_at(HALF)
    sweep_at(at(2026, 1, 13, 6))
    sweep_at(at(2026, 1, 14, 9))

    [firing] = firings(accepted, "half")
    assert firing.outcome == FiringOutcome.NOTIFIED and firing.due_at == accepted.due_at
    assert notified("half") == {"handler_a": LadderStep.HANDLER}
    [event] = warnings(accepted)
    assert event.occurred_at == HALF and event.data["threshold"] == "half"
    assert event.data["used"] == pytest.approx(0.5)
    assert event.data["recipients"] == [staff.handler_a.pk]
    assert WatchState.objects.get(complaint=accepted).next_check_at == EIGHTY


def test_every_threshold_climbs_the_ladder(accepted, staff, sweep_at):
    for moment in (HALF, EIGHTY, DUE, OVERDUE):
        sweep_at(moment)

    assert notified("half") == {"handler_a": LadderStep.HANDLER}
    # The case is at sub-branch A, which has no head: its head is branch A's.
    assert notified("eighty") == {"handler_a": LadderStep.HANDLER, "head_a": LadderStep.UNIT_HEAD}
    assert notified("due") == {
        "handler_a": LadderStep.HANDLER,
        "head_a": LadderStep.UNIT_HEAD,
        "officer_a": LadderStep.BRANCH_OFFICER,
    }
    assert notified("overdue_3d") == {
        "handler_a": LadderStep.HANDLER,
        "head_a": LadderStep.UNIT_HEAD,
        "officer_a": LadderStep.BRANCH_OFFICER,
        "hq_officer": LadderStep.HQ_OFFICE,
    }
    # Branch B's people never hear of branch A's case.
    assert not Notification.objects.filter(recipient__in=[staff.officer_b, staff.handler_b])
    assert [e.data["threshold"] for e in warnings(accepted)] == [
        "half",
        "eighty",
        "due",
        "overdue_3d",
    ]
    urgent = dict(Notification.objects.values_list("firing__threshold__code", "urgent"))
    assert urgent == {"half": False, "eighty": False, "due": True, "overdue_3d": True}
    # Every threshold has fired; the overdue case is looked at again on the next working
    # morning (Monday 26 January, 09:00) for its daily reminder.
    assert WatchState.objects.get(complaint=accepted).next_check_at == at(2026, 1, 26, 9)


def test_the_nearest_unit_head_is_asked_first(accepted, staff, more_people, sweep_at):
    sweep_at(EIGHTY)
    assert notified("eighty") == {"handler_a": 1, "head_sub_a": LadderStep.UNIT_HEAD}


def test_a_case_first_seen_late_sends_only_the_highest_threshold(accepted, staff, sweep_at):
    sweep_at(at(2026, 1, 18, 10))

    outcomes = dict(Firing.objects.values_list("threshold__code", "outcome"))
    assert outcomes == {"half": FiringOutcome.SUPERSEDED, "eighty": FiringOutcome.NOTIFIED}
    assert Notification.objects.filter(firing__threshold__code="half").count() == 0
    assert notified("eighty") == {"handler_a": 1, "head_a": 2}
    [event] = warnings(accepted)
    assert event.data["superseded"] == ["half"]


def test_an_unassigned_case_is_not_lost(register, staff, sweep_at, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register()  # registered, nobody has accepted it yet
    sweep_at(HALF)
    # No handler yet: the 50% notice climbs to the first step with someone on it.
    assert notified("half", complaint) == {"head_a": LadderStep.UNIT_HEAD}


def test_per_level_rules_complex_cases_tell_the_head_at_half(accepted, staff, sweep_at, frozen):
    frozen(at(2026, 1, 6, 9))
    services.complaint_classify(actor=staff.handler_a, complaint=accepted, level="COMPLEX")
    sweep_at(HALF)
    assert notified("half") == {"handler_a": 1, "head_a": 2}


def test_an_inactive_level_rule_silences_the_threshold_for_that_level(
    accepted, staff, sweep_at, frozen
):
    half = Threshold.objects.get(code="half")
    rule = EscalationRule.objects.get(threshold=half, level__code="COMPLEX")
    rule.is_active = False
    rule.save()
    frozen(at(2026, 1, 6, 9))
    services.complaint_classify(actor=staff.handler_a, complaint=accepted, level="COMPLEX")
    sweep_at(EIGHTY)
    assert dict(Firing.objects.values_list("threshold__code", "outcome")) == {"eighty": "notified"}


# --- re-arming when the deadline moves ---------------------------------------------------------


def test_an_extension_re_arms_every_threshold(accepted, staff, sweep_at, frozen):
    sweep_at(HALF)
    frozen(at(2026, 1, 14, 9))
    extension = services.extension_request(
        actor=staff.handler_a, complaint=accepted, target_days=30, reason="需调取监控录像"
    )
    frozen(at(2026, 1, 14, 10))
    services.extension_approve(actor=staff.head_a, extension=extension)
    accepted.refresh_from_db()
    assert accepted.due_at == at(2026, 2, 5)

    sweep_at(at(2026, 1, 14, 10, 1))
    # 50% of the new period (5 Jan 10:00 → 5 Feb 00:00) is 20 Jan 17:00; nothing before that.
    state = WatchState.objects.get(complaint=accepted)
    assert state.due_at == at(2026, 2, 5) and state.next_check_at == at(2026, 1, 20, 17)
    sweep_at(EIGHTY)  # the old 80% moment passes quietly
    assert len(firings(accepted, "eighty")) == 0

    sweep_at(at(2026, 1, 20, 17))
    old, new = firings(accepted, "half")
    assert (old.due_at, new.due_at) == (DUE, at(2026, 2, 5))
    assert new.outcome == FiringOutcome.NOTIFIED
    assert Notification.objects.filter(firing=new, recipient=staff.handler_a).exists()


def test_new_facts_restart_the_clock_and_re_arm(accepted, staff, sweep_at, frozen):
    sweep_at(EIGHTY)
    frozen(at(2026, 1, 18, 10))
    services.complaint_add_new_facts(
        actor=staff.handler_a,
        complaint=accepted,
        received_at=at(2026, 1, 18, 9),
        description="客户补充提交了年费扣收短信截图",
    )
    sweep_at(at(2026, 1, 18, 10, 1))
    accepted.refresh_from_db()
    assert accepted.due_at == at(2026, 2, 3)
    assert Firing.objects.filter(due_at=accepted.due_at).count() == 0
    # New 50%: 18 Jan 09:00 + half of (3 Feb 00:00 − 18 Jan 09:00) = 26 Jan 04:30.
    assert WatchState.objects.get(complaint=accepted).next_check_at == at(2026, 1, 26, 4, 30)
    sweep_at(at(2026, 1, 26, 4, 30))
    assert [f.due_at for f in firings(accepted, "half")] == [DUE, at(2026, 2, 3)]


def test_a_pause_stops_the_watch_and_resuming_re_arms_without_repeating(
    accepted, staff, sweep_at, frozen
):
    sweep_at(HALF)
    frozen(at(2026, 1, 14, 10))
    services.complaint_pause(
        actor=staff.handler_a, complaint=accepted, reason="appraisal", told_by="phone"
    )
    sweep_at(at(2026, 1, 14, 10, 1))
    assert WatchState.objects.get(complaint=accepted).next_check_at is None
    sweep_at(EIGHTY)  # paused: the old 80% moment means nothing
    sweep_at(DUE)
    assert Firing.objects.count() == 1

    frozen(at(2026, 1, 24, 10))
    services.complaint_resume(actor=staff.handler_a, complaint=accepted)
    accepted.refresh_from_db()
    assert accepted.due_at == at(2026, 1, 31)  # ten days paused
    sweep_at(at(2026, 1, 24, 10, 1))
    # The paused days do not count as used: the new 50% (23 Jan 05:00) was already behind at
    # the resume and had fired for the old deadline, so it is carried over, not sent again.
    [_old, carried] = firings(accepted, "half")
    assert carried.outcome == FiringOutcome.CARRIED_OVER
    assert Notification.objects.filter(firing=carried).count() == 0
    assert WatchState.objects.get(complaint=accepted).next_check_at == at(2026, 1, 27, 21, 12)

    sweep_at(at(2026, 1, 27, 21, 12))
    sweep_at(at(2026, 1, 31))
    assert [f.outcome for f in firings(accepted, "eighty")] == ["notified"]
    assert [f.due_at for f in firings(accepted, "due")] == [at(2026, 1, 31)]


def test_a_same_day_pause_changes_nothing_and_re_arms_nothing(accepted, staff, sweep_at, frozen):
    sweep_at(HALF)
    frozen(at(2026, 1, 14, 10))
    services.complaint_pause(
        actor=staff.handler_a, complaint=accepted, reason="mediation", told_by="phone"
    )
    frozen(at(2026, 1, 14, 15))
    services.complaint_resume(actor=staff.handler_a, complaint=accepted)
    sweep_at(at(2026, 1, 14, 15, 1))
    assert len(firings(accepted, "half")) == 1
    assert WatchState.objects.get(complaint=accepted).next_check_at == EIGHTY


def test_answered_cases_leave_the_watch(notified, staff, sweep_at):
    sweep_at(DUE)
    assert not WatchState.objects.filter(complaint=notified).exists()
    assert Firing.objects.count() == 0


def test_a_decided_but_not_yet_notified_case_is_still_watched(decided, staff, sweep_at):
    sweep_at(DUE)
    assert firings(decided, "due")


# --- major complaints go to the top at once ----------------------------------------------------


def test_a_group_complaint_is_reported_to_head_office_at_once(register, staff, sweep_at, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register(group_size=25)
    assert complaint.is_major
    sweep_at(at(2026, 1, 5, 11, 1))

    major = Notification.objects.filter(kind=NotificationKind.MAJOR)
    assert dict(major.values_list("recipient__username", "step")) == {
        "head_a": LadderStep.UNIT_HEAD,
        "officer_a": LadderStep.BRANCH_OFFICER,
        "hq_officer": LadderStep.HQ_OFFICE,
    }
    assert all(n.urgent and n.deliver_after == n.created_at for n in major)
    sweep_at(at(2026, 1, 5, 12))
    assert major.count() == 3  # reported once

    sweep_at(HALF)
    assert "hq_officer" in notified("half", complaint)


def test_flagging_a_case_major_reports_it_and_every_threshold_reaches_the_top(
    accepted, staff, sweep_at, frozen
):
    sweep_at(at(2026, 1, 6, 9))
    frozen(at(2026, 1, 6, 10))
    services.complaint_flag_major(
        actor=staff.officer_a, complaint=accepted, reason="regulator", note="监管部门来函认定"
    )
    sweep_at(at(2026, 1, 6, 10, 1))
    assert Notification.objects.filter(kind=NotificationKind.MAJOR).count() == 4
    sweep_at(HALF)
    assert notified("half") == {"handler_a": 1, "head_a": 2, "officer_a": 3, "hq_officer": 4}
    assert Notification.objects.filter(firing__threshold__code="half", urgent=True).count() == 4


# --- discovery: the event log is the work queue ------------------------------------------------


def test_the_first_pass_looks_at_every_open_case_and_later_passes_read_only_new_events(
    accepted, staff, sweep_at, frozen, register, org
):
    sweep_at(at(2026, 1, 5, 12))
    cursor = EventCursor.objects.get(name=CURSOR)
    assert (
        cursor.reconciled_at is not None and cursor.high == ComplaintEvent.objects.latest("pk").pk
    )

    frozen(at(2026, 1, 6, 9))
    other = register(received_at=at(2026, 1, 6, 8), unit=org.sub_b, actor=staff.handler_b)
    assert discover() == 1
    assert WatchState.objects.get(complaint=other).next_check_at == at(2026, 1, 6, 9)


def test_events_that_appear_late_below_the_cursor_are_still_read(accepted, staff, frozen):
    frozen(at(2026, 1, 6, 9))
    discover()
    WatchState.objects.all().delete()
    last = ComplaintEvent.objects.latest("pk").pk
    # An event committed after a later one (ids are handed out before commit): simulate it by
    # writing the later id first.
    ComplaintEvent.objects.create(
        pk=last + 2, complaint=accepted, action="classify", occurred_at=at(2026, 1, 6, 9)
    )
    discover()
    cursor = EventCursor.objects.get(name=CURSOR)
    assert cursor.high == last + 2 and list(cursor.holes) == [str(last + 1)]

    WatchState.objects.all().delete()
    ComplaintEvent.objects.create(
        pk=last + 1, complaint=accepted, action="pause", occurred_at=at(2026, 1, 6, 9)
    )
    assert discover() == 1
    assert EventCursor.objects.get(name=CURSOR).holes == {}


def test_a_hole_is_given_up_after_a_while(accepted, staff, frozen):
    frozen(at(2026, 1, 6, 9))
    discover()
    last = ComplaintEvent.objects.latest("pk").pk
    ComplaintEvent.objects.create(
        pk=last + 2, complaint=accepted, action="classify", occurred_at=at(2026, 1, 6, 9)
    )
    discover()
    frozen(at(2026, 1, 6, 9, 11))
    discover()
    assert EventCursor.objects.get(name=CURSOR).holes == {}


def test_reconcile_repairs_a_lost_watch_row(accepted, staff, sweep_at):
    sweep_at(at(2026, 1, 6, 9))
    WatchState.objects.all().delete()
    sweep()  # events are all read: nothing would bring the case back but a reconcile
    assert not WatchState.objects.exists()
    sweep(reconcile_all=True)
    assert WatchState.objects.get(complaint=accepted).next_check_at == HALF


def test_a_pass_with_nothing_due_never_reads_the_registry(accepted, register, staff, sweep_at):
    sweep_at(at(2026, 1, 6, 9))
    with CaptureQueriesContext(connection) as queries:
        sweep_at(at(2026, 1, 6, 10))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"complaints_complaint"' not in sql
    assert "watch_watchstate" in sql and "next_check_at" in sql


def test_a_broken_case_is_retried_later_and_does_not_stop_the_others(
    accepted, register, staff, sweep_at, frozen, monkeypatch
):
    frozen(at(2026, 1, 5, 11))
    other = register(title="另一件投诉")
    from xiaobao.watch import sweep as sweep_module

    real = sweep_module.clock_start

    def broken(complaint, **kwargs):
        if complaint.pk == accepted.pk:
            raise RuntimeError("boom")
        return real(complaint, **kwargs)

    monkeypatch.setattr(sweep_module, "clock_start", broken)
    report = sweep_at(HALF)
    assert report.errors == 1
    assert firings(other, "half") and not firings(accepted, "half")
    state = WatchState.objects.get(complaint=accepted)
    assert "boom" in state.last_error and state.next_check_at == at(2026, 1, 13, 5, 5)

    monkeypatch.setattr(sweep_module, "clock_start", real)
    sweep_at(at(2026, 1, 13, 5, 5))
    assert firings(accepted, "half")


def test_the_daily_reconcile_still_reads_new_events(accepted, staff, sweep_at, frozen):
    sweep_at(at(2026, 1, 6, 9))
    frozen(at(2026, 1, 6, 10))
    services.complaint_flag_major(
        actor=staff.officer_a, complaint=accepted, reason="accident", note="营业网点安全事故"
    )
    frozen(at(2026, 1, 6, 10, 1))
    sweep(reconcile_all=True)
    assert Notification.objects.filter(kind=NotificationKind.MAJOR).count() == 4
    cursor = EventCursor.objects.get(name=CURSOR)
    assert cursor.high == ComplaintEvent.objects.latest("pk").pk
    assert cursor.reconciled_at == at(2026, 1, 6, 10, 1)
