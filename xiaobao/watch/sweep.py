"""The deadline sweeper: safe to run in many processes on many machines at once.

One pass has two phases.

1. **Discover** (one sweeper at a time, whoever holds the cursor row): read the complaint
   event log past the cursor and mark every case that changed as "look at me now" in its
   `WatchState`. The event log is the work queue: registration, pause, resume, new facts,
   extensions, major flags and closing all write an event, so the watch needs no hook in the
   complaint services and never scans the registry. The first pass (and `--reconcile`) compares
   every open case with its watch row instead, which also repairs anything ever missed.
2. **Check** due rows: `WatchState.next_check_at <= now`, read through a partial index, claimed
   with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (other sweepers take other rows) and a
   conditional UPDATE on the row's revision everywhere. For each case it fires the thresholds
   whose moment has passed, writes the firing, a `deadline_warning` event, the notices and their
   jobs in one savepoint, and stores the next moment anything is due.

A threshold fires once per case and deadline (a unique row); a moved deadline is a new due_at,
so the thresholds re-arm. A sweeper that dies mid-batch holds only uncommitted locks: the
database rolls them back and the next sweeper does the work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from xiaobao.complaints import clock
from xiaobao.complaints.choices import OPEN_STATUSES
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.lib.clock import now as clock_now
from xiaobao.watch import notify, selectors
from xiaobao.watch.choices import FiringOutcome, LadderStep
from xiaobao.watch.models import EventCursor, Firing, WatchState
from xiaobao.watch.thresholds import Planned, RuleBook, clock_start, used_share

logger = logging.getLogger(__name__)

CURSOR = "complaint_events"
CHECK_BATCH = 200
EVENT_BATCH = 5000
# How long an event id missing below the cursor is looked for before it counts as a rolled-back
# insert. Complaint transactions last milliseconds; ten minutes is generous.
HOLE_WAIT = timedelta(minutes=10)
# A jump of more ids than this is not tracked id by id (e.g. a large import rolled back).
MAX_HOLES = 2000
RETRY_AFTER = timedelta(minutes=5)
# Events that cannot change what the watch should do (the watch's own, and after-care).
IGNORED_ACTIONS = frozenset({"deadline_warning"})
# Actions that move the deadline; the latest one dates a move for the re-arm rule.
CLOCK_ACTIONS = ("pause", "resume", "add_new_facts", "extension_decide", "merge_target")


class _LostRaceError(Exception):
    """Another sweeper changed the row between our read and our write; roll back, move on."""


@dataclass
class SweepReport:
    discovered: int = 0
    checked: int = 0
    fired: int = 0
    notices: int = 0
    errors: int = 0
    digests_queued: int = 0
    reminded: int = 0

    def __str__(self) -> str:
        return (
            f"discovered {self.discovered}, checked {self.checked}, fired {self.fired}, "
            f"reminded {self.reminded}, notices {self.notices}, errors {self.errors}"
        )


@dataclass
class _Pass:
    now: datetime
    rules: RuleBook
    timing: notify.Timing
    report: SweepReport = field(default_factory=SweepReport)
    # Who stands above each unit, read once per pass (many cases share a unit).
    ladders: dict[str, Any] = field(default_factory=dict)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# --- phase 1: discover changed cases ------------------------------------------------------------


def mark(complaint_ids: set[int] | list[int], *, now: datetime) -> int:
    """Ask for an immediate look at these cases; stop watching those no longer open."""
    ids = sorted(set(complaint_ids))
    marked = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        open_ids = set(
            Complaint.objects.filter(pk__in=chunk, status__in=OPEN_STATUSES).values_list(
                "pk", flat=True
            )
        )
        closed = [pk for pk in chunk if pk not in open_ids]
        if closed:
            WatchState.objects.filter(complaint_id__in=closed).delete()
        if open_ids:
            # One upsert; sorted so two markers lock rows in the same order.
            WatchState.objects.bulk_create(
                [WatchState(complaint_id=pk, next_check_at=now) for pk in sorted(open_ids)],
                update_conflicts=True,
                unique_fields=["complaint"],
                update_fields=["next_check_at"],
            )
            marked += len(open_ids)
    return marked


def _claim_cursor(*, wait: bool) -> EventCursor | None:
    EventCursor.objects.get_or_create(name=CURSOR)
    qs = EventCursor.objects.filter(name=CURSOR)
    if _postgres():
        # Only one sweeper discovers at a time; the others go straight to checking. A requested
        # reconcile waits its turn instead, so the daily cron line is never silently skipped.
        return qs.select_for_update(skip_locked=not wait).first()
    return qs.first()


def _save_cursor(cursor: EventCursor, **changes: Any) -> None:
    changed = EventCursor.objects.filter(name=cursor.name, revision=cursor.revision).update(
        revision=cursor.revision + 1, **changes
    )
    if changed != 1:
        raise _LostRaceError("event cursor moved under us")


def reconcile(*, now: datetime) -> int:
    """Compare every open case with its watch row: create missing rows, mark moved deadlines
    and unreported major cases, drop rows of closed cases. Rare (the first pass, then
    `sweep_deadlines --reconcile` daily); reads the open cases through their partial index."""
    WatchState.objects.exclude(complaint__status__in=OPEN_STATUSES).delete()
    stale = []
    rows = (
        Complaint.objects.filter(status__in=OPEN_STATUSES)
        .values_list(
            "pk",
            "due_at",
            "is_major",
            "watch__complaint_id",
            "watch__due_at",
            "watch__next_check_at",
            "watch__major_reported_at",
        )
        .order_by()
    )
    for pk, due_at, major, watched, armed, next_check, reported in rows.iterator(chunk_size=5000):
        moved = due_at is not None and due_at != armed
        unreported = major and reported is None
        # A row already due will be looked at anyway; marking it again changes nothing.
        waiting = next_check is None or next_check > now
        if watched is None or ((moved or unreported) and waiting):
            stale.append(pk)
    return mark(stale, now=now)


def discover(*, now: datetime | None = None, full: bool = False) -> int:
    """Phase 1: turn new complaint events into due watch rows. Returns how many were marked.

    `full` also reconciles every open case (the daily safety net)."""
    now = now or clock_now()
    try:
        with transaction.atomic():
            cursor = _claim_cursor(wait=full)
            if cursor is None:
                return 0
            if cursor.reconciled_at is None:
                # First pass ever: start after the newest event and look at every open case.
                newest = ComplaintEvent.objects.aggregate(m=Max("pk"))["m"] or 0
                marked = reconcile(now=now)
                _save_cursor(cursor, high=max(cursor.high, newest), holes={}, reconciled_at=now)
                return marked
            marked = reconcile(now=now) if full else 0
            return marked + _read_events(cursor, now, reconciled=full)
    except _LostRaceError:
        return 0


def _read_events(cursor: EventCursor, now: datetime, *, reconciled: bool = False) -> int:
    holes = {int(k): v for k, v in cursor.holes.items()}
    rows = list(
        ComplaintEvent.objects.filter(pk__gt=cursor.high)
        .order_by("pk")
        .values_list("pk", "complaint_id", "action")[:EVENT_BATCH]
    )
    if holes:
        rows += list(
            ComplaintEvent.objects.filter(pk__in=list(holes)).values_list(
                "pk", "complaint_id", "action"
            )
        )
    high = cursor.high
    for pk, _complaint, _action in sorted(rows):
        holes.pop(pk, None)
        if pk > high:
            if pk - high - 1 <= MAX_HOLES:
                holes.update({missing: now.isoformat() for missing in range(high + 1, pk)})
            high = pk
    cutoff = now - HOLE_WAIT
    holes = {pk: seen for pk, seen in holes.items() if datetime.fromisoformat(seen) > cutoff}
    touched = {complaint for _pk, complaint, action in rows if action not in IGNORED_ACTIONS}
    marked = mark(touched, now=now) if touched else 0
    stored = {str(k): v for k, v in sorted(holes.items())}
    extra = {"reconciled_at": now} if reconciled else {}
    if rows or stored != cursor.holes or extra:
        _save_cursor(cursor, high=high, holes=stored, **extra)
    return marked


# --- phase 2: check due cases --------------------------------------------------------------------


def _moved_at(complaint: Complaint) -> datetime | None:
    return (
        complaint.events.filter(action__in=CLOCK_ACTIONS)
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", flat=True)
        .first()
    )


def _firing(
    complaint: Complaint,
    planned: Planned,
    *,
    outcome: str,
    used: float,
    now: datetime,
    reach: int | None = None,
) -> Firing:
    assert complaint.due_at is not None
    return Firing(
        complaint=complaint,
        threshold=planned.threshold,
        due_at=complaint.due_at,
        moment=planned.moment,
        fired_at=now,
        used=used,
        outcome=outcome,
        reach=reach,
    )


def _warn(
    complaint: Complaint,
    due: list[Planned],
    carried: list[Planned],
    *,
    start: datetime,
    run: _Pass,
) -> None:
    """Fire the highest passed threshold with notices; record the lower ones without."""
    assert complaint.due_at is not None
    now = run.now
    used = used_share(start=start, due=complaint.due_at, now=now)
    # One insert for the case's firings: carried over and superseded ones (recorded, no
    # notice), then the highest passed threshold, which notifies.
    firings = [
        _firing(complaint, p, outcome=FiringOutcome.CARRIED_OVER, used=used, now=now)
        for p in carried
    ]
    if not due:
        Firing.objects.bulk_create(firings)
        return
    top, superseded = due[-1], due[:-1]
    firings += [
        _firing(complaint, p, outcome=FiringOutcome.SUPERSEDED, used=used, now=now)
        for p in superseded
    ]
    reach = LadderStep.HQ_OFFICE if complaint.is_major else top.rule.reach
    urgent = top.rule.urgent or complaint.is_major
    firings.append(
        _firing(complaint, top, outcome=FiringOutcome.NOTIFIED, used=used, now=now, reach=reach)
    )
    firing = Firing.objects.bulk_create(firings)[-1]
    people = selectors.recipients(complaint=complaint, reach=reach, cache=run.ladders)
    notices = notify.notify_firing(
        complaint=complaint, firing=firing, people=people, urgent=urgent, timing=run.timing
    )
    ComplaintEvent.objects.create(
        complaint=complaint,
        action="deadline_warning",
        occurred_at=now,
        data={
            "threshold": top.threshold.code,
            "name": top.threshold.name,
            "firing": firing.pk,
            "due_at": complaint.due_at.isoformat(),
            "moment": top.moment.isoformat(),
            "used": used,
            "reach": reach,
            "urgent": urgent,
            "recipients": sorted(n.recipient_id for n in notices),
            "superseded": [p.threshold.code for p in superseded],
            "carried_over": [p.threshold.code for p in carried],
        },
    )
    run.report.fired += 1 + len(superseded)
    run.report.notices += len(notices)


def _remind_overdue(complaint: Complaint, run: _Pass) -> None:
    """The daily reminder of an overdue case to its handler and unit head, in their bundle."""
    people = selectors.recipients(
        complaint=complaint, reach=LadderStep.UNIT_HEAD, cache=run.ladders
    )
    notices = notify.notify_overdue_reminder(complaint=complaint, people=people, timing=run.timing)
    run.report.notices += len(notices)
    run.report.reminded += bool(notices)


def check(state: WatchState, run: _Pass) -> None:
    """Look at one claimed case: report a new major case, fire passed thresholds, re-arm."""
    now = run.now
    claimed = WatchState.objects.filter(pk=state.pk, revision=state.revision).update(
        revision=state.revision + 1, checked_at=now, last_error=""
    )
    if claimed != 1:
        raise _LostRaceError(f"watch row {state.pk} taken by another sweeper")
    state.revision += 1
    complaint = Complaint.objects.select_related("unit", "handler").get(pk=state.complaint_id)
    if complaint.status not in OPEN_STATUSES:
        state.delete()
        return
    if complaint.is_major and state.major_reported_at is None:
        people = selectors.recipients(
            complaint=complaint, reach=LadderStep.HQ_OFFICE, cache=run.ladders
        )
        run.report.notices += len(
            notify.notify_major(complaint=complaint, people=people, timing=run.timing)
        )
        state.major_reported_at = now
    if complaint.due_at is None:
        # Paused: nothing runs out while the clock stands still; the resume event wakes us.
        state.next_check_at = None
        state.save(update_fields=["next_check_at", "major_reported_at"])
        return

    start = clock_start(complaint, calendar=run.timing.calendar)
    plan = run.rules.plan(complaint, start=start, due=complaint.due_at)
    fired = set(
        Firing.objects.filter(complaint=complaint, due_at=complaint.due_at).values_list(
            "threshold_id", flat=True
        )
    )
    due = [p for p in plan if p.moment <= now and p.threshold.pk not in fired]
    carried: list[Planned] = []
    moved = state.due_at is not None and state.due_at != complaint.due_at
    if moved and due:
        # Re-armed thresholds fire when their new moment comes after the move. One already
        # behind at the move (a pause ended) that fired for the old deadline is carried over.
        moved_at = _moved_at(complaint) or now
        before = set(
            Firing.objects.filter(complaint=complaint)
            .exclude(due_at=complaint.due_at)
            .values_list("threshold_id", flat=True)
        )
        carried = [p for p in due if p.moment <= moved_at and p.threshold.pk in before]
        due = [p for p in due if p not in carried]
    notified = bool(due)
    if due or carried:
        _warn(complaint, due, carried, start=start, run=run)

    upcoming = [p.moment for p in plan if p.moment > now and p.threshold.pk not in fired]
    if complaint.due_at <= now:
        # Overdue: reminded every working day until closed (closing removes the watch row),
        # unless a threshold has just told the same people about it.
        if not notified:
            _remind_overdue(complaint, run)
        upcoming.append(run.timing.next_morning())
    state.due_at = complaint.due_at
    state.next_check_at = min(upcoming) if upcoming else None
    state.save(update_fields=["due_at", "next_check_at", "major_reported_at"])


def _check_batch(run: _Pass, batch: int) -> tuple[int, int]:
    """Claim and check up to `batch` due rows: (rows taken, rows that moved on)."""
    done = 0
    with transaction.atomic():
        qs = WatchState.objects.filter(next_check_at__lte=run.now).order_by("next_check_at", "pk")
        if _postgres():
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs[:batch])
        for state in rows:
            try:
                with transaction.atomic():
                    check(state, run)
                run.report.checked += 1
                done += 1
            except _LostRaceError:
                continue
            except Exception as exc:
                # One broken case must not stop the others: log it and look again later.
                logger.exception("watch check of complaint %s failed", state.pk)
                run.report.errors += 1
                WatchState.objects.filter(pk=state.pk).update(
                    next_check_at=run.now + RETRY_AFTER,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                )
                done += 1
        return len(rows), done


def sweep(
    *, now: datetime | None = None, batch: int = CHECK_BATCH, reconcile_all: bool = False
) -> SweepReport:
    """One full pass: discover changed cases, check every due one, queue the due digests."""
    now = now or clock_now()
    run = _Pass(
        now=now,
        rules=RuleBook.load(),
        timing=notify.Timing(now=now, calendar=clock.current_calendar()),
    )
    run.report.discovered = discover(now=now, full=reconcile_all)
    while True:
        taken, done = _check_batch(run, batch)
        # A short batch means nothing else is due; a batch lost entirely to other sweepers
        # (possible only without row locks) is left to them rather than spun on.
        if taken < batch or done == 0:
            break
    run.report.digests_queued = notify.digest_queue_due(now=now)
    return run.report


def rearm_all(*, now: datetime | None = None) -> int:
    """Look at every watched case on the next pass (after thresholds or rules were edited)."""
    return WatchState.objects.update(next_check_at=now or clock_now())
