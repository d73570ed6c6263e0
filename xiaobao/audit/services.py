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
