"""Writes of the language app: keeping the search index in step with the registry.

The index holds what a handler would want to find a case by: its title, the narrative and demand,
the decision (verified facts, basis, reasons, reply text), the root-cause analysis, the reason for
ending it, and the reasons written on its events. Personal data inside that free text (ID, phone
and card numbers …) is masked before indexing, so neither the search box nor a snippet can be used
to look a person up; exact lookups by identifier go through the keyed hashes instead.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import F, Prefetch, Q, QuerySet

from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.jobs.models import Job
from xiaobao.jobs.services import enqueue, enqueue_many
from xiaobao.language.models import SearchDocument
from xiaobao.language.search import last_case_id
from xiaobao.language.segment import ANALYZER_VERSION, index_string
from xiaobao.lib.clock import now
from xiaobao.privacy.redaction import redact

INDEX_JOB = "language.index_complaint"
_DOCUMENT_FIELDS = [
    "title_tokens",
    "body_tokens",
    "title",
    "body",
    "analyzer_version",
    "indexed_at",
]


def _with_text(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    reasons = ComplaintEvent.objects.exclude(reason="").only("complaint_id", "reason")
    return queryset.select_related("decision").prefetch_related(
        Prefetch("events", queryset=reasons.order_by("occurred_at", "id"), to_attr="_reasons")
    )


def _body_parts(complaint: Complaint) -> Iterable[str]:
    yield complaint.narrative
    yield complaint.demand_text
    decision = getattr(complaint, "decision", None)
    if decision is not None:
        yield from (decision.verified_facts, decision.basis, decision.reasons, decision.text)
    yield complaint.root_cause
    yield complaint.end_reason
    events = getattr(complaint, "_reasons", None)
    if events is None:
        events = complaint.events.exclude(reason="").order_by("occurred_at", "id")
    for event in events:
        yield event.reason


def _texts(complaint: Complaint) -> tuple[str, str]:
    """The redacted title and body that a case's document shows and indexes."""
    parts = dict.fromkeys(p.strip() for p in _body_parts(complaint) if p and p.strip())
    return redact(complaint.title), redact("\n".join(parts))


def _tokens(texts: tuple[str, str]) -> tuple[str, str]:
    """Segment a (title, body) pair: the slow, pure step, which worker processes may share."""
    return index_string(texts[0]), index_string(texts[1])


def _document(
    complaint: Complaint, at: Any, texts: tuple[str, str], tokens: tuple[str, str]
) -> SearchDocument:
    return SearchDocument(
        complaint=complaint,
        title_tokens=tokens[0],
        body_tokens=tokens[1],
        title=texts[0],
        body=texts[1],
        analyzer_version=ANALYZER_VERSION,
        indexed_at=at,
    )


@transaction.atomic
def search_document_update(*, complaint_id: int) -> SearchDocument | None:
    """(Re)index one complaint; a complaint that no longer exists leaves the index."""
    complaint = _with_text(Complaint.objects.filter(pk=complaint_id)).first()
    if complaint is None:
        SearchDocument.objects.filter(complaint_id=complaint_id).delete()
        return None
    texts = _texts(complaint)
    document = _document(complaint, now(), texts, _tokens(texts))
    SearchDocument.objects.update_or_create(
        complaint=complaint, defaults={f: getattr(document, f) for f in _DOCUMENT_FIELDS}
    )
    return document


def search_index_request(*, complaint_id: int) -> Job | None:
    """Queue re-indexing of a case, inside the caller's transaction (the change and the job
    commit together). Handlers are idempotent, so a burst of changes costs a few cheap reruns."""
    return enqueue(INDEX_JOB, {"complaint_id": complaint_id})


@transaction.atomic
def search_documents_update(complaint_ids: list[int]) -> int:
    """(Re)index several cases with one read and one upsert (the cases of a bulk import);
    those that no longer exist leave the index. Returns how many documents were written."""
    ids = set(complaint_ids)
    cases = list(_with_text(Complaint.objects.filter(pk__in=ids)))
    gone = ids - {c.pk for c in cases}
    if gone:
        SearchDocument.objects.filter(complaint_id__in=gone).delete()
    at = now()
    documents = []
    for case in cases:
        texts = _texts(case)
        documents.append(_document(case, at, texts, _tokens(texts)))
    SearchDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["complaint"],
        update_fields=_DOCUMENT_FIELDS,
    )
    return len(documents)


class _IndexBatch:
    """The index jobs of one transaction: the first case's job is written inside it (a lone
    change commits once, with its job), the cases after it are queued after commit, `PER_JOB`
    cases to a job, with one insert per chunk (a bulk import)."""

    CHUNK = 2_000  # a 100,000-row import must not build 100,000 ids' payloads at once
    PER_JOB = 200  # one job indexes this many cases with one read and one upsert

    def __init__(self, first: int) -> None:
        self.first = first
        self.ids: set[int] = set()
        self.done = False

    def __call__(self) -> None:
        self.done = True
        ids = sorted(self.ids - {self.first})
        for start in range(0, len(ids), self.CHUNK):
            chunk = ids[start : start + self.CHUNK]
            enqueue_many(
                INDEX_JOB,
                [
                    {"complaint_ids": chunk[at : at + self.PER_JOB]}
                    for at in range(0, len(chunk), self.PER_JOB)
                ],
            )

    def spill(self) -> None:
        """Queue now, inside the transaction, the whole jobs (`PER_JOB` cases each) of the cases
        gathered so far; the rest waits for more cases or for the commit. The same jobs as at
        the commit (ids ascend), without holding every case's id until then."""
        ids = sorted(self.ids - {self.first})
        whole = len(ids) - len(ids) % self.PER_JOB
        if not whole:
            return
        enqueue_many(
            INDEX_JOB,
            [
                {"complaint_ids": ids[at : at + self.PER_JOB]}
                for at in range(0, whole, self.PER_JOB)
            ],
        )
        self.ids = set(ids[whole:])


def search_index_on_event(event: ComplaintEvent) -> None:
    """`complaints.hooks` listener: every change to a case writes an event, so re-index the case
    once the change has committed (a rolled-back change queues nothing).

    The first case of a transaction gets its job in the transaction; the cases after it share
    one after-commit callback that queues their jobs with one insert, instead of a transaction
    of their own per case (about 8 ms a case on PostgreSQL: 14 minutes after a 100,000-row
    import). Joining the transaction's existing callback is safe: it was registered at this
    savepoint level or an outer one, so rolling it back would roll this change back too."""
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:
            func = entry[1]
            if isinstance(func, _IndexBatch) and not func.done:
                func.ids.add(event.complaint_id)
                return
        transaction.on_commit(_IndexBatch(event.complaint_id))
    search_index_request(complaint_id=event.complaint_id)


def search_index_spill() -> None:
    """`complaints.hooks` chunk listener: a bulk import wrote a chunk; queue the index jobs of
    its cases with the chunk (they commit or roll back with the cases) instead of at the end."""
    if not connection.in_atomic_block:
        return
    for entry in connection.run_on_commit:
        func = entry[1]
        if isinstance(func, _IndexBatch) and not func.done:
            func.spill()


def stale_complaints() -> QuerySet[Complaint]:
    """Cases without a current document: never indexed, indexed by an older analyzer, or
    changed since (events do not touch `updated_at`; their jobs cover them)."""
    return Complaint.objects.filter(
        Q(search_document__isnull=True)
        | ~Q(search_document__analyzer_version=ANALYZER_VERSION)
        | Q(updated_at__gt=F("search_document__indexed_at"))
    )


def search_reindex(
    *,
    batch: int = 500,
    stale_only: bool = False,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild documents in primary-key batches with one upsert per batch; returns the count.

    Segmentation dominates (a few hundred cases a second per core), so `workers` > 1 spreads it
    over forked processes; they only cut text, and all database work stays in this process.
    """
    base = stale_complaints() if stale_only else Complaint.objects.all()
    pool = None
    if workers > 1:
        if not connection.in_atomic_block:
            # Children never touch the database; closing first keeps them from even holding a
            # copy of the connection (they leave with os._exit, so a copy is never used anyway).
            connections.close_all()
        pool = multiprocessing.get_context("fork").Pool(workers)
    last = 0
    done = 0
    try:
        while True:
            chunk = list(_with_text(base.filter(pk__gt=last).order_by("pk"))[:batch])
            if not chunk:
                break
            texts = [_texts(c) for c in chunk]
            tokens = pool.map(_tokens, texts, chunksize=50) if pool else [_tokens(t) for t in texts]
            at = now()
            with transaction.atomic():
                SearchDocument.objects.bulk_create(
                    [_document(c, at, x, t) for c, x, t in zip(chunk, texts, tokens, strict=True)],
                    update_conflicts=True,
                    unique_fields=["complaint"],
                    update_fields=_DOCUMENT_FIELDS,
                )
            last = chunk[-1].pk
            done += len(chunk)
            if progress is not None:
                progress(done)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if done and not stale_only and connection.vendor == "sqlite":
        # Merge the FTS5 b-tree segments written batch by batch: faster queries afterwards.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO language_search_fts(language_search_fts) VALUES('optimize')"
            )
    return done


# PostgreSQL: a second GIN index over the newest cases' documents only. A search over the newest
# cases (search._windowed_matches) intersects a word's matches with a window of case ids, but a
# GIN index keeps each word's matches in one list for the whole registry, read whole for any
# window. With `complaint_id >= <threshold>` in its definition the planner reads this index
# instead for every window above the threshold (a window's bounds are constants: statements are
# planned for their values), and its lists hold the newest RECENT_IDS to RECENT_IDS +
# RECENT_STEP cases only, where a branch's windows for a common word reach (about 310,000 ids
# back at a million cases). Measured there: 催收's window of the newest 40,000 ids read 34,255
# entries in 5.1 ms instead of 117,670 in 18.2 ms; the index is 182 MB beside the full 578 MB.
# Every RECENT_STEP new cases the periodic job builds the next one (CONCURRENTLY: registration
# never waits; 79 s at a million cases) and then drops the old one.
RECENT_INDEX = "language_search_recent_"
RECENT_IDS = 300_000
RECENT_STEP = 50_000


def search_recent_index() -> str:
    """Build the recent-documents index for the current newest cases if it is not there, and
    drop every other one (an older threshold, a build that was interrupted and left invalid).
    Nothing on SQLite (FTS5 seeks a window's ids itself), or below RECENT_IDS + RECENT_STEP
    cases. A change is made outside any transaction only: indexes are built and dropped
    concurrently."""
    if connection.vendor != "postgresql":
        return "not used on this database"
    threshold = (last_case_id() - RECENT_IDS) // RECENT_STEP * RECENT_STEP
    wanted = f"{RECENT_INDEX}{threshold}" if threshold > 0 else ""
    table = SearchDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = %s::regclass AND starts_with(c.relname, %s)",
            [table, RECENT_INDEX],
        )
        existing = dict(cursor.fetchall())
        if (existing.get(wanted) and len(existing) == 1) or not (wanted or existing):
            return f"{wanted} is current" if wanted else "registry too small"
        if connection.in_atomic_block:
            raise RuntimeError("search_recent_index builds concurrently: not inside a transaction")
        done = []
        if wanted and not existing.get(wanted):
            if wanted in existing:  # left invalid by an interrupted build
                cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{wanted}"')
            cursor.execute(
                f'CREATE INDEX CONCURRENTLY "{wanted}" ON "{table}" USING gin (search_vector)'
                f" WHERE complaint_id >= {threshold}"
            )
            done.append(f"built {wanted}")
        for name in sorted(set(existing) - {wanted}):
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            done.append(f"dropped {name}")
    return "; ".join(done)
