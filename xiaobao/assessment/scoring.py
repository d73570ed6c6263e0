"""The pure arithmetic of scoring: the curve, caps, normalisation and grade bands."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xiaobao.assessment.choices import IndicatorKind

TWO = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def curve_points(*, value: Decimal, target: Decimal, zero_at: Decimal, weight: Decimal) -> Decimal:
    """Full points at `target`, none at `zero_at`, linear between and clamped outside; works both
    ways (a lower-is-better figure has its target below its zero)."""
    fraction = (value - zero_at) / (target - zero_at)
    fraction = min(Decimal(1), max(Decimal(0), fraction))
    return q2(weight * fraction)


def event_points(*, count: Decimal, per_event: Decimal, cap: Decimal | None) -> Decimal:
    points = count * per_event
    if cap is not None:
        points = min(points, cap)
    return q2(points)


def indicator_points(indicator: Any, basis: Decimal) -> Decimal:
    """Points of an automatic, deduction, bonus or veto indicator for its (normalised) figure."""
    kind = indicator.kind
    if kind == IndicatorKind.AUTO:
        return curve_points(
            value=basis,
            target=indicator.target,
            zero_at=indicator.zero_at,
            weight=indicator.weight,
        )
    if kind == IndicatorKind.DEDUCTION:
        return -event_points(
            count=basis, per_event=indicator.per_event or Decimal(1), cap=indicator.cap
        )
    if kind == IndicatorKind.BONUS:
        return event_points(
            count=basis, per_event=indicator.per_event or Decimal(1), cap=indicator.cap
        )
    if kind == IndicatorKind.VETO:
        return Decimal(1) if basis > 0 else Decimal(0)
    raise ValueError(f"indicator kind {kind!r} is not computed")


def grade_for(percent: Decimal | None, bands: list[list[Any]], *, vetoed: bool) -> str:
    """The grade of the first band whose minimum the percentage reaches; a veto gives the lowest."""
    if not bands:
        return ""
    ordered = sorted(bands, key=lambda b: -Decimal(str(b[0])))
    if vetoed or percent is None:
        return str(ordered[-1][1])
    for minimum, grade in ordered:
        if percent >= Decimal(str(minimum)):
            return str(grade)
    return str(ordered[-1][1])


def num(value: Any) -> str:
    """A decimal without trailing zeros: 30.00 → "30", 2.50 → "2.5"."""
    if value is None:
        return "—"
    d = Decimal(str(value))
    text = f"{d.normalize():f}"
    return "0" if text in ("-0", "") else text
