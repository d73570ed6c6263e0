"""Background jobs of the watch: push one notice, send one user's daily digest."""

from __future__ import annotations

from typing import Any

from xiaobao.jobs import registry
from xiaobao.watch import notify


@registry.job(notify.DELIVER_JOB)
def deliver(payload: dict[str, Any]) -> dict[str, Any]:
    return notify.delivery_send(delivery_id=int(payload["delivery"]))


@registry.job(notify.DIGEST_JOB)
def digest(payload: dict[str, Any]) -> dict[str, Any]:
    return notify.digest_send(user_id=int(payload["user"]))
