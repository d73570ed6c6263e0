"""Periodic work: jobs that run every so often by themselves, on the embedded default too.

Register a job in a module called `periodic.py` of any `xiaobao.*` app (found automatically):

    from datetime import timedelta
    from xiaobao.watch.schedule import periodic

    @periodic("privacy.retention", every=timedelta(days=1))
    def retention(*, now: datetime) -> str | int | None:
        ...  # return a short result for the administrators' page (or None)

`run_due` runs every job whose time has come. The sweeper loop (`sweep_deadlines --loop`, which
`dev.py run` starts) calls it on every pass; with `XIAOBAO_QUEUE=celery`, Celery beat calls it
every minute as well (`xiaobao.jobs.celery`). Any number of sweepers and beats may call it at once:
each job has one `ScheduledRun` row, taken with a conditional UPDATE (due, and no live lease), so
exactly one caller runs a job for a given period. A job that raises records its error and is tried
again at its next period; a caller killed mid-run leaves a lease that expires after `LEASE`.

Administrators see every job's last start, finish, result and error in the admin
(定时任务, `watch.ScheduledRun`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.db import IntegrityError, transaction
from django.db.models import Q

from xiaobao.lib.clock import now as clock_now

logger = logging.getLogger(__name__)

PeriodicFunction = Callable[..., str | int | None]
# A run that takes longer than this is presumed dead and may be taken again.
LEASE = timedelta(hours=2)
MAX_TEXT = 2000


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    fn: PeriodicFunction


_jobs: dict[str, PeriodicJob] = {}
_discovered = False


def periodic(name: str, *, every: timedelta) -> Callable[[PeriodicFunction], PeriodicFunction]:
    """Register `fn(*, now: datetime) -> str | int | None` to run every `every`."""
    if every < timedelta(seconds=1):
        raise ValueError("a periodic job runs at most once a second")

    def register(fn: PeriodicFunction) -> PeriodicFunction:
        known = _jobs.get(name)
        if known is not None and known.fn is not fn:
            qualname = f"{fn.__module__}.{fn.__qualname__}"
            known_name = f"{known.fn.__module__}.{known.fn.__qualname__}"
            if qualname != known_name:  # a module imported twice re-registers itself: fine
                raise ValueError(f"periodic job {name!r} registered twice")
        _jobs[name] = PeriodicJob(name, every, fn)
        return fn

    return register


def discover() -> None:
    """Import `periodic.py` of every installed `xiaobao.*` app (once per process)."""
    global _discovered
    if _discovered:
        return
    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("xiaobao."):
            try:
                import_module(f"{config.name}.periodic")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.periodic":
                    raise
    _discovered = True


def registered() -> dict[str, PeriodicJob]:
    discover()
    return dict(_jobs)


def _ensure_rows(jobs: dict[str, PeriodicJob], at: datetime) -> None:
    """One row per job; a new job is due at once, a changed period takes effect from now."""
    from xiaobao.watch.models import ScheduledRun

    known = dict(ScheduledRun.objects.values_list("name", "every_seconds"))
    for job in jobs.values():
        seconds = int(job.every.total_seconds())
        if job.name not in known:
            try:
                with transaction.atomic():
                    ScheduledRun.objects.create(
                        name=job.name, every_seconds=seconds, next_run_at=at
                    )
            except IntegrityError:  # another sweeper created it a moment ago
                pass
        elif known[job.name] != seconds:
            ScheduledRun.objects.filter(name=job.name).update(every_seconds=seconds)


def _claim(job: PeriodicJob, at: datetime) -> bool:
    """Take `job` for this period: exactly one concurrent caller changes the row."""
    from xiaobao.watch.models import ScheduledRun

    changed = (
        ScheduledRun.objects.filter(name=job.name, next_run_at__lte=at)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=at))
        .update(
            lease_until=at + LEASE,
            last_started_at=at,
            next_run_at=at + job.every,
        )
    )
    return changed == 1


def _record(name: str, *, result: str = "", error: str = "") -> None:
    from django.db.models import F

    from xiaobao.watch.models import ScheduledRun

    fields = {
        "lease_until": None,
        "last_finished_at": clock_now(),
        "last_result": result[:MAX_TEXT],
        "last_error": error[-MAX_TEXT:],
        "runs": F("runs") + 1,
    }
    if error:
        fields["failures"] = F("failures") + 1
    ScheduledRun.objects.filter(name=name).update(**fields)


@dataclass(frozen=True)
class RunOutcome:
    name: str
    result: str
    error: str

    def __str__(self) -> str:
        return (
            f"{self.name}: {'ERROR ' + self.error.splitlines()[-1] if self.error else self.result}"
        )


def run_due(*, now: datetime | None = None, only: set[str] | None = None) -> list[RunOutcome]:
    """Run every registered job that is due (or only those named in `only`); what each did."""
    at = now or clock_now()
    jobs = registered()
    if only is not None:
        jobs = {name: job for name, job in jobs.items() if name in only}
    _ensure_rows(jobs, at)
    outcomes: list[RunOutcome] = []
    for job in sorted(jobs.values(), key=lambda j: j.name):
        if not _claim(job, at):
            continue
        try:
            value = job.fn(now=at)
        except Exception as exc:
            logger.exception("periodic job %s failed", job.name)
            error = "".join(traceback.format_exception_only(exc)).strip()
            _record(job.name, error=error)
            outcomes.append(RunOutcome(job.name, "", error))
        else:
            result = "" if value is None else str(value)
            _record(job.name, result=result)
            outcomes.append(RunOutcome(job.name, result, ""))
    return outcomes
