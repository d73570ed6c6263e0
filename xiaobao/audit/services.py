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


def audit_unlock(*, actor: Any, username: str, address: str) -> AuditEvent:
    """An administrator lifting a login lockout (deleting the django-axes attempt)."""
    from xiaobao.organisation.models import Unit, User

    user = User.objects.select_related("unit").filter(username=username[:150]).first()
    unit = user.unit if user is not None else None
    if unit is None:
        unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        unit=unit,
        action="login.unlock",
        object_type="organisation.user",
        object_id=str(user.pk) if user is not None else "",
        summary=username[:255],
        data={"username": username[:150], "address": address, "known_account": user is not None},
    )


def audit_login(*, outcome: str, username: str, address: str) -> AuditEvent:
    """One login success, failure or lockout; filed under the account's unit when it exists.

    A failed login for an unknown account belongs to no unit and is filed under head office.
    """
    from xiaobao.organisation.models import Unit, User

    user = User.objects.select_related("unit").filter(username=username[:150]).first()
    unit = user.unit if user is not None else None
    if unit is None:
        unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    return AuditEvent.objects.create(
        actor=user if outcome == "success" else None,
        unit=unit,
        action=f"login.{outcome}",
        object_type="organisation.user",
        object_id=str(user.pk) if user is not None else "",
        summary=username[:255],
        data={"username": username[:150], "address": address, "known_account": user is not None},
    )
