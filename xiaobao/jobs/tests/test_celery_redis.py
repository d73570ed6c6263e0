"""End to end with a real Redis broker and a real `celery worker` process.

A notice is queued exactly as the sweeper queues it (`enqueue` inside a transaction, the job id
sent to Celery on commit); the worker claims the job row and sends the e-mail. The test uses a
queue name of its own, so other test runs sharing the same Redis do not steal its messages.

Needs PostgreSQL (the worker process must see the test database; SQLite's test database lives
in memory), so the SQLite run skips it; and Redis at 127.0.0.1:6379, without which it is skipped
with a loud warning in the test summary.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.services import enqueue

REDIS = ("127.0.0.1", 6379)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _skip_reason() -> str | None:
    # Decided at collection: a transactional test that skips after its database was set up
    # would still pay for (and on SQLite trip over) the serialised rollback.
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "needs PostgreSQL so that a worker process can share the test database"
    if not _redis_reachable():
        reason = f"CELERY END-TO-END TEST SKIPPED: Redis is not reachable at {REDIS[0]}:{REDIS[1]}"
        bar = "!" * 78
        print(f"\n{bar}\n{reason}\n{bar}", file=sys.stderr)
        warnings.warn(reason, stacklevel=1)
        return reason
    return None


SKIP_REASON = _skip_reason()


@pytest.fixture
def celery_queue(settings):
    from xiaobao.jobs.celery import app

    queue = f"xiaobao-test-{uuid.uuid4().hex[:12]}"
    settings.XIAOBAO_QUEUE = "celery"
    broker = f"redis://{REDIS[0]}:{REDIS[1]}/0"
    previous = (app.conf.task_default_queue, app.conf.broker_url)
    app.conf.task_default_queue = queue
    app.conf.broker_url = broker
    try:
        yield queue, broker
    finally:
        app.conf.task_default_queue, app.conf.broker_url = previous


def _start_worker(queue: str, broker: str) -> subprocess.Popen[str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "XIAOBAO_QUEUE": "celery",
        "XIAOBAO_BROKER_URL": broker,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "xiaobao.jobs.celery",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_notice_queued_on_commit_is_sent_by_a_celery_worker(celery_queue, people):
    from xiaobao.complaints.services import complaint_register
    from xiaobao.complaints.tests.conftest import person
    from xiaobao.lib.clock import now
    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.models import Delivery, Notification
    from xiaobao.watch.notify import DELIVER_JOB

    queue, broker = celery_queue
    people.handler_a.email = "handler_a@bank.test"
    people.handler_a.save(update_fields=["email"])
    complaint = complaint_register(
        actor=people.handler_a,
        unit=people.handler_a.unit,
        received_at=now(),
        intake_channel="COUNTER",
        title="信用卡年费争议",
        narrative="端到端测试",
        complainants=[person()],
    )
    worker = _start_worker(queue, broker)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")))
    reader.start()
    try:
        with transaction.atomic():
            notice = Notification.objects.create(
                recipient=people.handler_a,
                unit=complaint.unit,
                complaint=complaint,
                kind=NotificationKind.DEADLINE,
                step=1,
                urgent=True,
                title=f"【紧急】{complaint.registry_no} 已到办理期限，尚未答复",
                body="端到端测试",
                created_at=now(),
                deliver_after=now(),
            )
            delivery = Delivery.objects.create(
                notification=notice, channel="email", deliver_after=now()
            )
            job = enqueue(DELIVER_JOB, {"delivery": delivery.pk}, unique_key=f"e2e:{delivery.pk}")
            assert job is not None
        # Committed: the job id is now on its way through Redis to the worker.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            if any("succeeded" in line for line in list(lines)):
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        reader.join(10)
    output = "".join(lines)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, output[-3000:]
    assert job.locked_by == "" and job.attempts == 1
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.note.startswith("sent to h")
    assert "Subject: " in output and "To: handler_a@bank.test" in output
    assert Job.objects.filter(status=JobStatus.QUEUED).count() == 0
