"""Periodic training work, run by the sweeper's scheduler (`xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.training.services import attempts_expire, qualification_remind
from xiaobao.watch.schedule import periodic


@periodic("training.qualification_reminders", every=timedelta(hours=6))
def qualification_reminders(*, now: datetime) -> int:
    return qualification_remind(now=now)


@periodic("training.expire_attempts", every=timedelta(minutes=5))
def expire_attempts(*, now: datetime) -> int:
    return attempts_expire(now=now)
