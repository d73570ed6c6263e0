"""The statistics store: one narrow row per case (`ComplaintFact`) and its complainants as
people (`PersonFact`), kept exactly in step with the registry.

Every service that changes a case calls `refresh` with the case's id inside its own transaction
(the case services through `_event`, a bulk import once per chunk), so the dashboards, the
regulator workbook, the early warnings and the work summary read a few narrow rows instead of the
wide complaint rows and their decisions. `reconcile` recounts the store from the registry in a
few set-based statements and, with `fix`, puts right whatever differs.

People: complainants sharing an ID number hash or a phone hash, directly or through others,
are one person; `person_key` names each such group by its smallest hash ("i:…" or "p:…") so
repeat complainants are counted in SQL with GROUP BY. Only counted cases (the counting rule of
`selectors`) take part, and a group spans the whole registry: a person is the same in every
period and every branch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from xiaobao.complaints.choices import Kind, Satisfaction, Status
from xiaobao.complaints.models import Complainant, Complaint, ComplaintEvent
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import bulk
from xiaobao.reports.models import ComplaintFact, PersonFact, StaleMonth

EXCLUDED_STATUSES = (Status.MERGED, Status.DECLINED)  # the counting rule (selectors.counted)
SATISFIED_RESULTS = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
RATED_RESULTS = (*SATISFIED_RESULTS, Satisfaction.UNSATISFIED)
CHUNK = 2000
PERSON_COLUMNS = ("fact_id", "id_number_hash", "phone_hash", "person_key", "repeated")


class DaysBetween(Func):
    """Whole days from the date `earlier` to the date `later` (both DateField expressions)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: date - date is an integer
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # SQLite's dates are text: subtract their Julian day numbers.
        days = self.copy()
        days.set_source_expressions(
            [Func(e, function="julianday") for e in self.get_source_expressions()]
        )
        return Func.as_sql(
            days, compiler, connection, template="CAST(%(expressions)s AS INTEGER)", **extra_context
        )


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


# The store's columns, each computed from the registry: the one definition of what a fact holds,
# used to write rows (refresh, backfill) and to recount them (reconcile).
COLUMNS: dict[str, Any] = {
    "complaint_id": F("pk"),
    "kind": F("kind"),
    "status": F("status"),
    "received_at": F("received_at"),
    "unit_id": F("unit_id"),
    "handler_id": F("handler_id"),
    "intake_channel_id": F("intake_channel_id"),
    "business_channel_id": F("business_channel_id"),
    "business_category_id": F("business_category_id"),
    "cause_id": F("cause_id"),
    "level_id": F("level_id"),
    "is_major": F("is_major"),
    "due_at": F("due_at"),
    "notified_at": F("notified_at"),
    "handling_days": DaysBetween(
        TruncDate("notified_at", tzinfo=TZ), TruncDate("received_at", tzinfo=TZ)
    ),
    "timely": F("timely"),
    "at_fault": F("at_fault"),
    "extension_approved": F("extension_approved"),
    "allowed_days": F("allowed_days"),
    "review_requested": F("review_requested"),
    "review_outcome": F("review_outcome"),
    # The staff's follow-up call, or else the consumer's own rating in the portal.
    "surveyed": _flag(~Q(follow_up_result="") | Q(portal_rating__result__in=RATED_RESULTS)),
    "satisfied": _flag(
        Q(follow_up_result__in=SATISFIED_RESULTS)
        | Q(follow_up_result="", portal_rating__result__in=SATISFIED_RESULTS)
    ),
    "compensation": F("decision__compensation"),
    "forwarded_late": Exists(
        ComplaintEvent.objects.filter(
            complaint=OuterRef("pk"), action="register", data__forwarded_late=True
        )
    ),
}


def _alias(column: str) -> str:
    return f"x_{column}"  # annotation names must not shadow the complaint's own fields


def source(complaints: QuerySet[Complaint] | None = None) -> QuerySet[Any]:
    """The facts as the registry has them now: one values() row per case, in COLUMNS order."""
    qs = Complaint.objects.all() if complaints is None else complaints
    return (
        qs.annotate(**{_alias(c): e for c, e in COLUMNS.items()})
        .values(*(_alias(c) for c in COLUMNS))
        .order_by()
    )


def _sql(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, tuple(params)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in COLUMNS)


# --- keeping the store in step ------------------------------------------------------------------


class NewPerson(NamedTuple):
    """What the store keeps of a complainant just written without an instance (a bulk
    import's): the hashes a `Complainant` row holds."""

    id_number_hash: str
    phone_hash: str


@dataclass
class NewCase:
    """A case its registration has just written, with its complainants as written: its facts
    are worked out from these objects instead of being read back (a new case has no decision,
    portal rating or earlier people)."""

    complaint: Complaint
    complainants: Sequence[Complainant | NewPerson]
    forwarded_late: bool  # the register event's data["forwarded_late"]


# No savepoint: the callers run inside their own transaction, and a failed statement spoils it
# whole on PostgreSQL anyway (a savepoint costs two more round trips per change of a case).
@transaction.atomic(savepoint=False)
def refresh(complaint_ids: Iterable[int], *, new: NewCase | None = None) -> None:
    """Rewrite the facts and people of these cases from the registry (inside the caller's
    transaction): the one call every service that changes a counted field makes. `new`: the
    one case of `complaint_ids`, just registered, written from its objects."""
    ids = sorted(set(complaint_ids))
    if new is not None and ids != [new.complaint.pk]:
        raise ValueError("refresh(new=…) takes the new case's id alone")
    received: set[datetime] = set()
    for start in range(0, len(ids), CHUNK):
        received |= _refresh_chunk(ids[start : start + CHUNK], new)
    mark_months(received)


@transaction.atomic(savepoint=False)
def refresh_new(cases: Sequence[NewCase]) -> None:
    """`refresh` of many cases just registered (a bulk import's chunk): their facts and people
    worked out from the objects as written (as `refresh(new=…)` does for one case) and inserted
    with one COPY per table, and nothing read back that a new case cannot have yet (earlier
    facts or people, a decision, a portal rating)."""
    received: set[datetime] = set()
    for start in range(0, len(cases), CHUNK):
        part = sorted(cases[start : start + CHUNK], key=lambda n: n.complaint.pk)
        bulk.insert_rows(ComplaintFact, FACT_NAMES, (_new_fact(n) for n in part))
        received |= {n.complaint.received_at for n in part}
        _refresh_people([n.complaint.pk for n in part], new=part)
    mark_months(received)


def _refresh_chunk(ids: list[int], new: NewCase | None = None) -> set[datetime]:
    """Rewrite these facts; returns the receipt times they had and have (for the rollups)."""
    if new is None:
        before = set(ComplaintFact.objects.filter(pk__in=ids).values_list("received_at", flat=True))
        after = _upsert(ids)
    else:
        before, after = set(), _insert_new(new)
    gone = [pk for pk in ids if pk not in after]
    _refresh_people(ids, new=None if new is None else [new])
    if gone:
        ComplaintFact.objects.filter(pk__in=gone).delete()
    return before | set(after.values())


# --- the months the rollups must rebuild ---------------------------------------------------------

# A month is marked by the changes made from a day before its end on: earlier ones (most changes
# of the current month's cases) are committed long before the month ends and its rollup is first
# built, so they need no mark. This holds for any transaction shorter than GRACE.
GRACE = timedelta(days=1)


def month_of(moment: datetime) -> date:
    """The first day of the month (Asia/Shanghai) `moment` falls in."""
    local = moment.astimezone(TZ)
    return date(local.year, local.month, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=TZ)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def mark_months(received: Iterable[datetime | date]) -> None:
    """Mark the months of these receipt times (or month dates) stale for the rollups, inside the
    caller's transaction: appended rows, so concurrent writers never wait on one another.

    The wall clock decides, never a replayed moment: an import replaying a case's history at
    the times it happened changes months whose rollups are built already."""
    moment = timezone.now()
    months = {m if not isinstance(m, datetime) else month_of(m) for m in received}
    due = [m for m in sorted(months) if month_start(next_month(m)) - GRACE <= moment]
    if due:
        StaleMonth.objects.bulk_create([StaleMonth(month=m) for m in due])


def months_of(facts: QuerySet[Any]) -> set[date]:
    """The distinct receipt months of these facts or cases, worked out in the database."""
    rows = (
        facts.annotate(_month=TruncMonth("received_at", tzinfo=TZ))
        .values_list("_month", flat=True)
        .order_by()
        .distinct()
    )
    return {month_of(m) if isinstance(m, datetime) else m for m in rows}


# The fact columns in COLUMNS order, as model attribute names (for `bulk.insert_rows`).
FACT_NAMES = tuple(COLUMNS)


def _new_fact(new: NewCase) -> tuple[Any, ...]:
    """The fact row (FACT_NAMES order) of a case just registered, from the objects written:
    COLUMNS as computed for a case without decision or portal rating; `reconcile` recounts it
    like any other."""
    c = new.complaint
    handling_days = None
    if c.notified_at is not None:
        notified, received = (c.notified_at.astimezone(TZ), c.received_at.astimezone(TZ))
        handling_days = (notified.date() - received.date()).days
    return (
        c.pk,  # complaint_id
        c.kind,
        c.status,
        c.received_at,
        c.unit_id,
        c.handler_id,
        c.intake_channel_id,
        c.business_channel_id,
        c.business_category_id,
        c.cause_id,
        c.level_id,
        c.is_major,
        c.due_at,
        c.notified_at,
        handling_days,
        c.timely,
        c.at_fault,
        c.extension_approved,
        c.allowed_days,
        c.review_requested,
        c.review_outcome,
        c.follow_up_result != "",  # surveyed
        c.follow_up_result in SATISFIED_RESULTS,  # satisfied
        None,  # compensation: no decision yet
        new.forwarded_late,
    )


def _insert_new(new: NewCase) -> dict[int, datetime]:
    """The fact row of a case just registered (`_new_fact`)."""
    fact = ComplaintFact(**dict(zip(FACT_NAMES, _new_fact(new), strict=True)))
    ComplaintFact.objects.bulk_create([fact])  # (bulk.insert leaves out a primary key)
    return {new.complaint.pk: new.complaint.received_at}


def _upsert(ids: list[int]) -> dict[int, datetime]:
    """Write the facts of these cases as the registry has them, in one INSERT … SELECT … ON
    CONFLICT inside the database (no row travels to Python and back); returns the ids written
    (a case that no longer exists has none) with their receipt times."""
    sql, params = _sql(source(Complaint.objects.filter(pk__in=ids)))
    quote = connection.ops.quote_name
    pk, received = quote("complaint_id"), quote("received_at")
    update = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in COLUMNS if c != "complaint_id")
    with connection.cursor() as cur:
        # The SELECT always ends with its WHERE, so SQLite cannot read ON CONFLICT as a join's ON.
        cur.execute(
            f"INSERT INTO {_table(ComplaintFact)} ({_columns()}) {sql} "
            f"ON CONFLICT ({pk}) DO UPDATE SET {update} RETURNING {pk}, {received}",
            params,
        )
        return {row[0]: _as_datetime(row[1]) for row in cur.fetchall()}


def _as_datetime(value: Any) -> datetime:
    """A timestamp from a raw cursor: SQLite gives its text (UTC), PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _counted(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(kind=Kind.COMPLAINT).exclude(status__in=EXCLUDED_STATUSES)


def _wanted_people(case_ids: Iterable[int] | None) -> set[tuple[int, str, str]]:
    """(case, id hash, phone hash) of the complainants of the counted cases among `case_ids`
    (all of them when None) that carry at least one hash, as the registry has them."""
    cases = _counted(Complaint.objects.all())
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    rows = (
        Complainant.objects.filter(complaint_id__in=cases.values("pk"))
        .exclude(id_number_hash="", phone_hash="")
        .values_list("complaint_id", "id_number_hash", "phone_hash")
        .order_by()  # a set: without the complainants' default order (a join to sort by)
    )
    return set(rows)


def _nodes(pairs: Iterable[tuple[str, str]]) -> tuple[set[str], set[str]]:
    ids: set[str] = set()
    phones: set[str] = set()
    for id_hash, phone_hash in pairs:
        if id_hash:
            ids.add(id_hash)
        if phone_hash:
            phones.add(phone_hash)
    return ids, phones


# People are locked by slot, not one by one: a 100,000-row import in one transaction would
# otherwise hold a lock per person and exhaust PostgreSQL's lock table ("out of shared memory").
# At most 2 × LOCK_SLOTS - 1 locks per transaction; two writers sharing a slot merely wait.
LOCK_CLASS = 27
LOCK_SLOTS = 512
_SLOTS = (
    f"SELECT DISTINCT mod(hashtext(n), {LOCK_SLOTS}) AS k FROM unnest(%s::text[]) AS n ORDER BY k"
)


def _lock_nodes(id_hashes: set[str], phone_hashes: set[str], *, wait: bool) -> bool:
    """Serialise writers touching the same people (PostgreSQL; SQLite has one writer anyway),
    so two transactions never give one person two keys. Sorted, so waiters never deadlock.
    Without `wait`, only takes the locks that are free and says whether it got them all."""
    if connection.vendor != "postgresql":
        return True
    nodes = sorted({f"i:{h}" for h in id_hashes} | {f"p:{h}" for h in phone_hashes})
    if not nodes:
        return True
    with connection.cursor() as cur:
        if wait:
            cur.execute(
                f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, k) FROM ({_SLOTS}) AS s",
                [nodes],
            )
            return True
        cur.execute(
            f"SELECT bool_and(pg_try_advisory_xact_lock({LOCK_CLASS}, k)) FROM ({_SLOTS}) AS s",
            [nodes],
        )
        row = cur.fetchone()
        return bool(row and row[0])


def _new_people(new: NewCase) -> set[tuple[int, str, str]]:
    """`_wanted_people` of a case just registered, from its complainants as written."""
    c = new.complaint
    if c.kind != Kind.COMPLAINT or c.status in EXCLUDED_STATUSES:
        return set()
    return {
        (c.pk, p.id_number_hash, p.phone_hash)
        for p in new.complainants
        if p.id_number_hash or p.phone_hash
    }


def _refresh_people(
    ids: list[int], *, wait: bool = False, new: Sequence[NewCase] | None = None
) -> None:
    """`new`: `ids` are these cases, just registered (no people of theirs are stored yet)."""
    old: list[tuple[str, str, str]] = []
    if new is None:
        wanted = _wanted_people(ids)
        old = list(
            PersonFact.objects.filter(fact_id__in=ids).values_list(
                "id_number_hash", "phone_hash", "person_key"
            )
        )
    else:
        wanted = {person for case in new for person in _new_people(case)}  # none stored yet
    if not wanted and not old:
        return
    id_hashes, phone_hashes = _nodes([(i, p) for _c, i, p in wanted] + [(i, p) for i, p, _k in old])
    locked = _lock_nodes(id_hashes, phone_hashes, wait=wait)
    if not locked:
        # Another transaction (a bulk import may run for minutes) is changing one of these
        # people: a registration must not wait for it. It writes its own rows as it sees them,
        # touches no one else's, and a job run after both commit puts the keys right (waiting
        # for the lock).
        from xiaobao.jobs.services import enqueue

        enqueue("reports.refresh_people", {"ids": ids})
    if new is None:
        PersonFact.objects.filter(fact_id__in=ids).delete()
    # The groups these cases belonged to or now join, whole: every row that shares a hash with
    # them, and every row of those rows' groups (a removed row may split its group).
    sharing = PersonFact.objects.filter(
        Q(id_number_hash__in=id_hashes) | Q(phone_hash__in=phone_hashes)
    ).values("person_key")
    if old:
        keys = {k for _i, _p, k in old} | set(sharing.values_list("person_key", flat=True))
        groups = PersonFact.objects.filter(person_key__in=keys)
    else:
        groups = PersonFact.objects.filter(person_key__in=sharing)  # one statement
    neighbours = list(
        groups.values_list(
            "pk", "fact_id", "id_number_hash", "phone_hash", "person_key", "repeated"
        )
    )
    records = [(c, i, p) for _pk, c, i, p, _k, _r in neighbours] + sorted(wanted)
    key_of = person_keys((i, p) for _c, i, p in records)
    repeated = repeated_keys((c, key_of[(i, p)]) for c, i, p in records)
    moved: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for pk, _c, i, p, key, was_repeated in neighbours:
        now = (key_of[(i, p)], key_of[(i, p)] in repeated)
        if now != (key, was_repeated):
            moved[now].append(pk)
    for (key, flag), pks in moved.items() if locked else ():
        PersonFact.objects.filter(pk__in=pks).update(person_key=key, repeated=flag)
    bulk.insert_rows(
        PersonFact,
        PERSON_COLUMNS,
        ((c, i, p, key_of[(i, p)], key_of[(i, p)] in repeated) for c, i, p in sorted(wanted)),
    )


def repeated_keys(case_keys: Iterable[tuple[int, str]]) -> set[str]:
    """The person keys found on more than one case."""
    cases: dict[str, set[int]] = defaultdict(set)
    for case, key in case_keys:
        cases[key].add(case)
    return {key for key, ids in cases.items() if len(ids) > 1}


def refresh_people(complaint_ids: Iterable[int]) -> None:
    """Rewrite the people of these cases, waiting for anyone else changing the same people."""
    ids = sorted(set(complaint_ids))
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            _refresh_people(ids[start : start + CHUNK], wait=True)


def person_keys(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The person key of each (id hash, phone hash) pair: pairs sharing either hash, directly
    or through others, are one person, named by their smallest node ("i:…" before "p:…")."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    distinct = set(pairs)
    for id_hash, phone_hash in distinct:
        if id_hash and phone_hash:
            a, b = find(f"i:{id_hash}"), find(f"p:{phone_hash}")
            if a != b:
                # The smaller name becomes the root, so a group's root is its key.
                parent[max(a, b)] = min(a, b)
    return {(i, p): find(f"i:{i}" if i else f"p:{p}") for i, p in distinct if i or p}


# --- recount and repair --------------------------------------------------------------------------


@dataclass
class Differences:
    """What the store gets wrong against a recount from the registry."""

    missing: int = 0  # cases without a fact
    orphans: int = 0  # facts without a case
    stale: int = 0  # facts whose figures differ from the case's
    people: int = 0  # complainant rows missing, extra or under another person key

    @property
    def total(self) -> int:
        return self.missing + self.orphans + self.stale + self.people


def _missing() -> QuerySet[Complaint]:
    return Complaint.objects.exclude(pk__in=ComplaintFact.objects.values("pk"))


def _orphans() -> QuerySet[ComplaintFact]:
    return ComplaintFact.objects.exclude(pk__in=Complaint.objects.values("pk"))


def _stale_sql() -> tuple[str, tuple[Any, ...]]:
    """Ids of the facts that differ from their recount (rows of the recount not in the store)."""
    recount = source(Complaint.objects.filter(pk__in=ComplaintFact.objects.values("pk")))
    stored = ComplaintFact.objects.values(*COLUMNS).order_by()
    sql, params = _sql(recount.difference(stored))
    return f"SELECT d.{connection.ops.quote_name(_alias('complaint_id'))} FROM ({sql}) d", params


Person = tuple[str, bool]  # (person key, on more than one counted case)


def _expected_people() -> dict[tuple[int, str, str], Person]:
    wanted = _wanted_people(None)
    key_of = person_keys((i, p) for _c, i, p in wanted)
    repeated = repeated_keys((c, key_of[(i, p)]) for c, i, p in wanted)
    return {(c, i, p): (key_of[(i, p)], key_of[(i, p)] in repeated) for c, i, p in wanted}


def _stored_people() -> dict[tuple[int, str, str], Person]:
    rows = PersonFact.objects.values_list(
        "fact_id", "id_number_hash", "phone_hash", "person_key", "repeated"
    )
    return {(c, i, p): (k, r) for c, i, p, k, r in rows.iterator(chunk_size=20000)}


def reconcile(*, fix: bool = False) -> Differences:
    """Recount the store from the registry; with `fix`, rewrite what differs. Set-based: a
    few statements over the whole registry, whatever its size (the people in one pass)."""
    found = Differences(missing=_missing().count(), orphans=_orphans().count())
    sql, params = _stale_sql()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        stale = [row[0] for row in cur.fetchall()]
    found.stale = len(stale)
    expected, stored = _expected_people(), _stored_people()
    wrong_people = {k for k in expected.keys() | stored.keys() if expected.get(k) != stored.get(k)}
    found.people = len(wrong_people)
    if fix and found.total:
        with transaction.atomic():
            # The months whose rollups the repairs change, before and after.
            months = months_of(_orphans()) | months_of(_missing())
            _orphans().delete()
            backfill()
            for start in range(0, len(stale), CHUNK):
                chunk = stale[start : start + CHUNK]
                months |= months_of(ComplaintFact.objects.filter(pk__in=chunk))
                months |= {month_of(r) for r in _upsert(chunk).values()}
            mark_months(months)
            if found.stale or found.missing or found.orphans:
                expected = _expected_people()  # statuses may have changed who counts
            _rewrite_people(expected, _stored_people())
    return found


def _rewrite_people(
    expected: dict[tuple[int, str, str], Person], stored: dict[tuple[int, str, str], Person]
) -> None:
    """Rewrite the people of every case whose stored people differ from the expected ones."""
    cases = sorted(
        {k[0] for k in expected.keys() | stored.keys() if expected.get(k) != stored.get(k)}
    )
    by_case: dict[int, list[tuple[int, str, str, str, bool]]] = defaultdict(list)
    for (c, i, p), (key, flag) in expected.items():
        by_case[c].append((c, i, p, key, flag))
    for start in range(0, len(cases), CHUNK):
        chunk = cases[start : start + CHUNK]
        PersonFact.objects.filter(fact_id__in=chunk).delete()
        bulk.insert_rows(PersonFact, PERSON_COLUMNS, (row for c in chunk for row in by_case[c]))


def backfill() -> int:
    """Write the facts of every case that has none, in one INSERT … SELECT (a new database, a
    bulk load such as bench.generate). People are left to `reconcile(fix=True)`."""
    sql, params = _sql(source(_missing()))
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {_table(ComplaintFact)} ({_columns()}) {sql}", params)
        return int(cur.rowcount or 0)


def rebuild() -> Differences:
    """Fill an empty or doubtful store from the registry: facts set-based, then the people."""
    return reconcile(fix=True)
