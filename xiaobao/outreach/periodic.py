"""Periodic outreach work, run by the sweeper's scheduler (`xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.outreach.services import campaign_remind_non_reporters
from xiaobao.watch.schedule import periodic


@periodic("outreach.remind_non_reporters", every=timedelta(hours=1))
def remind_non_reporters(*, now: datetime) -> int:
    return campaign_remind_non_reporters(now=now)
