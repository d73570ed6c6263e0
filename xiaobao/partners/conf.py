"""Partner-list settings with their defaults (editable per deployment)."""

from __future__ import annotations

from django.conf import settings


def licence_warning_days() -> int:
    """How many days before a licence expires the owning unit is reminded."""
    return int(getattr(settings, "XIAOBAO_PARTNERS_LICENCE_WARNING_DAYS", 60))


def evaluation_months() -> int:
    """How often an active partner should be evaluated (months); older evaluations are overdue."""
    return int(getattr(settings, "XIAOBAO_PARTNERS_EVALUATION_MONTHS", 12))
