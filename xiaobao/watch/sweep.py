"""The deadline sweeper: safe to run in many processes on many machines at once.

One pass has two phases.

1. **Discover** (one sweeper at a time, whoever holds the cursor row): read the complaint
   event log past the cursor and mark every case that changed as "look at me now" in its
   `WatchState`. The event log is the work queue: registration, pause, resume, new facts,
   extensions, major flags and closing all write an event, so the watch needs no hook in the
   complaint services and never scans the registry. The first pass (and `--reconcile`) compares
   every open case with its watch row instead, which also repairs anything ever missed.
2. **Check** due rows: `WatchState.next_check_at <= now`, read through a partial index, a batch
   at a time, claimed with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (other sweepers take
   other rows) and a conditional UPDATE on each row's revision elsewhere. The batch's cases are
   read with a few set-based queries (narrow columns, pauses, firings, the latest clock moves),
   each case is decided in Python (which thresholds fire, whom to tell, when to look next), and
   the batch is written with one insert per table: firings, notices, deliveries, jobs, the
   `deadline_warning` events; then one upsert stores every row's next moment. If a write of the
   batch fails, its cases are looked at one by one, so only the broken one waits for a retry.

A threshold fires once per case and deadline (a unique row); a moved deadline is a new due_at,
so the thresholds re-arm. A sweeper that dies mid-batch holds only uncommitted locks: the
database rolls them back and the next sweeper does the work.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Prefetch, Q, prefetch_related_objects

from xiaobao.complaints import clock
from xiaobao.complaints.choices import OPEN_STATUSES
from xiaobao.complaints.models import Complainant, Complaint, ComplaintEvent, Pause
from xiaobao.lib import bulk
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.models import Unit, User
from xiaobao.watch import notify, selectors
from xiaobao.watch.choices import FiringOutcome, LadderStep
from xiaobao.watch.models import EventCursor, Firing, WatchState
from xiaobao.watch.thresholds import Planned, RuleBook, clock_start, used_share

logger = logging.getLogger(__name__)

CURSOR = "complaint_events"
# Cases looked at together: one transaction, a few reads and one insert per table.
CHECK_BATCH = 500
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
    # Who stands above each unit, the units and the handlers: read once per pass (many cases
    # share them).
    ladders: dict[str, Any] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)


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
    `sweep_deadlines --reconcile` daily); a few set-based statements, whatever the backlog."""
    WatchState.objects.exclude(complaint__status__in=OPEN_STATUSES).delete()
    created = _watch_missing(now)
    moved = Q(complaint__due_at__isnull=False) & (
        Q(due_at__isnull=True)
        | Q(due_at__lt=F("complaint__due_at"))
        | Q(due_at__gt=F("complaint__due_at"))
    )
    unreported = Q(complaint__is_major=True, major_reported_at__isnull=True)
    # A row already due will be looked at anyway; marking it again changes nothing.
    waiting = Q(next_check_at__isnull=True) | Q(next_check_at__gt=now)
    stale = WatchState.objects.filter(waiting & (moved | unreported))
    return created + stale.update(next_check_at=now)


def _watch_missing(now: datetime) -> int:
    """Create the watch rows of open cases that have none, due now: one INSERT … SELECT, so a
    first pass over a large backlog sends no case id through Python. A marker that added one of
    these rows meanwhile did what we meant to do (DO NOTHING)."""
    qn = connection.ops.quote_name
    watch, cases = WatchState._meta, Complaint._meta
    due = watch.get_field("next_check_at").get_db_prep_save(now, connection)
    statuses = [str(status) for status in OPEN_STATUSES]
    marks = ", ".join(["%s"] * len(statuses))
    column = {f.name: qn(f.column) for f in watch.concrete_fields}
    status = next(qn(f.column) for f in cases.concrete_fields if f.name == "status")
    columns = ", ".join(
        column[name] for name in ("complaint", "next_check_at", "revision", "last_error")
    )
    with connection.cursor() as cursor:
        # EXCEPT reads both sides before the first row is inserted; an anti-join may scan the
        # table it fills for every case (planned as empty on a first pass: 34 s at 48,000 rows).
        cursor.execute(
            f"INSERT INTO {qn(watch.db_table)} ({columns}) "
            "SELECT m.id, %s, 0, '' FROM ("
            f"SELECT c.{qn(cases.pk.column)} AS id FROM {qn(cases.db_table)} c "
            f"WHERE c.{status} IN ({marks}) "
            f"EXCEPT SELECT w.{qn(watch.pk.column)} FROM {qn(watch.db_table)} w"
            # WHERE true: SQLite needs it to read ON CONFLICT as the upsert clause.
            ") m WHERE true ON CONFLICT DO NOTHING",
            [due, *statuses],
        )
        return max(cursor.rowcount, 0)


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

# What a look at a case reads of it: the clock, the ladder's starting point and the notice text.
CASE_FIELDS = (
    "id",
    "registry_no",
    "title",
    "status",
    "unit_id",
    "handler_id",
    "level_id",
    "is_major",
    "major_reason",
    "received_at",
    "clock_restarted_at",
    "deadline_policy",
    "allowed_days",
    "due_date",
    "due_at",
)


@dataclass
class _Look:
    """What one look at one claimed case decided; a batch's looks are written together."""

    state: WatchState
    complaint: Complaint
    # Carried over and superseded firings (recorded, no notice), then the notifying one.
    firings: list[Firing] = field(default_factory=list)
    top: Planned | None = None
    superseded: list[Planned] = field(default_factory=list)
    carried: list[Planned] = field(default_factory=list)
    reach: int = LadderStep.HANDLER
    urgent: bool = False
    report_major: bool = False
    remind: bool = False


def _cases(ids: list[int], run: _Pass) -> dict[int, Complaint]:
    """The claimed cases with their pauses, units and handlers: three narrow reads a batch
    (units and handlers are read once a pass; many cases share them)."""
    cases = {
        c.pk: c
        for c in Complaint.objects.filter(pk__in=ids)
        .only(*CASE_FIELDS)
        .prefetch_related(
            Prefetch(
                "pauses",
                queryset=Pause.objects.only("complaint_id", "started_at", "ended_at"),
            )
        )
    }
    units = {c.unit_id for c in cases.values()} - run.units.keys()
    if units:
        run.units.update(Unit.objects.in_bulk(units))
    handlers = {c.handler_id for c in cases.values() if c.handler_id} - run.users.keys()
    if handlers:
        run.users.update(User.objects.in_bulk(handlers))
    for complaint in cases.values():
        complaint.unit = run.units[complaint.unit_id]
        complaint.handler = run.users[complaint.handler_id] if complaint.handler_id else None
    return cases


def _decide(
    state: WatchState,
    complaint: Complaint,
    fired: list[tuple[int, datetime]],
    moved_at: datetime | None,
    run: _Pass,
) -> _Look:
    """Which thresholds fire, whether to report a major case or remind an overdue one, and
    when to look next: from what was read, without touching the database."""
    now = run.now
    look = _Look(state=state, complaint=complaint)
    look.report_major = complaint.is_major and state.major_reported_at is None
    if look.report_major:
        state.major_reported_at = now
    if complaint.due_at is None:
        # Paused: nothing runs out while the clock stands still; the resume event wakes us.
        state.next_check_at = None
        return look
    start = clock_start(complaint, calendar=run.timing.calendar)
    plan = run.rules.plan(complaint, start=start, due=complaint.due_at)
    done = {threshold for threshold, due_at in fired if due_at == complaint.due_at}
    due = [p for p in plan if p.moment <= now and p.threshold.pk not in done]
    moved = state.due_at is not None and state.due_at != complaint.due_at
    if moved and due:
        # Re-armed thresholds fire when their new moment comes after the move. One already
        # behind at the move (a pause ended) that fired for the old deadline is carried over.
        moved_at = moved_at or now
        before = {threshold for threshold, due_at in fired if due_at != complaint.due_at}
        look.carried = [p for p in due if p.moment <= moved_at and p.threshold.pk in before]
        due = [p for p in due if p not in look.carried]
    used = used_share(start=start, due=complaint.due_at, now=now)

    def firing(planned: Planned, outcome: str, reach: int | None = None) -> Firing:
        assert complaint.due_at is not None
        return Firing(
            complaint_id=complaint.pk,
            threshold=planned.threshold,
            due_at=complaint.due_at,
            moment=planned.moment,
            fired_at=now,
            used=used,
            outcome=outcome,
            reach=reach,
        )

    # The highest passed threshold notifies; the lower ones are recorded without notices.
    look.firings = [firing(p, FiringOutcome.CARRIED_OVER) for p in look.carried]
    if due:
        look.top, look.superseded = due[-1], due[:-1]
        look.reach = LadderStep.HQ_OFFICE if complaint.is_major else look.top.rule.reach
        look.urgent = look.top.rule.urgent or complaint.is_major
        look.firings += [firing(p, FiringOutcome.SUPERSEDED) for p in look.superseded]
        look.firings.append(firing(look.top, FiringOutcome.NOTIFIED, reach=look.reach))

    upcoming = [p.moment for p in plan if p.moment > now and p.threshold.pk not in done]
    if complaint.due_at <= now:
        # Overdue: reminded every working day until closed (closing removes the watch row),
        # unless a threshold has just told the same people about it.
        look.remind = look.top is None
        upcoming.append(run.timing.next_morning())
    state.due_at = complaint.due_at
    state.next_check_at = min(upcoming) if upcoming else None
    return look


def _write(looks: list[_Look], run: _Pass) -> None:
    """The batch's firings, notices (with deliveries and jobs), warning events and watch rows,
    one insert or update per table."""
    # COPY on PostgreSQL (see `lib.bulk`): Django's multi-row INSERT of thousands of rows costs
    # the client more than the rest of the batch.
    bulk.insert([f for look in looks for f in look.firings], keys=True)
    told = [look for look in looks if look.top or look.report_major or look.remind]
    # The notice text masks the complainants' names in the title: read for the batch at once.
    prefetch_related_objects(
        [look.complaint for look in told],
        Prefetch("complainants", queryset=Complainant.objects.only("complaint_id", "name")),
    )
    notices: list[notify.Notice] = []
    kinds: list[tuple[_Look, str]] = []
    for look in told:
        complaint = look.complaint
        if look.report_major:
            people = selectors.recipients(
                complaint=complaint, reach=LadderStep.HQ_OFFICE, cache=run.ladders
            )
            notices.append(notify.major_notice(complaint=complaint, people=people))
            kinds.append((look, "major"))
        if look.top is not None:
            people = selectors.recipients(complaint=complaint, reach=look.reach, cache=run.ladders)
            notices.append(
                notify.firing_notice(
                    complaint=complaint,
                    firing=look.firings[-1],
                    people=people,
                    urgent=look.urgent,
                    timing=run.timing,
                )
            )
            kinds.append((look, "firing"))
        if look.remind:
            people = selectors.recipients(
                complaint=complaint, reach=LadderStep.UNIT_HEAD, cache=run.ladders
            )
            notices.append(
                notify.overdue_reminder_notice(
                    complaint=complaint, people=people, timing=run.timing
                )
            )
            kinds.append((look, "remind"))
    written = notify.create_many(notices, run.timing)
    events = []
    for (look, kind), sent in zip(kinds, written, strict=True):
        run.report.notices += len(sent)
        if kind == "remind":
            run.report.reminded += bool(sent)
        elif kind == "firing":
            events.append(_warning_event(look, sent, run.now))
    bulk.insert(events)
    for look in looks:
        run.report.fired += len(look.firings) - len(look.carried)
    # The rows exist and are ours: an upsert stores them in one statement (bulk_update's
    # CASE WHEN per row and column costs more than the rest of the batch).
    WatchState.objects.bulk_create(
        [look.state for look in looks],
        update_conflicts=True,
        unique_fields=["complaint"],
        update_fields=[
            "due_at",
            "next_check_at",
            "major_reported_at",
            "revision",
            "checked_at",
            "last_error",
        ],
    )


def _warning_event(look: _Look, sent: list[Any], now: datetime) -> ComplaintEvent:
    complaint, top, firing = look.complaint, look.top, look.firings[-1]
    assert complaint.due_at is not None and top is not None
    return ComplaintEvent(
        complaint_id=complaint.pk,
        action="deadline_warning",
        occurred_at=now,
        data={
            "threshold": top.threshold.code,
            "name": top.threshold.name,
            "firing": firing.pk,
            "due_at": complaint.due_at.isoformat(),
            "moment": top.moment.isoformat(),
            "used": firing.used,
            "reach": look.reach,
            "urgent": look.urgent,
            "recipients": sorted(n.recipient_id for n in sent),
            "superseded": [p.threshold.code for p in look.superseded],
            "carried_over": [p.threshold.code for p in look.carried],
        },
    )


def check(states: list[WatchState], run: _Pass) -> None:
    """Look at claimed cases together: read what they need in a few set-based queries, decide
    each in Python, write the batch with one insert per table. A case whose decision fails is
    left for a later look; the others go on."""
    cases = _cases([s.complaint_id for s in states], run)
    closed = [s.pk for s in states if cases[s.complaint_id].status not in OPEN_STATUSES]
    if closed:
        WatchState.objects.filter(pk__in=closed).delete()
    live = [s for s in states if cases[s.complaint_id].status in OPEN_STATUSES]
    ids = [s.complaint_id for s in live]
    fired: dict[int, list[tuple[int, datetime]]] = {}
    for complaint_id, threshold_id, due_at in Firing.objects.filter(
        complaint_id__in=ids
    ).values_list("complaint_id", "threshold_id", "due_at"):
        fired.setdefault(complaint_id, []).append((threshold_id, due_at))
    moved = [
        s.complaint_id
        for s in live
        if s.due_at is not None and s.due_at != cases[s.complaint_id].due_at
    ]
    moved_at: dict[int, datetime] = {}
    if moved:
        # The latest move of each deadline, for the re-arm rule.
        moved_at = dict(
            ComplaintEvent.objects.filter(complaint_id__in=moved, action__in=CLOCK_ACTIONS)
            .values("complaint_id")
            .annotate(at=Max("occurred_at"))
            .values_list("complaint_id", "at")
            .order_by()
        )
    looks = []
    for state in live:
        try:
            looks.append(
                _decide(
                    state,
                    cases[state.complaint_id],
                    fired.get(state.complaint_id, []),
                    moved_at.get(state.complaint_id),
                    run,
                )
            )
        except Exception as exc:
            _failed(state, exc, run)
    _write(looks, run)
    run.report.checked += len(closed) + len(looks)


def _failed(state: WatchState, exc: Exception, run: _Pass) -> None:
    # One broken case must not stop the others: log it and look again later.
    logger.exception("watch check of complaint %s failed", state.pk, exc_info=exc)
    run.report.errors += 1
    WatchState.objects.filter(pk=state.pk).update(
        revision=state.revision,
        checked_at=run.now,
        next_check_at=run.now + RETRY_AFTER,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )


def _claim(states: list[WatchState], run: _Pass) -> list[WatchState]:
    """Take the rows to look at. On PostgreSQL they are locked already, and the batch's final
    upsert (or `_failed`, or the delete of a closed case) writes the claim with the rest: one
    write per row. Elsewhere each row is taken by a conditional UPDATE on its revision and lost
    rows are skipped."""
    if _postgres():
        claimed = states
    else:
        claimed = []
        for state in states:
            if WatchState.objects.filter(pk=state.pk, revision=state.revision).update(
                revision=state.revision + 1, checked_at=run.now, last_error=""
            ):
                claimed.append(state)
    for state in claimed:
        state.revision += 1
        state.checked_at = run.now
        state.last_error = ""
    return claimed


def _check_batch(run: _Pass, batch: int) -> tuple[int, int]:
    """Claim and check up to `batch` due rows: (rows taken, rows that moved on)."""
    with transaction.atomic():
        qs = WatchState.objects.filter(next_check_at__lte=run.now).order_by("next_check_at", "pk")
        if _postgres():
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs[:batch])
        claimed = _claim(rows, run)
        counted = copy.copy(run.report)
        try:
            with transaction.atomic():
                check(claimed, run)
        except Exception:
            # A write of the batch failed (e.g. a row written by another sweeper meanwhile):
            # look at each case on its own, so only the broken one waits for a retry. The
            # rows are read again: the failed attempt changed them in memory.
            logger.warning("watch batch of %d cases failed; checking one by one", len(claimed))
            run.report = counted
            again = list(WatchState.objects.filter(pk__in=[s.pk for s in claimed]).order_by("pk"))
            if _postgres():  # the claim was never written: take it again in memory
                again = _claim(again, run)
            for state in again:
                try:
                    with transaction.atomic():
                        check([state], run)
                except Exception as exc:
                    _failed(state, exc, run)
        return len(rows), len(claimed)


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
