"""Periodic work of the intake app (run by `sweep_deadlines` through `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.intake import services
from xiaobao.watch.schedule import periodic


@periodic("intake.sweep_uploads", every=timedelta(hours=1))
def sweep_uploads(*, now: datetime) -> str:
    """Uploads of abandoned imports, runs left behind by a dead worker, files no run holds."""
    return ", ".join(f"{k} {v}" for k, v in services.import_runs_sweep(now=now).items())
