from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from xiaobao.audit.models import AuditEvent, RecordEvent
from xiaobao.lib.clock import now as clock_now


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model,
    unit: Any | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one append-only audit row for a change to `obj`."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        unit=unit,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:255],
        data=data or {},
    )


def record_event(
    obj: models.Model,
    *,
    action: str,
    actor: Any | None,
    unit: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    action_label: str = "",
    at: datetime | None = None,
) -> RecordEvent:
    """Write the append-only event for one state change of a programme record.

    Call it inside the service's transaction, after the change: a refused request writes nothing.
    """
    return RecordEvent.objects.create(
        occurred_at=at or clock_now(),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        unit=unit,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        action_label=str(action_label)[:60],
        from_status=str(from_status),
        to_status=str(to_status),
        reason=reason,
        data=data or {},
    )
