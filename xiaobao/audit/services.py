from __future__ import annotations

from typing import Any

from django.db import models

from xiaobao.audit.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model,
    unit: Any | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one append-only audit row for a change to `obj`.

    A change that belongs to no unit (institution-wide configuration) is filed under head office,
    the root of the tree, so head-office officers see it and branches do not.
    """
    if unit is None:
        from xiaobao.organisation.models import Unit

        unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        unit=unit,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:255],
        data=data or {},
    )
