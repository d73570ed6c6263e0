"""The metric registry: every programme figure has one name, one definition and one function.

Each app declares its figures in its own `metrics.py` (autodiscovered when Django starts):

    @metric("plans.tasks_on_time_rate", label=_("任务按期完成率"), unit_label="%",
            description=_("期内到期的任务中按期完成的比例"), higher_is_better=True)
    def tasks_on_time_rate(*, unit: Unit, first: date, last: date) -> Decimal | None: ...

A metric is a pure read over the subtree of `unit` for the period `first`..`last` (both days
included); it never checks a user's rights: the caller picks a unit the user may see. Plan
targets, dashboards, the assessment scheme and the year-end summary read figures only through
`value()`, so a figure printed in one place equals the same figure everywhere else. `drill`, when
given, returns the URL of the records behind the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.utils.functional import lazy

Number = int | Decimal | None


class MetricFunction(Protocol):
    def __call__(self, *, unit: Any, first: date, last: date) -> Number: ...


class DrillFunction(Protocol):
    def __call__(self, *, unit: Any, first: date, last: date) -> str: ...


class UnknownMetricError(KeyError):
    """No metric is registered under this key."""


@dataclass(frozen=True)
class Metric:
    """One registered figure."""

    key: str
    label: Any
    unit_label: Any
    description: Any
    fn: MetricFunction
    higher_is_better: bool | None = None
    drill: DrillFunction | None = None

    @property
    def app(self) -> str:
        return self.key.split(".", 1)[0]

    def value(self, *, unit: Any, first: date, last: date) -> Number:
        if first > last:
            raise ValueError("first must not be after last")
        return self.fn(unit=unit, first=first, last=last)

    def drill_url(self, *, unit: Any, first: date, last: date) -> str:
        return self.drill(unit=unit, first=first, last=last) if self.drill else ""


_REGISTRY: dict[str, Metric] = {}


def metric(
    key: str,
    *,
    label: Any,
    unit_label: Any = "",
    description: Any = "",
    higher_is_better: bool | None = None,
    drill: DrillFunction | None = None,
) -> Callable[[MetricFunction], MetricFunction]:
    """Register `fn` under `key` (``app.name``); a key is registered once."""
    if "." not in key:
        raise ValueError(f"metric key {key!r} must be 'app.name'")

    def register(fn: MetricFunction) -> MetricFunction:
        existing = _REGISTRY.get(key)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"metric {key!r} is registered twice")
        _REGISTRY[key] = Metric(
            key=key,
            label=label,
            unit_label=unit_label,
            description=description,
            fn=fn,
            higher_is_better=higher_is_better,
            drill=drill,
        )
        return fn

    return register


def lazy_format(template: Any, **values: Any) -> Any:
    """A label interpolated when shown, so it follows the request's language (not the import's)."""
    return lazy(lambda: str(template) % {k: str(v) for k, v in values.items()}, str)()


def registry() -> dict[str, Metric]:
    """Every registered metric by key, in key order."""
    return dict(sorted(_REGISTRY.items()))


def get(key: str) -> Metric:
    try:
        return _REGISTRY[key]
    except KeyError as exc:
        raise UnknownMetricError(key) from exc


def value(key: str, *, unit: Any, first: date, last: date) -> Number:
    """The figure `key` for `unit`'s subtree over `first`..`last`."""
    return get(key).value(unit=unit, first=first, last=last)


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def autodiscover() -> None:
    """Import every installed app's `metrics` module (called once from an AppConfig.ready)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("metrics")
