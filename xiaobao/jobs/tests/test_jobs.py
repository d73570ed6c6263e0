from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from xiaobao.jobs import registry
from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.services import backoff, claim, enqueue, run_one, run_pending

CALLS: list[dict] = []


@registry.job("tests.record")
def _record(payload):
    CALLS.append(payload)
    return {"ok": True}


@registry.job("tests.explode")
def _explode(payload):
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()


@pytest.mark.django_db
def test_enqueue_and_run():
    enqueue("tests.record", {"n": 1})
    enqueue("tests.record", {"n": 2}, run_after=timezone.now() + timedelta(hours=1))
    assert run_pending() == 1
    assert CALLS == [{"n": 1}]
    done = Job.objects.get(payload__n=1)
    assert done.status == JobStatus.DONE and done.result == {"ok": True} and done.attempts == 1


@pytest.mark.django_db
def test_unique_key_enqueues_once_while_pending():
    assert enqueue("tests.record", {}, unique_key="remind:1:80") is not None
    assert enqueue("tests.record", {}, unique_key="remind:1:80") is None
    run_pending()
    # Once done, the same key may be queued again (e.g. the deadline moved and re-armed).
    assert enqueue("tests.record", {}, unique_key="remind:1:80") is not None


@pytest.mark.django_db
def test_failures_retry_with_backoff_then_fail():
    job = enqueue("tests.explode", {}, max_attempts=2)
    assert job is not None
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and "boom" in job.last_error
    assert job.run_after > timezone.now()
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert backoff(1) == timedelta(seconds=30) and backoff(3) == timedelta(minutes=8)
    assert backoff(20) == timedelta(hours=6)


@pytest.mark.django_db
def test_a_dead_workers_lock_expires_and_the_job_runs_again():
    enqueue("tests.record", {"n": 3})
    job = claim(worker="dead-worker")
    assert job is not None and claim(worker="other") is None
    Job.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    again = claim(worker="other")
    assert again is not None and again.pk == job.pk and again.attempts == 2
    run_one(again)
    assert CALLS == [{"n": 3}]


@pytest.mark.django_db
def test_run_jobs_command():
    enqueue("tests.record", {"n": 4})
    call_command("run_jobs")
    assert CALLS == [{"n": 4}]


@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_many_workers_never_run_a_job_twice():
    for n in range(60):
        enqueue("tests.record", {"n": n})
    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait()
        try:
            run_pending(limit=1000, worker=f"w{i}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c["n"] for c in CALLS) == list(range(60))
    assert Job.objects.filter(status=JobStatus.DONE, attempts=1).count() == 60
