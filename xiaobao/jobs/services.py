"""Enqueue, claim and run background jobs.

Without a broker, jobs wait in the `Job` table and `manage.py run_jobs [--loop]` (cron or a
service) runs them. With XIAOBAO_QUEUE=celery and a Redis broker, enqueueing also sends the job id
to Celery so a worker starts it at once; the table stays the source of truth either way, so a
lost message is picked up by the next `run_jobs` pass.

Claiming is atomic: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE that
must change exactly one row elsewhere. A worker that dies mid-job leaves a lock that expires, and
the job runs again (handlers are written to be idempotent).
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.registry import handler, in_transaction
from xiaobao.lib import bulk
from xiaobao.lib.clock import now

logger = logging.getLogger(__name__)
LOCK_SECONDS = 300
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def enqueue(
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    unique_key: str = "",
    max_attempts: int = 5,
) -> Job | None:
    """Queue a job inside the caller's transaction; returns None if `unique_key` is pending."""
    try:
        # A savepoint only where a pending duplicate may refuse the row.
        with transaction.atomic(savepoint=bool(unique_key)):
            job = Job.objects.create(
                name=name,
                payload=payload or {},
                run_after=run_after or now(),
                unique_key=unique_key,
                max_attempts=max_attempts,
            )
    except IntegrityError:
        if unique_key:
            return None
        raise
    if getattr(settings, "XIAOBAO_QUEUE", "database") == "celery":
        transaction.on_commit(lambda: _send_to_celery(job.pk))
    return job


def enqueue_many(
    name: str,
    payloads: list[dict[str, Any]],
    *,
    run_after: list[datetime] | None = None,
    unique_keys: list[str] | None = None,
) -> list[Job]:
    """Queue several jobs of one kind with one insert. Unlike `enqueue`, a unique key that is
    already pending is an error (IntegrityError): give keys only when they cannot be."""
    if not payloads:
        return []
    at = now()
    times = run_after or [at] * len(payloads)
    keys = unique_keys or [""] * len(payloads)
    if not len(times) == len(keys) == len(payloads):
        raise ValueError("enqueue_many: one run_after and one unique key per payload")
    with transaction.atomic():
        jobs = bulk.insert(
            [
                Job(name=name, payload=p, run_after=t, unique_key=k)
                for p, t, k in zip(payloads, times, keys, strict=True)
            ],
            keys=True,
        )
    if getattr(settings, "XIAOBAO_QUEUE", "database") == "celery":
        ids = [j.pk for j in jobs]

        def send() -> None:
            for pk in ids:
                _send_to_celery(pk)

        transaction.on_commit(send)
    return jobs


def _send_to_celery(job_id: int) -> None:
    from xiaobao.jobs.celery import run_job

    run_job.delay(job_id)


def _ready() -> Q:
    moment = now()
    return Q(status=JobStatus.QUEUED, run_after__lte=moment) | Q(
        status=JobStatus.RUNNING, locked_until__lt=moment
    )


def claim(*, worker: str = WORKER_ID, job_id: int | None = None) -> Job | None:
    """Take one ready job for `worker`, or None. Two workers never get the same job."""
    base = Job.objects.filter(_ready())
    if job_id is not None:
        base = base.filter(pk=job_id)
    until = now() + timedelta(seconds=LOCK_SECONDS)
    if connection.vendor == "postgresql":
        with transaction.atomic():
            job = base.select_for_update(skip_locked=True).order_by("run_after", "id").first()
            if job is None:
                return None
            job.status, job.locked_by, job.locked_until = JobStatus.RUNNING, worker, until
            job.attempts += 1
            job.save(update_fields=["status", "locked_by", "locked_until", "attempts"])
            return job
    for candidate in base.order_by("run_after", "id").values_list("pk", "attempts")[:10]:
        pk, attempts = candidate
        changed = Job.objects.filter(_ready(), pk=pk, attempts=attempts).update(
            status=JobStatus.RUNNING, locked_by=worker, locked_until=until, attempts=attempts + 1
        )
        if changed == 1:
            return Job.objects.get(pk=pk)
    return None


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min … capped at 6 hours."""
    return timedelta(seconds=min(30 * 4 ** max(attempts - 1, 0), 6 * 3600))


def run_one(job: Job) -> Job:
    """Run a claimed job and record its outcome (retry with back-off, or fail for good)."""
    try:
        with transaction.atomic() if in_transaction(job.name) else nullcontext():
            result = handler(job.name)(job.payload)
    except Exception as exc:
        logger.warning("job %s#%s failed: %s", job.name, job.pk, type(exc).__name__)
        job.last_error = "".join(traceback.format_exception_only(exc))[-2000:]
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, now()
        else:
            job.status, job.run_after = JobStatus.QUEUED, now() + backoff(job.attempts)
    else:
        job.status, job.finished_at = JobStatus.DONE, now()
        job.result = result if isinstance(result, dict) else {"result": result}
    job.locked_by, job.locked_until = "", None
    job.save(
        update_fields=[
            "status",
            "finished_at",
            "run_after",
            "last_error",
            "result",
            "locked_by",
            "locked_until",
        ]
    )
    return job


def run_pending(*, limit: int = 100, worker: str = WORKER_ID) -> int:
    """Claim and run up to `limit` ready jobs; returns how many ran."""
    count = 0
    while count < limit:
        job = claim(worker=worker)
        if job is None:
            break
        run_one(job)
        count += 1
    return count
