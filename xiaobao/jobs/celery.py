"""Celery, used only when XIAOBAO_QUEUE=celery: a worker per machine, Redis as the broker.

    XIAOBAO_QUEUE=celery XIAOBAO_BROKER_URL=redis://127.0.0.1:6379/0 \\
        celery -A xiaobao.jobs.celery worker --concurrency 2

The task only carries a job id; the job row (claimed atomically) is the truth.

Periodic work (`xiaobao.watch.schedule`) runs from the sweeper loop; with Celery, beat can run it
as well (each job is claimed on its `ScheduledRun` row, so a sweeper and beat never both run it):

    celery -A xiaobao.jobs.celery beat
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaobao.settings")

app = Celery("xiaobao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "xiaobao-periodic": {"task": "xiaobao.run_periodic", "schedule": 60.0},
}


def _setup() -> None:
    from django.apps import apps

    if not apps.ready:
        # Celery's Django fix-up sets Django up when the worker starts. Calling setup() again
        # on every task re-ran LOGGING's dictConfig, replacing the worker's log handlers, so
        # every log line (and all stdout, e.g. the console mail backend) after the first task
        # was silently dropped.
        import django

        django.setup()


@app.task(name="xiaobao.run_periodic")
def run_periodic() -> list[str]:
    """Run the periodic jobs that are due (sent every minute by `celery beat`)."""
    _setup()
    from xiaobao.watch.schedule import run_due

    return [str(outcome) for outcome in run_due()]


@app.task(name="xiaobao.run_job", acks_late=True)
def run_job(job_id: int) -> str:
    _setup()
    from xiaobao.jobs.services import claim, run_one

    job = claim(job_id=job_id)
    if job is None:
        return "not ready or already taken"
    return run_one(job).status
