from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar
import pytest

from xiaobao.deadlines.workcal import WorkCalendar

CST = timezone(timedelta(hours=8))
cal = WorkCalendar()


def test_package_holidays_and_make_up_days_2026() -> None:
    # National Day 2026: 1–7 October off, 8 October back at work, Sat 10 October is 调休.
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday
    # Spring Festival 2026: 15–23 February off; Saturdays 14 and 28 February are 调休.
    assert not any(cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    make_up = [
        d
        for d in chinese_calendar.get_workdays(date(2026, 2, 1), date(2026, 2, 28))
        if d.weekday() >= 5
    ]
    assert make_up == [date(2026, 2, 14), date(2026, 2, 28)]
    assert all(cal.is_workday(d) and cal.is_known(d) for d in make_up)


def test_override_wins_over_package() -> None:
    over = WorkCalendar({date(2026, 10, 5): True, date(2026, 10, 9): False})
    assert over.is_workday(date(2026, 10, 5))
    assert not over.is_workday(date(2026, 10, 9))
    assert over.is_known(date(2026, 10, 5))
    # A datetime key or query still hits the override.
    assert not over.is_workday(datetime(2026, 10, 9, 12))


def test_unknown_year_falls_back_to_monday_to_friday() -> None:
    assert cal.is_workday(date(2031, 1, 1))  # Wednesday: New Year, but the package doesn't know
    assert not cal.is_workday(date(2031, 1, 4))  # Saturday
    assert not cal.is_known(date(2031, 1, 1))
    assert cal.is_known(date(2026, 1, 1))
    known = WorkCalendar({date(2031, 1, 1): False})
    assert not known.is_workday(date(2031, 1, 1)) and known.is_known(date(2031, 1, 1))


def test_add_workdays() -> None:
    assert cal.add_workdays(date(2026, 2, 10), 0) == date(2026, 2, 10)
    # After Tue 10 Feb: 11, 12, 13, Sat 14 (调休), 24, 25, 26 → 7th is 26 February.
    assert cal.add_workdays(date(2026, 2, 10), 7) == date(2026, 2, 26)
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    with pytest.raises(ValueError):
        cal.add_workdays(date(2026, 1, 5), -1)


def test_next_workday_and_workdays_between() -> None:
    assert cal.next_workday(date(2026, 10, 8)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 10, 3)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 2, 14)) == date(2026, 2, 14)
    assert cal.workdays_between(date(2026, 2, 10), date(2026, 2, 26)) == 7
    assert cal.workdays_between(date(2026, 2, 10), date(2026, 2, 10)) == 0
    assert cal.workdays_between(date(2026, 2, 26), date(2026, 2, 10)) == 0


def test_next_working_moment() -> None:
    inside = datetime(2026, 10, 9, 10, 0, tzinfo=CST)
    assert cal.next_working_moment(inside) == inside
    # Holiday → first morning after National Day.
    assert cal.next_working_moment(datetime(2026, 10, 3, 11, tzinfo=CST)) == datetime(
        2026, 10, 8, 9, tzinfo=CST
    )
    # Friday evening → the make-up Saturday 10 October, not Monday.
    assert cal.next_working_moment(datetime(2026, 10, 9, 17, 30, tzinfo=CST)) == datetime(
        2026, 10, 10, 9, tzinfo=CST
    )
    # Early morning on a working day → 09:00 the same day; custom hours respected.
    assert cal.next_working_moment(datetime(2026, 2, 14, 7, tzinfo=CST)) == datetime(
        2026, 2, 14, 9, tzinfo=CST
    )
    assert cal.next_working_moment(
        datetime(2026, 2, 13, 18, tzinfo=CST), start=time(8, 30), end=time(18, 30)
    ) == datetime(2026, 2, 13, 18, tzinfo=CST)
    # Judged in dt's own zone: 12:00 UTC on a working day is inside UTC office hours.
    noon_utc = datetime(2026, 10, 9, 12, tzinfo=UTC)
    assert cal.next_working_moment(noon_utc) == noon_utc


def test_next_working_moment_rejects_naive_and_bad_hours() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_working_moment(datetime(2026, 10, 9, 10))
    with pytest.raises(ValueError):
        cal.next_working_moment(datetime(2026, 10, 9, 10, tzinfo=CST), start=time(18), end=time(9))
