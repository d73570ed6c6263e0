"""Many sweepers and workers at once, and sweepers that die: PostgreSQL only.

Threads share the process but each has its own database connection, exactly like separate
machines; the process tests run real `manage.py sweep_deadlines` / `run_jobs` processes against
the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.services import run_pending
from xiaobao.watch import conf
from xiaobao.watch import sweep as sweep_module
from xiaobao.watch.models import Delivery, EscalationRule, Firing, Notification, WatchState
from xiaobao.watch.sweep import discover, sweep

from .conftest import at
from .factories import bulk_cases

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def _in_threads(n, target):
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _assert_each_once(cases: int, recipients: int) -> None:
    per_case = Counter(
        Firing.objects.filter(outcome="notified").values_list("complaint_id", flat=True)
    )
    assert len(per_case) == cases and set(per_case.values()) == {1}
    assert Notification.objects.count() == cases * recipients
    assert Delivery.objects.count() == cases * recipients
    if conf.get("BUNDLE_SWEEP"):
        # Bundled per person: no job per notice, one digest job per person while pending.
        assert not Delivery.objects.filter(digest=False).exists()
        assert Job.objects.filter(name="watch.deliver").count() == 0
        assert 1 <= Job.objects.filter(name="watch.digest").count() <= recipients
    else:
        assert Job.objects.filter(name="watch.deliver").count() == cases * recipients


def test_four_sweeper_threads_fire_and_notify_each_case_exactly_once(org, staff, frozen):
    frozen(at(2026, 1, 5, 11))
    bulk_cases(150, unit=org.sub_a, handler=staff.handler_a, received_at=at(2026, 1, 5, 10))
    discover()  # every case is now due for a look; the threads race for them
    frozen(at(2026, 1, 21, 0, 30))  # the deadline has passed: urgent, three people each

    errors = _in_threads(4, lambda i: sweep(batch=20))
    assert errors == []
    _assert_each_once(150, 3)
    assert Firing.objects.count() == 150 * 3  # 50% and 80% recorded as superseded

    errors = _in_threads(4, lambda i: run_pending(limit=10_000, worker=f"w{i}"))
    assert errors == []
    # One message per person, listing each of the 150 cases once.
    sent = Counter(m.to[0] for m in mail.outbox)
    assert len(sent) == 3 and set(sent.values()) == {1}
    for message in mail.outbox:
        assert message.body.count("投诉编号：") == 150
    assert Delivery.objects.filter(delivered_at__isnull=True).count() == 0


def test_four_digest_runners_send_one_bundle(org, staff, frozen):
    """The claim: four runners of the same person's bundle at once, one message."""
    from xiaobao.watch.notify import DigestRaceError, digest_send

    frozen(at(2026, 1, 5, 11))
    bulk_cases(40, unit=org.sub_a, handler=staff.handler_a, received_at=at(2026, 1, 5, 10))
    discover()
    frozen(at(2026, 1, 24, 0, 30))  # three days overdue: four people, urgent
    sweep()
    results: list[object] = []

    def run(i):
        try:
            results.append(digest_send(user_id=staff.hq_officer.pk))
        except DigestRaceError as exc:
            results.append(exc)

    assert _in_threads(4, run) == []
    assert len([m for m in mail.outbox if m.to == ["hq_officer@bank.test"]]) == 1
    assert sum(1 for r in results if isinstance(r, dict) and r["sent"]) == 1
    assert not Delivery.objects.filter(
        notification__recipient=staff.hq_officer, delivered_at__isnull=True
    ).exists()


def test_a_sweeper_killed_mid_batch_leaves_nothing_half_done(org, staff, frozen, monkeypatch):
    frozen(at(2026, 1, 5, 11))
    bulk_cases(40, unit=org.sub_a, handler=staff.handler_a, received_at=at(2026, 1, 5, 10))
    discover()
    frozen(at(2026, 1, 13, 10))

    real_check = sweep_module.check
    victim: dict[str, object] = {}
    holding, release = threading.Event(), threading.Event()

    def check(states, run):
        real_check(states, run)
        if threading.current_thread().name == "victim":
            victim["done"] = int(victim.get("done", 0)) + len(states)
            victim["pid"] = connection.connection.info.backend_pid
            holding.set()
            release.wait(30)

    monkeypatch.setattr(sweep_module, "check", check)

    def run_victim():
        try:
            sweep(batch=10)
        except Exception as exc:  # its connection is about to be killed
            victim["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run_victim, name="victim")
    thread.start()
    assert holding.wait(30)
    # Ten cases are "done" inside the victim's open transaction, their rows locked. Kill it.
    assert victim["done"] == 10 and Firing.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [victim["pid"]])
    release.set()
    thread.join(30)
    assert "error" in victim

    sweep()  # another sweeper takes everything, including the victim's rolled-back batch
    _assert_each_once(40, 1)
    assert WatchState.objects.filter(next_check_at__lte=at(2026, 1, 13, 10)).count() == 0


# --- real processes ----------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    return {**env, "DATABASE_URL": url, "XIAOBAO_QUEUE": "database", **extra}


def _manage(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _urgent_half() -> None:
    # Real time in the child processes: make 50% urgent so nothing waits for working hours.
    EscalationRule.objects.filter(threshold__code="half").update(urgent=True)


def test_sweeper_and_worker_processes_over_thousands_of_cases_send_each_notice_once(org, staff):
    _urgent_half()
    now = timezone.now()
    bulk_cases(2000, unit=org.sub_a, handler=staff.handler_a, received_at=now - timedelta(days=10))
    discover()

    sweepers = [_manage("sweep_deadlines", "--no-jobs", "--batch", "50") for _ in range(3)]
    for p in sweepers:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    _assert_each_once(2000, 1)

    console = "django.core.mail.backends.console.EmailBackend"
    workers = [_manage("run_jobs", "--limit", "100000", EMAIL_BACKEND=console) for _ in range(3)]
    outputs = []
    for p in workers:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outputs.append(out)
    # The handler's 2,000 notices of these passes travel bundled: one message per pass at most.
    messages = sum(o.count("\nSubject: ") + o.startswith("Subject: ") for o in outputs)
    assert 1 <= messages <= 3
    assert sum(o.count("投诉编号：") for o in outputs) == 2000
    assert Delivery.objects.filter(delivered_at__isnull=True).count() == 0
    assert set(Job.objects.values_list("status", "attempts").distinct()) == {(JobStatus.DONE, 1)}


def test_a_killed_sweeper_process_is_picked_up_by_the_next(org, staff):
    _urgent_half()
    now = timezone.now()
    bulk_cases(1000, unit=org.sub_a, handler=staff.handler_a, received_at=now - timedelta(days=10))
    discover()

    victim = _manage("sweep_deadlines", "--no-jobs", "--batch", "100")
    deadline = time.monotonic() + 120
    while Firing.objects.count() == 0 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)  # no clean-up, no rollback by the process itself
    victim.communicate(timeout=30)
    done_by_victim = Firing.objects.count()
    assert 0 < done_by_victim < 1000

    survivor = _manage("sweep_deadlines", "--no-jobs")
    _out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    _assert_each_once(1000, 1)


def test_a_killed_job_worker_leaves_its_jobs_to_the_next_one(org, staff, frozen, settings):
    # One message per notice here, so that the worker is killed with most still to send.
    settings.XIAOBAO_WATCH = {**settings.XIAOBAO_WATCH, "BUNDLE_SWEEP": False}
    frozen(at(2026, 1, 5, 11))
    bulk_cases(200, unit=org.sub_a, handler=staff.handler_a, received_at=at(2026, 1, 5, 10))
    discover()
    frozen(at(2026, 1, 21, 0, 30))
    sweep()
    # The child runs on real time; the jobs were queued for 21 Jan 2026, long past.
    worker = _manage(
        "run_jobs",
        "--limit",
        "100000",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    deadline = time.monotonic() + 120
    while (
        not Job.objects.filter(status=JobStatus.DONE).exists()
        and worker.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert Job.objects.exclude(status=JobStatus.DONE).exists()
    # A job killed after its delivery committed but before the job row said so is run again
    # and finds the delivery done: what is left to send is what is not delivered.
    left = Delivery.objects.filter(delivered_at__isnull=True).count()
    assert left > 0

    # A dead worker's claim expires after LOCK_SECONDS; pretend that time has passed.
    Job.objects.filter(status=JobStatus.RUNNING).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    frozen(timezone.now())
    run_pending(limit=10_000)
    assert Job.objects.exclude(status=JobStatus.DONE).count() == 0
    assert Delivery.objects.filter(delivered_at__isnull=True).count() == 0
    assert len(mail.outbox) == left  # the survivor sent exactly what the dead one had not
