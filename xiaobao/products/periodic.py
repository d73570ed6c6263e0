"""Periodic pre-review work, run by the sweeper's scheduler (`xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.products.services import review_remind_overdue
from xiaobao.watch.schedule import periodic


@periodic("products.remind_overdue_reviews", every=timedelta(hours=6))
def remind_overdue_reviews(*, now: datetime) -> int:
    return review_remind_overdue(now=now)
