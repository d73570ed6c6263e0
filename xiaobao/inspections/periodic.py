"""Periodic inspection work, run by the sweeper's scheduler (`xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.inspections.services import test_complaints_sweep, visits_finalise_due
from xiaobao.watch.schedule import periodic


@periodic("inspections.finalise_visits", every=timedelta(hours=1))
def finalise_visits(*, now: datetime) -> int:
    return visits_finalise_due(now=now)


@periodic("inspections.check_test_complaints", every=timedelta(hours=1))
def check_test_complaints(*, now: datetime) -> int:
    return test_complaints_sweep(now=now)
