"""Periodic work of the privacy app (see `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.privacy.services import retention_run
from xiaobao.watch.schedule import periodic


@periodic("privacy.retention", every=timedelta(days=1))
def retention(*, now: datetime) -> str:
    """Anonymise what has outlived its retention period (records on legal hold are kept)."""
    return "; ".join(f"{name}: {result}" for name, result in retention_run(now=now).items())
