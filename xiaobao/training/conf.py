"""Training settings with their defaults (editable per deployment, never hard-coded law)."""

from __future__ import annotations

from django.conf import settings


def late_after_minutes() -> int:
    """Signing in this many minutes after the start counts as late."""
    return int(getattr(settings, "XIAOBAO_TRAINING_LATE_MINUTES", 15))


def new_hire_days() -> int:
    """A new hire should be trained within this many days of joining (programme.md B: D = 30)."""
    return int(getattr(settings, "XIAOBAO_TRAINING_NEW_HIRE_DAYS", 30))


def reminder_days() -> tuple[int, ...]:
    """Days before a qualification expires when its holder is reminded (60 and 30)."""
    return tuple(getattr(settings, "XIAOBAO_TRAINING_REMINDER_DAYS", (60, 30)))


def submit_grace_seconds() -> int:
    """A paper handed in this long after its time limit still counts (network delays)."""
    return int(getattr(settings, "XIAOBAO_TRAINING_SUBMIT_GRACE", 60))
