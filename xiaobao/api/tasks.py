"""Background jobs of the integration layer."""

from __future__ import annotations

from typing import Any

from xiaobao.api import services, webhooks
from xiaobao.jobs import registry


@registry.job(webhooks.DELIVER_JOB)
def webhook_deliver(payload: dict[str, Any]) -> dict[str, Any]:
    return webhooks.deliver(delivery_id=int(payload["delivery"]))


@registry.job("api.idempotency_purge")
def idempotency_purge(payload: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": services.idempotency_keys_purge()}
