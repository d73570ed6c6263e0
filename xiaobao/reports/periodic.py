"""Periodic work of the reports app (see `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.timezone import localdate

from xiaobao.reports import rollups
from xiaobao.reports.services import early_warning_run
from xiaobao.watch.schedule import periodic


@periodic("reports.early_warning", every=timedelta(hours=6))
def early_warning(*, now: datetime) -> str:
    """Surges, repeat complainants and clusters (idempotent per day: a rerun raises nothing)."""
    raised = early_warning_run(as_of=localdate(now))
    return f"raised {len(raised)} alert(s)"


@periodic("reports.rollups", every=timedelta(hours=1))
def monthly_rollups(*, now: datetime) -> str:
    """Rebuild the past months' rollups that changes marked (or that were never built), so the
    dashboards' first read after a change need not."""
    return f"rebuilt {rollups.build_stale(now)} month(s)"
