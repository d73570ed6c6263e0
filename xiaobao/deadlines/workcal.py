"""Chinese working calendar: State-Council holidays and make-up working days (调休).

Working days in China are not Monday to Friday. The `chinesecalendar` package carries the
published table; administrators can enter overrides (e.g. next year's dates, published each
November, before the package is updated), and for years neither knows we fall back to Mon–Fri.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import chinese_calendar

__all__ = ["WorkCalendar"]

_ONE_DAY = timedelta(days=1)


def _as_date(d: date) -> date:
    # datetime is a subclass of date but never compares equal to one, so override lookups
    # would silently miss; accept it and use its own calendar date.
    return d.date() if isinstance(d, datetime) else d


class WorkCalendar:
    """Answers "is this a working day?" with overrides > chinesecalendar > Mon–Fri."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = {
            _as_date(d): bool(v) for d, v in (overrides or {}).items()
        }
        # The answers so far: a calendar does not change once built, and an import asks about
        # the same few hundred days for every row (the package checks each date's range first).
        self._known: dict[date, tuple[bool, bool]] = {}

    def _lookup(self, d: date) -> tuple[bool, bool]:
        """(is working day, whether a maintained table knew it)."""
        d = _as_date(d)
        known = self._known.get(d)
        if known is None:
            known = self._known[d] = self._answer(d)
        return known

    def _answer(self, d: date) -> tuple[bool, bool]:
        if d in self._overrides:
            return self._overrides[d], True
        try:
            return bool(chinese_calendar.is_workday(d)), True
        except NotImplementedError:
            # The package only covers the years it ships; a guess beats refusing to compute.
            return d.weekday() < 5, False

    def is_workday(self, d: date) -> bool:
        return self._lookup(d)[0]

    def is_known(self, d: date) -> bool:
        """True if the answer for `d` came from an override or the package, not the fallback."""
        return self._lookup(d)[1]

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (the start day is not counted)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = _as_date(start)
        while n > 0:
            d += _ONE_DAY
            if self.is_workday(d):
                n -= 1
        return d

    def next_workday(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        d = _as_date(d)
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Number of working days in (a, b]; 0 when b <= a (the interval is empty)."""
        d, end, count = _as_date(a), _as_date(b), 0
        while d < end:
            d += _ONE_DAY
            count += self.is_workday(d)
        return count

    def next_working_moment(
        self, dt: datetime, *, start: time = time(9), end: time = time(17, 30)
    ) -> datetime:
        """`dt` if it lies in [start, end) of a working day in dt's own zone, else the start of
        the next working period (used to defer notifications to office hours)."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("dt must be timezone-aware")
        if start >= end:
            raise ValueError("working hours start must be before their end")
        day, clock = dt.date(), dt.time()
        if self.is_workday(day):
            if start <= clock < end:
                return dt
            if clock < start:
                return datetime.combine(day, start, tzinfo=dt.tzinfo)
        day = self.next_workday(day + _ONE_DAY)
        return datetime.combine(day, start, tzinfo=dt.tzinfo)
