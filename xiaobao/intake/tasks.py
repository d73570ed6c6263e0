"""Background jobs of the intake app; each one calls one service."""

from __future__ import annotations

from typing import Any

from xiaobao.intake import services
from xiaobao.jobs.registry import job


@job("intake.run", atomic=False)
def run(payload: dict[str, Any]) -> dict[str, Any]:
    """payload: {"run": ImportRun id}. Outside the worker's transaction: each status change of
    the run and the import commit on their own, and the import's registry numbers are reserved
    chunk by chunk instead of being held until the job ends."""
    done = services.import_run_execute(run_id=int(payload["run"]))
    return {"run": done.pk, "status": done.status}


@job("intake.sweep")
def sweep(payload: dict[str, Any]) -> dict[str, int]:
    """Remove uploads and runs that imports left behind (see `import_runs_sweep`).

    Meant to run every hour: register `sweep_uploads` with the periodic scheduler
    (`xiaobao/watch/schedule.py`) or run `manage.py sweep_imports` from cron."""
    return services.import_runs_sweep()


def sweep_uploads() -> dict[str, int]:
    """The periodic entry point for a scheduler (no payload)."""
    return services.import_runs_sweep()
