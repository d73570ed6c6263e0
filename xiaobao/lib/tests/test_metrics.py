from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xiaobao.lib import metrics


def test_a_registered_metric_is_read_by_key_and_checks_its_period():
    @metrics.metric("testing.days", label="天数", unit_label="日")
    def days(*, unit, first, last):
        return (last - first).days + 1

    assert (
        metrics.value("testing.days", unit=None, first=date(2026, 1, 1), last=date(2026, 1, 31))
        == 31
    )
    assert metrics.get("testing.days").app == "testing"
    assert "testing.days" in metrics.registry()
    with pytest.raises(ValueError):
        metrics.value("testing.days", unit=None, first=date(2026, 2, 1), last=date(2026, 1, 1))
    with pytest.raises(metrics.UnknownMetricError):
        metrics.value("testing.nothing", unit=None, first=date(2026, 1, 1), last=date(2026, 1, 1))


def test_a_key_cannot_be_taken_twice_or_without_an_app():
    @metrics.metric("testing.once", label="一次")
    def once(*, unit, first, last):
        return 1

    with pytest.raises(ValueError):

        @metrics.metric("testing.once", label="另一次")
        def twice(*, unit, first, last):
            return 2

    with pytest.raises(ValueError):
        metrics.metric("noapp", label="无")


def test_rate_is_a_percentage_with_one_decimal_or_none():
    assert metrics.rate(1, 3) == Decimal("33.3")
    assert metrics.rate(0, 0) is None
