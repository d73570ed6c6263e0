"""Settings of pre-review and suitability, with their defaults (editable per deployment)."""

from __future__ import annotations

from django.conf import settings


def review_working_days() -> int:
    """Working days a consumer-protection review may take (programme.md D: 5 [R])."""
    return int(getattr(settings, "XIAOBAO_PRODUCTS_REVIEW_DAYS", 5))


def profile_valid_days() -> int:
    """How long a risk assessment stays valid (common practice: one year)."""
    return int(getattr(settings, "XIAOBAO_PRODUCTS_PROFILE_DAYS", 365))


def elderly_age_band() -> str:
    """The age band from which top-grade sales are flagged (65 or more [R])."""
    return str(getattr(settings, "XIAOBAO_PRODUCTS_ELDERLY_BAND", "65_plus"))


def top_grades() -> tuple[str, ...]:
    """The product grades counted as the top grades for elderly customers."""
    return tuple(getattr(settings, "XIAOBAO_PRODUCTS_TOP_GRADES", ("R4", "R5")))


def retest_threshold() -> int:
    """Re-tests in one day from which a higher final class is an anomaly (≥ 2)."""
    return int(getattr(settings, "XIAOBAO_PRODUCTS_RETEST_THRESHOLD", 2))
