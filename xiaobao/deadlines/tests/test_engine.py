from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from xiaobao.deadlines.engine import (
    TZ,
    Pause,
    Policy,
    compute_due,
    days_left,
    fraction_used,
    review_due,
    review_window,
)
from xiaobao.deadlines.workcal import WorkCalendar

CST = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 1, 5, 10, tzinfo=CST)
P15 = Policy()


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=CST)


def test_basic_fifteen_days() -> None:
    r = compute_due(received_at=RECEIVED, policy=P15)
    assert r.due_date == date(2026, 1, 20)
    assert r.due_at == datetime(2026, 1, 21, 0, 0, tzinfo=TZ)
    assert r.due_at == datetime(2026, 1, 20, 16, tzinfo=UTC)
    assert (r.clock_start, r.allowed_days, r.paused_days) == (date(2026, 1, 5), 15, 0)
    assert not r.paused and not r.rolled_over
    assert r.explanation[:2] == ["2026年1月5日受理，次日起算", "期限 15 日"]


def test_utc_evening_is_next_day_in_shanghai() -> None:
    r = compute_due(received_at=datetime(2026, 1, 4, 17, 30, tzinfo=UTC), policy=P15)
    assert r.clock_start == date(2026, 1, 5)
    assert r.due_date == date(2026, 1, 20)


@pytest.mark.parametrize(("days", "due"), [(30, date(2026, 2, 4)), (60, date(2026, 3, 6))])
def test_extensions(days: int, due: date) -> None:
    r = compute_due(received_at=RECEIVED, policy=P15, allowed_days=days)
    assert (r.due_date, r.allowed_days) == (due, days)
    assert f"延期至 {days} 日" in r.explanation


def test_pause_of_four_days() -> None:
    r = compute_due(
        received_at=RECEIVED, policy=P15, pauses=[Pause(at(2026, 1, 7), at(2026, 1, 11, 9))]
    )
    assert (r.paused_days, r.due_date) == (4, date(2026, 1, 24))
    assert "中止计时 4 日（鉴定/调解）" in r.explanation


def test_same_day_pause_adds_nothing() -> None:
    r = compute_due(
        received_at=RECEIVED, policy=P15, pauses=[Pause(at(2026, 1, 7, 9), at(2026, 1, 7, 16))]
    )
    assert (r.paused_days, r.due_date) == (0, date(2026, 1, 20))


def test_overlapping_pauses_not_double_counted() -> None:
    pauses = [
        Pause(at(2026, 1, 7), at(2026, 1, 11)),  # appraisal 7→11
        Pause(at(2026, 1, 9), at(2026, 1, 13)),  # mediation 9→13, overlaps
        Pause(at(2026, 1, 13), at(2026, 1, 14)),  # adjacent
        Pause(at(2026, 1, 16), at(2026, 1, 18)),  # separate
    ]
    r = compute_due(received_at=RECEIVED, policy=P15, pauses=pauses)
    assert r.paused_days == 7 + 2
    assert r.due_date == date(2026, 1, 29)


def test_open_pause_suspends_deadline() -> None:
    r = compute_due(
        received_at=RECEIVED,
        policy=P15,
        pauses=[Pause(at(2026, 1, 6), at(2026, 1, 8)), Pause(at(2026, 1, 10), None)],
    )
    assert r.paused and r.due_date is None and r.due_at is None
    assert r.paused_days == 2


def test_pause_after_expiry_is_ignored() -> None:
    # Due 20 January; a pause starting on the last day counts, one starting 21 January doesn't.
    on_last = compute_due(
        received_at=RECEIVED, policy=P15, pauses=[Pause(at(2026, 1, 20), at(2026, 1, 22))]
    )
    assert on_last.due_date == date(2026, 1, 22)
    late = compute_due(received_at=RECEIVED, policy=P15, pauses=[Pause(at(2026, 1, 21), None)])
    assert not late.paused and late.due_date == date(2026, 1, 20)


def test_restart_from_new_material() -> None:
    r = compute_due(
        received_at=RECEIVED,
        policy=P15,
        restarted_at=at(2026, 1, 10, 15),
        pauses=[Pause(at(2026, 1, 6), at(2026, 1, 9))],  # before the restart: wiped out
    )
    assert r.clock_start == date(2026, 1, 10)
    assert (r.paused_days, r.due_date) == (0, date(2026, 1, 25))
    assert "因补充新材料，自2026年1月10日重新起算" in r.explanation


def test_pause_running_across_restart_counts_from_restart_day() -> None:
    r = compute_due(
        received_at=RECEIVED,
        policy=P15,
        restarted_at=at(2026, 1, 10),
        pauses=[Pause(at(2026, 1, 8), at(2026, 1, 12))],
    )
    assert (r.paused_days, r.due_date) == (2, date(2026, 1, 27))


def test_roll_over_across_national_day_2026() -> None:
    # Received 18 September + 15 days → 3 October, inside the 1–7 October holiday.
    received = at(2026, 9, 18)
    strict = compute_due(received_at=received, policy=P15)
    assert strict.due_date == date(2026, 10, 3) and not strict.rolled_over
    rolled = compute_due(received_at=received, policy=Policy(roll_over_holidays=True))
    assert rolled.due_date == date(2026, 10, 8) and rolled.rolled_over
    assert rolled.due_at == datetime(2026, 10, 9, tzinfo=TZ)
    assert "截止日2026年10月3日遇节假日顺延至2026年10月8日" in rolled.explanation
    # A last day on the make-up Saturday 10 October is a working day: no roll-over.
    sat = compute_due(received_at=at(2026, 9, 25), policy=Policy(roll_over_holidays=True))
    assert sat.due_date == date(2026, 10, 10) and not sat.rolled_over


def test_seven_working_days_across_spring_festival_2026() -> None:
    # After Tue 10 Feb: 11, 12, 13, Sat 14 (调休), [15–23 holiday], 24, 25, 26.
    r = compute_due(received_at=at(2026, 2, 10), policy=Policy(days=7, working_days=True))
    assert r.due_date == date(2026, 2, 26)
    assert "期限 7 个工作日" in r.explanation
    # Two paused days add two working days: 27 February, then the make-up Saturday 28th.
    paused = compute_due(
        received_at=at(2026, 2, 10),
        policy=Policy(days=7, working_days=True),
        pauses=[Pause(at(2026, 2, 11), at(2026, 2, 13))],
    )
    assert (paused.paused_days, paused.due_date) == (2, date(2026, 2, 28))


def test_working_days_use_override_calendar() -> None:
    cal = WorkCalendar({date(2026, 2, 26): False})
    r = compute_due(
        received_at=at(2026, 2, 10), policy=Policy(days=7, working_days=True), calendar=cal
    )
    assert r.due_date == date(2026, 2, 27)


def test_review_window_and_review_due() -> None:
    last, end = review_window(notice_at=RECEIVED)
    assert last == date(2026, 2, 4) and end == datetime(2026, 2, 5, tzinfo=TZ)
    r = review_due(requested_at=at(2026, 2, 1))
    assert r.due_date == date(2026, 3, 3) and r.allowed_days == 30


def test_days_left() -> None:
    due_at = datetime(2026, 1, 21, tzinfo=TZ)
    assert days_left(due_at, at(2026, 1, 19, 23)) == 1
    assert days_left(due_at, at(2026, 1, 20, 0)) == 0
    assert days_left(due_at, datetime(2026, 1, 20, 23, 59, tzinfo=TZ)) == 0
    assert days_left(due_at, due_at) == -1
    assert days_left(due_at, at(2026, 1, 5)) == 15


def test_fraction_used() -> None:
    start, due = at(2026, 1, 5, 0), datetime(2026, 1, 15, tzinfo=TZ)
    assert fraction_used(clock_start_at=start, due_at=due, now=at(2026, 1, 4)) == 0.0
    assert fraction_used(clock_start_at=start, due_at=due, now=at(2026, 1, 10, 0)) == 0.5
    assert fraction_used(clock_start_at=start, due_at=due, now=due) == 1.0
    assert fraction_used(clock_start_at=start, due_at=due, now=at(2026, 1, 25, 0)) == 2.0
    with pytest.raises(ValueError):
        fraction_used(clock_start_at=due, due_at=start, now=due)


def test_validation() -> None:
    naive = datetime(2026, 1, 5, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(received_at=naive, policy=P15)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(naive, None)
    with pytest.raises(ValueError, match="before it starts"):
        Pause(at(2026, 1, 8), at(2026, 1, 7))
    with pytest.raises(ValueError, match=">= 0"):
        Policy(days=-1)
    with pytest.raises(ValueError, match=">= 0"):
        compute_due(received_at=RECEIVED, policy=P15, allowed_days=-5)
    with pytest.raises(ValueError, match="before received_at"):
        compute_due(received_at=RECEIVED, policy=P15, restarted_at=at(2026, 1, 4))
    with pytest.raises(ValueError, match="timezone-aware"):
        days_left(datetime(2026, 1, 21), RECEIVED)
