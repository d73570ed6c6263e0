"""Outreach settings with their defaults (editable per deployment, never hard-coded law)."""

from __future__ import annotations

from django.conf import settings


def min_photos() -> int:
    """Photos an offline activity needs before it can be submitted (programme.md A: N = 2 [R])."""
    return int(getattr(settings, "XIAOBAO_OUTREACH_MIN_PHOTOS", 2))


def remind_days() -> int:
    """How many days before the reporting deadline non-reporting outlets are reminded."""
    return int(getattr(settings, "XIAOBAO_OUTREACH_REMIND_DAYS", 3))
