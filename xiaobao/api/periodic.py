"""Periodic work of the API (see `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.api.services import idempotency_keys_purge
from xiaobao.watch.schedule import periodic


@periodic("api.purge_idempotency_keys", every=timedelta(days=1))
def purge_idempotency_keys(*, now: datetime) -> str:
    """Forget Idempotency-Key records older than a week."""
    return f"deleted {idempotency_keys_purge(older_than=timedelta(days=7))}"
