"""Webhooks: signed JSON notices of case events, delivered in the background with a log.

The complaint services call `event_written(event)` after writing an event. For each matching
subscription it writes a delivery row (with the body fixed there and then) and queues a job, in
the caller's transaction: the jobs become runnable exactly when the event commits, and a rolled-back
event sends nothing. A job makes one HTTP attempt, logs it, and on failure queues the next attempt
after the queue's back-off (30 s, 2 min, 8 min …) until XIAOBAO_WEBHOOK_MAX_ATTEMPTS.

Each attempt is its own job rather than a raised exception, because the job runner rolls back a
failing handler's transaction, and with it the attempt's log row.

Receivers check ``X-Xiaobao-Signature: sha256=<hex>``, the HMAC-SHA256 with the subscription's
secret over ``<X-Xiaobao-Timestamp>.<raw body>`` (see `verify_signature`), and should reject
timestamps older than a few minutes (replays). Bodies never carry a complainant's personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from xiaobao.api import targets
from xiaobao.api.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from xiaobao.api.serializers import redact_data
from xiaobao.complaints.models import ComplaintEvent
from xiaobao.complaints.transitions import ACTION_LABELS
from xiaobao.jobs.services import backoff, enqueue
from xiaobao.lib import memo
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.memo import remembered
from xiaobao.privacy.masking import mask_name
from xiaobao.privacy.redaction import redact

logger = logging.getLogger(__name__)
DELIVER_JOB = "api.webhook_deliver"
SIGNATURE_HEADER = "X-Xiaobao-Signature"
TIMESTAMP_HEADER = "X-Xiaobao-Timestamp"
USER_AGENT = "Xiaobao-Webhooks/1.0"
# Anything a subscriber wrote back is kept only as an excerpt: it is their text, not ours.
EXCERPT = 300


def _max_attempts() -> int:
    return int(getattr(settings, "XIAOBAO_WEBHOOK_MAX_ATTEMPTS", 8))


def _timeout() -> float:
    return float(getattr(settings, "XIAOBAO_WEBHOOK_TIMEOUT", 10))


# --- the hook ------------------------------------------------------------------------------------


def _replaying() -> bool:
    # An importer replaying a case answered years ago (lib.clock.replay) is not news to anyone.
    return clock_now() < timezone.now() - timedelta(seconds=1)


def _active_subscriptions() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(is_active=True).order_by("pk"))


def event_written(event: ComplaintEvent) -> list[WebhookDelivery]:
    """Queue this event for every active subscription whose unit contains the case's unit."""
    if _replaying():
        return []
    complaint = event.complaint
    unit_ids = [int(seg) for seg in complaint.unit.path.strip("/").split("/") if seg]
    subs = [
        sub
        for sub in remembered("webhook_subscriptions", _active_subscriptions, stamp=memo.WEBHOOKS)
        if sub.unit_id in unit_ids and sub.wants(event.action)
    ]
    if not subs:
        return []
    payload = event_payload(event)
    created = []
    for sub in subs:
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            subscription=sub, event=event, defaults={"payload": payload}
        )
        if is_new:
            enqueue(
                DELIVER_JOB,
                {"delivery": delivery.pk},
                unique_key=f"webhook:{delivery.pk}:1",
                max_attempts=2,  # the handler retries itself; the queue only covers a crash
            )
            created.append(delivery)
    return created


def renumbered(numbers: list[str]) -> None:
    """`complaints.hooks` renumber listener: a bulk import (or a registration) gave its cases
    their registry numbers just before committing; the payloads queued for them still carry the
    placeholders.
    Without a subscription (as the import saw them) nothing was queued: no query, since this
    runs while the import holds the year's registry-number lock."""
    if not remembered("webhook_subscriptions", _active_subscriptions, stamp=memo.WEBHOOKS):
        return
    deliveries = WebhookDelivery.objects.filter(
        event__complaint__registry_no__in=numbers
    ).select_related("event__complaint")
    deliveries = deliveries.only("payload", "event__complaint__registry_no")
    changed = []
    for delivery in deliveries:
        number = delivery.event.complaint.registry_no
        if delivery.payload["complaint"]["registry_no"] != number:
            delivery.payload["complaint"]["registry_no"] = number
            changed.append(delivery)
    WebhookDelivery.objects.bulk_update(changed, ["payload"], batch_size=500)


def _safe_title(event: ComplaintEvent) -> str:
    complaint = event.complaint
    title = redact(complaint.title)
    for name in complaint.complainants.values_list("name", flat=True):
        if name and len(name) > 1:
            title = title.replace(name, mask_name(name))
    return title


def event_payload(event: ComplaintEvent) -> dict[str, Any]:
    """What subscribers receive: the event and the case's public facts, never personal data."""
    c = event.complaint
    return {
        "id": str(uuid.uuid4()),
        "type": f"complaint.{event.action}",
        "occurred_at": event.occurred_at.isoformat(),
        "event": {
            "id": event.pk,
            "action": event.action,
            "label": ACTION_LABELS.get(event.action, event.action),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": redact(event.reason),
            "data": redact_data(event.data),
        },
        "complaint": {
            "id": c.pk,
            "registry_no": c.registry_no,
            "kind": c.kind,
            "status": c.status,
            "received_at": c.received_at.isoformat(),
            "intake_channel": c.intake_channel.code,
            "external_ref": c.external_ref,
            "unit": {"code": c.unit.code, "name": c.unit.name},
            "title": _safe_title(event),
            "due_date": c.due_date.isoformat() if c.due_date else None,
            "due_at": c.due_at.isoformat() if c.due_at else None,
            "is_major": c.is_major,
            "timely": c.timely,
        },
    }


# --- signing -------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# --- sending -------------------------------------------------------------------------------------


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status, response excerpt, error); never raises for network or HTTP failures.

    The target is resolved and checked again here (public addresses only, unless allow-listed)
    and the connection goes to the checked address. A redirect is a failure: following it would
    send a signed body somewhere not subscribed.
    """
    try:
        status, excerpt = targets.post(url, body, headers, timeout=_timeout(), excerpt=EXCERPT)
    except targets.TargetRefused as exc:
        return None, "", exc.message[:500]
    except (http.client.HTTPException, OSError, ValueError) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]
    return status, excerpt, "" if 200 <= status < 300 else f"HTTP {status}"


def deliver(*, delivery_id: int) -> dict[str, Any]:
    """Make one attempt; log it; on failure queue the next one or give up."""
    row = WebhookDelivery.objects.filter(pk=delivery_id).values("status", "attempts").first()
    if row is None or row["status"] not in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        return {"delivery": delivery_id, "sent": False, "note": "nothing to do"}
    number = row["attempts"] + 1
    # Claim this attempt: a second runner of the same job changes no row and stops.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        attempts=row["attempts"],
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
    ).update(attempts=number)
    if claimed != 1:
        return {"delivery": delivery_id, "sent": False, "note": "claimed elsewhere"}
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    sub = delivery.subscription
    attempted_at = timezone.now()
    if not sub.is_active:
        status, excerpt, error = None, "", "订阅已停用"
        duration = 0
    else:
        body = encode(delivery.payload)
        timestamp = str(int(attempted_at.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Xiaobao-Event": str(delivery.payload.get("type", "")),
            "X-Xiaobao-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(sub.secret, timestamp, body),
        }
        started = time.monotonic()
        status, excerpt, error = _post(sub.url, body, headers)
        duration = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=attempted_at,
        duration_ms=duration,
        response_status=status,
        response_excerpt=excerpt[:EXCERPT],
        error=error[:500],
        succeeded=ok,
    )
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.SUCCEEDED,
            attempted_at,
            None,
        )
    elif number >= _max_attempts() or not sub.is_active:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = attempted_at + backoff(number)
        enqueue(
            DELIVER_JOB,
            {"delivery": delivery.pk},
            run_after=delivery.next_attempt_at,
            unique_key=f"webhook:{delivery.pk}:{number + 1}",
            max_attempts=2,
        )
    delivery.save(update_fields=["status", "delivered_at", "next_attempt_at"])
    return {"delivery": delivery.pk, "attempt": number, "status": delivery.status, "http": status}
