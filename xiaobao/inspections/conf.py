"""Inspection settings with their defaults (editable per deployment, never hard-coded law)."""

from __future__ import annotations

from django.conf import settings


def appeal_workdays() -> int:
    """Working days the outlet has to appeal a published visit (programme.md C)."""
    return int(getattr(settings, "XIAOBAO_INSPECTIONS_APPEAL_WORKDAYS", 3))


def test_complaint_workdays() -> int:
    """A complaint voiced by a mystery shopper must be registered within this many working days."""
    return int(getattr(settings, "XIAOBAO_INSPECTIONS_TEST_COMPLAINT_WORKDAYS", 1))


def finding_workdays() -> int:
    """Default rectification period of a finding, in working days."""
    return int(getattr(settings, "XIAOBAO_INSPECTIONS_FINDING_WORKDAYS", 20))


def common_issue_outlets() -> int:
    """The same failing item at this many outlets raises one head-office task."""
    return int(getattr(settings, "XIAOBAO_INSPECTIONS_COMMON_ISSUE_OUTLETS", 3))


def min_photos_on_failure() -> int:
    """Photos a failed item that requires evidence needs before the visit can be submitted."""
    return int(getattr(settings, "XIAOBAO_INSPECTIONS_MIN_PHOTOS", 1))
