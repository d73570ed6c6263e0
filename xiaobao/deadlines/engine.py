"""Deadline engine for complaint handling (pure Python, no Django).

Counting rule (Civil Code Art. 201, 203; CBIRC 2020 No. 3 Art. 18): the day the clock starts is
not counted and a period ends at the end of its last day. Received 5 January with 15 days: the
last day is 20 January and the exclusive end moment is 21 January 00:00 Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .workcal import WorkCalendar

__all__ = [
    "TZ",
    "DueResult",
    "Pause",
    "Policy",
    "compute_due",
    "days_left",
    "fraction_used",
    "review_due",
    "review_window",
]

TZ = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
_DEFAULT_CALENDAR = WorkCalendar()


def _require_aware(name: str, dt: datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {dt!r}")


def _local_date(dt: datetime) -> date:
    return dt.astimezone(TZ).date()


def _end_of(day: date) -> datetime:
    """Exclusive end of `day`: the next midnight in Shanghai."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=TZ)


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Policy:
    days: int = 15
    working_days: bool = False  # e.g. 7 working days for regulators forwarding (Art. 33)
    roll_over_holidays: bool = False  # not settled by the rules; stricter default is no roll-over

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"Policy.days must be >= 0, got {self.days}")


@dataclass(frozen=True)
class Pause:
    """Clock stopped for appraisal/testing/valuation or mediation; end None = still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("Pause.start", self.start)
        if self.end is not None:
            _require_aware("Pause.end", self.end)
            if self.end < self.start:
                raise ValueError(f"Pause ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class DueResult:
    due_date: date | None  # last day of the period; None while paused
    due_at: datetime | None  # exclusive end moment (00:00 after due_date, Asia/Shanghai)
    clock_start: date  # not counted itself
    allowed_days: int
    paused_days: int  # closed pause days that extended the deadline
    paused: bool
    rolled_over: bool
    explanation: list[str] = field(default_factory=list)


def _merged_pause_days(
    pauses: Sequence[Pause], clock_start: date
) -> list[tuple[date, date | None]]:
    """Pauses as sorted, merged date intervals [start, end) clipped to the clock start.

    Whole calendar days: a pause from the 7th to the 11th stops 4 days; same-day pause and resume
    stops none. Merging by date keeps overlapping pauses (appraisal during mediation) from being
    counted twice. Only the part on or after the clock start matters: days paused before a
    restart are wiped out by it, while a pause still running across the restart keeps the clock
    stopped from the restart day on.
    """
    spans: list[tuple[date, date | None]] = []
    for p in pauses:
        start = max(_local_date(p.start), clock_start)
        end = None if p.end is None else _local_date(p.end)
        if end is not None and end <= start:
            continue
        spans.append((start, end))
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[date, date | None]] = []
    for start, end in spans:
        if merged:
            m_start, m_end = merged[-1]
            if m_end is None or start <= m_end:
                new_end = None if m_end is None or end is None else max(m_end, end)
                merged[-1] = (m_start, new_end)
                continue
        merged.append((start, end))
    return merged


def compute_due(
    *,
    received_at: datetime,
    policy: Policy,
    allowed_days: int | None = None,
    pauses: Sequence[Pause] = (),
    restarted_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> DueResult:
    _require_aware("received_at", received_at)
    days = policy.days if allowed_days is None else allowed_days
    if days < 0:
        raise ValueError(f"allowed_days must be >= 0, got {days}")
    if restarted_at is not None:
        _require_aware("restarted_at", restarted_at)
        if restarted_at < received_at:
            raise ValueError(f"restarted_at ({restarted_at}) is before received_at ({received_at})")
    cal = _DEFAULT_CALENDAR if calendar is None else calendar

    received = _local_date(received_at)
    clock_start = received if restarted_at is None else _local_date(restarted_at)
    unit = "个工作日" if policy.working_days else "日"
    explanation = [f"{_cn(received)}受理，次日起算", f"期限 {policy.days} {unit}"]
    if allowed_days is not None and allowed_days != policy.days:
        verb = "延期至" if allowed_days > policy.days else "期限调整为"
        explanation.append(f"{verb} {allowed_days} {unit}")
    if restarted_at is not None:
        explanation.append(f"因补充新材料，自{_cn(clock_start)}重新起算")

    def last_day(extra: int) -> tuple[date, date]:
        """(last day before roll-over, last day after roll-over) with `extra` paused days."""
        if policy.working_days:
            # Paused calendar days extend a working-day period by as many working days: simple,
            # never shorter than counting only the working days inside the pause, and the
            # working-day period (regulator forwarding) is not one the rules say can be paused.
            raw = cal.add_workdays(clock_start, days + extra)
        else:
            raw = clock_start + timedelta(days=days + extra)
        rolled = cal.next_workday(raw) if policy.roll_over_holidays else raw
        return raw, rolled

    paused_days, paused = 0, False
    for start, end in _merged_pause_days(pauses, clock_start):
        # A pause recorded after the period already ran out cannot revive it (the clock is
        # running on the last day itself, so a pause starting that day still counts).
        if start > last_day(paused_days)[1]:
            explanation.append(f"{_cn(start)}开始的中止在期限届满后，不计入")
            break
        if end is None:
            paused = True
            break
        paused_days += (end - start).days

    if paused_days:
        explanation.append(f"中止计时 {paused_days} 日（鉴定/调解）")
    if paused:
        explanation.append("中止计时中（鉴定/调解），截止时间暂不计算")
        return DueResult(None, None, clock_start, days, paused_days, True, False, explanation)

    raw, due = last_day(paused_days)
    rolled_over = due != raw
    if rolled_over:
        explanation.append(f"截止日{_cn(raw)}遇节假日顺延至{_cn(due)}")
    explanation.append(f"截止日 {_cn(due)}（当日24时前办结）")
    return DueResult(
        due, _end_of(due), clock_start, days, paused_days, False, rolled_over, explanation
    )


def review_window(*, notice_at: datetime, days: int = 30) -> tuple[date, datetime]:
    """Last day and exclusive end by which a review (核查) may be requested (Art. 20)."""
    result = compute_due(received_at=notice_at, policy=Policy(days=days))
    assert result.due_date is not None and result.due_at is not None  # no pauses given
    return result.due_date, result.due_at


def review_due(*, requested_at: datetime, days: int = 30) -> DueResult:
    """Deadline of a review case: decide and notify within 30 days of the request (Art. 20)."""
    return compute_due(received_at=requested_at, policy=Policy(days=days))


def days_left(due_at: datetime, now: datetime) -> int:
    """Whole calendar days left for a deadline badge: 0 on the last day, negative when overdue."""
    _require_aware("due_at", due_at)
    _require_aware("now", now)
    # due_at is an exclusive end, so the last day is the one containing the instant before it.
    last = _local_date(due_at - timedelta(microseconds=1))
    return (last - _local_date(now)).days


def fraction_used(*, clock_start_at: datetime, due_at: datetime, now: datetime) -> float:
    """Share of the period used so far (0 before the start, 1.0 at due_at, above 1 when late)."""
    for name, dt in (("clock_start_at", clock_start_at), ("due_at", due_at), ("now", now)):
        _require_aware(name, dt)
    total = (due_at - clock_start_at).total_seconds()
    if total <= 0:
        raise ValueError(f"due_at ({due_at}) must be after clock_start_at ({clock_start_at})")
    return max(0.0, (now - clock_start_at).total_seconds() / total)
