"""The score of a visit, computed only from its stored item results (pure, no database writes).

yes_no: full points for "yes", none for "no", "na" leaves the item out of the maximum.
scale: points × value ÷ scale_max. deduction: points − deduction × occurrences, never below 0.
Score = 100 × awarded ÷ applicable maximum, two decimals; a failed red-line item scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xiaobao.inspections.choices import ScoringType
from xiaobao.lib.errors import lazy_text

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def check_value(item: Any, value: str) -> str:
    """The normalised stored value for `item`, or ValueError with a Chinese message."""
    value = (value or "").strip().lower()
    if item.scoring_type == ScoringType.YES_NO:
        aliases = {"yes": "yes", "是": "yes", "y": "yes", "no": "no", "否": "no", "n": "no"}
        aliases |= {"na": "na", "不适用": "na", "n/a": "na"}
        if value not in aliases:
            raise ValueError(lazy_text("结果须为“是”“否”或“不适用”。"))
        return aliases[value]
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(lazy_text("结果须为整数。")) from exc
    if number < 0:
        raise ValueError(lazy_text("结果不能为负数。"))
    if item.scoring_type == ScoringType.SCALE and number > item.scale_max:
        raise ValueError(lazy_text("结果须在0—%(max)s之间。", {"max": item.scale_max}))
    if item.scoring_type == ScoringType.DEDUCTION and number > 99:
        raise ValueError(lazy_text("发生次数不能超过99。"))
    return str(number)


def awarded(item: Any, value: str) -> tuple[Decimal, Decimal]:
    """(points awarded, maximum counted) for one result."""
    points = Decimal(item.points)
    if item.scoring_type == ScoringType.YES_NO:
        if value == "na":
            return Decimal(0), Decimal(0)
        return (points if value == "yes" else Decimal(0)), points
    number = int(value)
    if item.scoring_type == ScoringType.SCALE:
        if not item.scale_max:
            return Decimal(0), Decimal(0)
        return points * number / item.scale_max, points
    return max(Decimal(0), points - Decimal(item.deduction) * number), points


def failed(item: Any, value: str) -> bool:
    """Whether the result is a failure (a finding): "no", below half the scale, any occurrence."""
    if item.scoring_type == ScoringType.YES_NO:
        return value == "no"
    number = int(value)
    if item.scoring_type == ScoringType.SCALE:
        return number * 2 < item.scale_max
    return number > 0


@dataclass(frozen=True)
class Score:
    score: Decimal | None
    red_line_failed: bool
    awarded: Decimal
    maximum: Decimal


def compute(results: Iterable[tuple[Any, str]]) -> Score:
    """Score of (item, value) pairs; None when no item applied."""
    total, maximum, red = Decimal(0), Decimal(0), False
    for item, value in results:
        got, most = awarded(item, value)
        total += got
        maximum += most
        red = red or (item.red_line and failed(item, value))
    if not maximum:
        return Score(None, red, total, maximum)
    score = Decimal(0) if red else (HUNDRED * total / maximum).quantize(CENT, ROUND_HALF_UP)
    return Score(score, red, total.quantize(CENT, ROUND_HALF_UP), maximum)
