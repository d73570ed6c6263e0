"""The bridge between the registry and the pure deadline engine.

Policies and calendar overrides are rows an administrator edits; the engine in
`xiaobao.deadlines` knows nothing of Django. A case keeps a copy of the policy it started under,
so editing a policy changes new cases, never the deadline already promised on an old one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from xiaobao.complaints.choices import PolicyKind
from xiaobao.complaints.models import CalendarDay, Complaint, DeadlinePolicy
from xiaobao.deadlines.engine import DueResult, Pause, Policy, compute_due
from xiaobao.deadlines.workcal import WorkCalendar
from xiaobao.lib import memo
from xiaobao.lib.memo import remembered

# The rules' own numbers (Art. 18, 20, 33), used when no policy row exists.
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    PolicyKind.COMPLAINT: {"days": 15, "extension_days": 30, "max_extension_days": 60},
    PolicyKind.REVIEW: {"days": 30},
    PolicyKind.REVIEW_REQUEST: {"days": 30},
    PolicyKind.REGULATOR_FORWARD: {"days": 7, "working_days": True},
}


def policy_snapshot(kind: str) -> dict[str, Any]:
    """The policy to copy onto a new case (a fresh dict: the caller may keep it)."""
    return dict(remembered(("policy", kind), lambda: _read_policy(kind), stamp=memo.POLICIES))


def _read_policy(kind: str) -> dict[str, Any]:
    row = DeadlinePolicy.objects.filter(kind=kind).first()
    if row is not None:
        return row.snapshot()
    base = {
        "kind": kind,
        "days": 15,
        "working_days": False,
        "roll_over_holidays": False,
        "extension_days": None,
        "max_extension_days": None,
    }
    return {**base, **DEFAULT_POLICIES[kind]}


def engine_policy(snapshot: dict[str, Any]) -> Policy:
    return Policy(
        days=int(snapshot["days"]),
        working_days=bool(snapshot.get("working_days")),
        roll_over_holidays=bool(snapshot.get("roll_over_holidays")),
    )


def current_calendar() -> WorkCalendar:
    return remembered("calendar", _read_calendar, stamp=memo.CALENDAR)


def _read_calendar() -> WorkCalendar:
    overrides: dict[date, bool] = dict(CalendarDay.objects.values_list("date", "is_workday"))
    return WorkCalendar(overrides)


def compute_for(complaint: Complaint, *, calendar: WorkCalendar | None = None) -> DueResult:
    rows = complaint.pauses.all() if complaint.pk else []
    pauses = [Pause(start=p.started_at, end=p.ended_at) for p in rows]
    return compute_due(
        received_at=complaint.received_at,
        policy=engine_policy(complaint.deadline_policy),
        allowed_days=complaint.allowed_days,
        pauses=pauses,
        restarted_at=complaint.clock_restarted_at,
        calendar=calendar or current_calendar(),
    )


def apply_deadline(complaint: Complaint) -> DueResult:
    """Recompute and store the due time on the row (the caller saves)."""
    result = compute_for(complaint)
    complaint.due_date = result.due_date
    complaint.due_at = result.due_at
    complaint.deadline_explanation = result.explanation
    return result


def forwarding_workdays(*, referrer_received_on: date, received_at: datetime) -> int:
    """Working days a referrer took to forward a complaint to us (Art. 33 allows 7)."""
    from xiaobao.deadlines.engine import TZ

    return current_calendar().workdays_between(
        referrer_received_on, received_at.astimezone(TZ).date()
    )
