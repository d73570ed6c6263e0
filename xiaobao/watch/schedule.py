"""Periodic work: functions that run every so often, called from the sweeper's loop.

Register a function in a module called `periodic.py` of any `xiaobao.*` app (found
automatically):

    @periodic("plans.task_sweep", every=timedelta(minutes=5))
    def task_sweep(*, now: datetime) -> str | int | None: ...

`run_due(now=...)` runs every function whose time has come; `sweep_deadlines` calls it once per
pass. This is the minimal version of the scheduler (the last run is kept per process, so two
sweepers may both run a function in one period): registered functions must therefore be safe
to run twice, which the task sweep is (it claims its rows). The full scheduler with one claimed
row per job replaces this module without changing its API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

logger = logging.getLogger(__name__)

PeriodicFunction = Callable[..., str | int | None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    fn: PeriodicFunction


_jobs: dict[str, PeriodicJob] = {}
_last_run: dict[str, datetime] = {}
_discovered = False


def periodic(name: str, *, every: timedelta) -> Callable[[PeriodicFunction], PeriodicFunction]:
    """Register `fn(*, now: datetime) -> str | int | None` to run every `every`."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive period")

    def register(fn: PeriodicFunction) -> PeriodicFunction:
        known = _jobs.get(name)
        if known is not None and (known.fn.__module__, known.fn.__qualname__) != (
            fn.__module__,
            fn.__qualname__,
        ):
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


def run_due(*, now: datetime) -> dict[str, str | int | None]:
    """Run every registered function whose period has passed; {name: result} of those run.

    A function that raises is logged and tried again at its next period; the others still run.
    """
    results: dict[str, str | int | None] = {}
    for job in registered().values():
        last = _last_run.get(job.name)
        if last is not None and now < last + job.every:
            continue
        _last_run[job.name] = now
        try:
            results[job.name] = job.fn(now=now)
        except Exception:
            logger.exception("periodic job %s failed", job.name)
            results[job.name] = "error"
    return results


def reset() -> None:
    """Forget when each function last ran (tests)."""
    _last_run.clear()
