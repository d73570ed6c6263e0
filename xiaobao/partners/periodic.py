"""Periodic partner-list work, run by the sweeper's scheduler (`xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.partners.services import evaluations_remind, licences_remind
from xiaobao.watch.schedule import periodic


@periodic("partners.licence_reminders", every=timedelta(hours=6))
def licence_reminders(*, now: datetime) -> int:
    return licences_remind(now=now)


@periodic("partners.evaluation_reminders", every=timedelta(days=1))
def evaluation_reminders(*, now: datetime) -> int:
    return evaluations_remind(now=now)
