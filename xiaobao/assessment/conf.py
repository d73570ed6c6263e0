"""Assessment settings with their defaults (editable per deployment)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def kpi_share_floor() -> Decimal:
    """The lowest share (%) of the consumer-protection score in a unit's overall KPI before the HR
    export warns (2019 guidance: CP assessment must carry real weight in the overall KPI)."""
    return Decimal(str(getattr(settings, "XIAOBAO_ASSESSMENT_KPI_SHARE_FLOOR", "5")))


def appeal_days() -> int:
    """Calendar days of the appeal window opened when a run's preview goes out."""
    return int(getattr(settings, "XIAOBAO_ASSESSMENT_APPEAL_DAYS", 7))
