"""Monthly rollups: the dashboards' figures of whole past months, added up ahead of the read.

A dashboard groups the facts of its whole period on every view; at a million cases one grouped
pass over the default twelve months is about half a second. Most of it never changes: cases of
past months that are no longer open. `MonthlyRollup` holds, per month and unit, their additive
measures (counts, compensation, a histogram of handling days for the average and the 90th
percentile), once for the unit's whole month and once per value of each single-valued dimension
the pages group by. A read takes the whole months of its period from here and adds, live from
the facts, what depends on the moment or is still moving: the open cases of those months (their
overdue state is the moment's), the days of the period outside whole past months (the current
month, a partial first month), and the repeat complainants (people are counted across a period,
which does not add up).

Kept exactly in step: every change of a fact appends a `StaleMonth` mark for its receipt month
before and after, in the writer's transaction (`facts.mark_months`); a read of a month that is
marked, not built yet, or built with other referral channels rebuilds it first (`build`,
serialised per month), and the scheduled job rebuilds marked months ahead of the reads.
`reconcile` recounts every built month and, with `fix`, rebuilds what differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet

from xiaobao.complaints.choices import OPEN_STATUSES
from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.lib.clock import now
from xiaobao.organisation.scope import visible_to
from xiaobao.reports import selectors
from xiaobao.reports.facts import month_of, month_start, next_month
from xiaobao.reports.models import ComplaintFact, MonthlyRollup, RollupMonth, StaleMonth

# The single-valued dimensions a rollup row can stand for (with the period and the unit).
DIMENSIONS = (
    "intake_channel",
    "business_channel",
    "business_category",
    "cause",
    "level",
    "handler",
)
# The measures a rollup row stores: every count but the open cases overdue (none are settled).
STORED = tuple(name for name in selectors.COUNTS if name != "open_overdue")
LOCK_CLASS = 28  # pg_advisory_xact_lock(28, month): one rebuild of a month at a time


def referral_key() -> str:
    """The referral channels' ids as a rollup records them (`referred` counts through them)."""
    ids = TaxonomyTerm.objects.filter(attributes__referral=True).values_list("pk", flat=True)
    return ",".join(str(pk) for pk in sorted(ids))


# --- building ------------------------------------------------------------------------------------


def _settled_facts(month: date) -> QuerySet[ComplaintFact]:
    """The counted cases received in `month` that are no longer open."""
    start, end = month_start(month), month_start(next_month(month))
    facts = ComplaintFact.objects.filter(received_at__gte=start, received_at__lt=end)
    return selectors.counted(facts).exclude(status__in=OPEN_STATUSES)


def compute(month: date) -> list[MonthlyRollup]:
    """The rollup rows of `month` as the facts have them now: per dimension, one GROUP BY for
    the measures and one for the histogram of days (fourteen small passes over a month)."""
    facts = _settled_facts(month)
    aggregates = selectors._aggregates(now())
    rows: list[MonthlyRollup] = []
    for dimension in ("", *DIMENSIONS):
        by = ["unit_id"] + ([f"{dimension}_id"] if dimension else [])
        measures = facts.values(*by).annotate(**aggregates).order_by()
        histogram = (
            facts.filter(handling_days__isnull=False)
            .values(*by, "handling_days")
            .annotate(_n=Count("pk", filter=Q(notified_at__isnull=False)))
            .order_by()
        )
        days: dict[tuple[Any, ...], dict[str, int]] = {}
        for row in histogram:
            if row["_n"]:
                cell = (row["unit_id"], row.get(f"{dimension}_id"))
                days.setdefault(cell, {})[str(row["handling_days"])] = row["_n"]
        for row in measures:
            cell = (row["unit_id"], row.get(f"{dimension}_id"))
            rows.append(
                MonthlyRollup(
                    month=month,
                    unit_id=row["unit_id"],
                    dimension=dimension,
                    value=cell[1],
                    **{name: int(row[f"m_{name}"] or 0) for name in STORED},
                    compensation=Decimal(row["m_compensation"] or 0).quantize(Decimal("0.01")),
                    days=days.get(cell, {}),
                )
            )
    return rows


def _lock(month: date) -> None:
    """Serialise rebuilds of one month (PostgreSQL; SQLite has one writer anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, month.toordinal()])


def build(month: date, *, key: str | None = None, force: bool = False) -> bool:
    """Rebuild `month`'s rollup unless it is already current (`force`: even then); returns
    whether it rebuilt.

    The marks are read before the facts, and only those are deleted: a change committed while
    the month is being recounted leaves its own mark behind, so the month stays stale and is
    rebuilt again rather than wrongly called current."""
    key = referral_key() if key is None else key
    with transaction.atomic():
        _lock(month)
        marks = list(StaleMonth.objects.filter(month=month).values_list("pk", flat=True))
        state = RollupMonth.objects.filter(month=month).first()
        if not force and not marks and state is not None and state.referral_channels == key:
            return False  # another reader rebuilt it while this one waited for the lock
        rows = compute(month)
        MonthlyRollup.objects.filter(month=month).delete()
        MonthlyRollup.objects.bulk_create(rows, batch_size=2000)
        StaleMonth.objects.filter(pk__in=marks).delete()
        RollupMonth.objects.update_or_create(
            month=month, defaults={"referral_channels": key, "built_at": now()}
        )
        return True


def stale_months(months: Sequence[date], key: str) -> list[date]:
    """Those of `months` whose rollup is missing, marked, or built with other referral channels."""
    if not months:
        return []
    built = dict(
        RollupMonth.objects.filter(month__in=months).values_list("month", "referral_channels")
    )
    marked = set(
        StaleMonth.objects.filter(month__in=months).values_list("month", flat=True).distinct()
    )
    return [m for m in months if m in marked or built.get(m) != key]


def ensure(months: Sequence[date]) -> int:
    """Bring these months' rollups up to date; returns how many were rebuilt."""
    key = referral_key()
    return sum(build(month, key=key) for month in stale_months(months, key))


def settled_months(moment: datetime | None = None) -> list[date]:
    """Every month from the first case's to the last one over by `moment`."""
    first = ComplaintFact.objects.aggregate(first=Min("received_at"))["first"]
    if first is None:
        return []
    last = month_of(moment or now())  # the current month: not settled
    months, month = [], month_of(first)
    while month < last:
        months.append(month)
        month = next_month(month)
    return months


def build_stale(moment: datetime | None = None) -> int:
    """The scheduled job's work: rebuild every past month that is stale or not built yet."""
    return ensure(settled_months(moment))


# --- recount and repair --------------------------------------------------------------------------


def _signature(row: MonthlyRollup) -> tuple[Any, ...]:
    return (
        row.unit_id,
        row.dimension,
        row.value,
        *(getattr(row, name) for name in STORED),
        Decimal(row.compensation).quantize(Decimal("0.01")),
        tuple(sorted((int(d), int(n)) for d, n in row.days.items())),
    )


def reconcile(*, fix: bool = False) -> int:
    """Recount every built month that claims to be current and count those whose rows differ;
    with `fix`, rebuild them (and bring the stale and missing ones up to date too)."""
    key = referral_key()
    built = list(RollupMonth.objects.order_by("month").values_list("month", flat=True))
    current = [m for m in built if m not in stale_months(built, key)]
    wrong = []
    for month in current:
        stored = Counter(_signature(r) for r in MonthlyRollup.objects.filter(month=month))
        if stored != Counter(_signature(r) for r in compute(month)):
            wrong.append(month)
    if fix:
        for month in wrong:
            build(month, key=key, force=True)
        ensure(settled_months())
    return len(wrong)


# --- reading -------------------------------------------------------------------------------------

_Grouped = dict[tuple[Any, ...], tuple[dict[str, Any], Counter[int]]]


def answers(keys: selectors._Keys) -> bool:
    """Whether the rollups hold a request's groups: the period, the unit and at most one of
    the single-valued dimensions."""
    others = [d for d in keys.dimensions if d not in ("period", "unit")]
    return len(others) <= 1 and all(d in DIMENSIONS for d in others)


def _dimension(keys: selectors._Keys) -> str:
    return next((d for d in keys.dimensions if d in DIMENSIONS), "")


@dataclass
class Plan:
    """A population's whole past months (`first` to `last`) read from the rollups, and the
    facts to add live: `rest` (received outside those months) and `open` (still open, inside)."""

    first: date
    last: date
    rows: list[tuple[Any, ...]]  # (month, unit path, dimension, value, *STORED, compensation, days)
    rest: QuerySet[ComplaintFact] | None
    open: QuerySet[ComplaintFact]

    def grouped(self, keys: selectors._Keys) -> _Grouped:
        """The rolled-up groups of `keys`, as `selectors._grouped` gives them (without the
        average, which the caller works out once the live groups are added)."""
        dimension = _dimension(keys)
        width = selectors.SEGMENT * (keys.options.unit_depth + 1)
        fold = keys.roots.get(dimension) if keys.options.rollup else None
        out: _Grouped = {}
        for month, path, row_dimension, value, *figures, compensation, days in self.rows:
            if row_dimension != dimension:
                continue
            key = []
            for name in keys.dimensions:
                if name == "period":
                    key.append(selectors.period_code(month, keys.options.grain))
                elif name == "unit":
                    key.append(path[:width])
                elif fold is not None:
                    key.append(selectors._root_pk(fold, value))
                else:
                    key.append(value)
            total, histogram = out.setdefault(tuple(key), empty())
            for name, figure in zip(STORED, figures, strict=True):
                total[f"m_{name}"] += figure
            total["m_compensation"] += compensation
            for days_count, answered in days.items():
                histogram[int(days_count)] += answered
        return out


def empty() -> tuple[dict[str, Any], Counter[int]]:
    return (
        {**{f"m_{name}": 0 for name in selectors.COUNTS}, "m_compensation": Decimal(0)},
        Counter(),
    )


def add(into: _Grouped, more: _Grouped) -> _Grouped:
    """Add the groups of `more` to `into`, and work out every group's average days."""
    for key, (raw, histogram) in more.items():
        total, own = into.setdefault(key, empty())
        for name in selectors.COUNTS:
            total[f"m_{name}"] += raw[f"m_{name}"]
        total["m_compensation"] += raw["m_compensation"]
        own.update(histogram)
    for total, histogram in into.values():
        answered = sum(histogram.values())
        days = sum(d * n for d, n in histogram.items())
        total["m_avg_days"] = days / answered if answered else None
    return into


def _bounds(filters: Mapping[str, Any] | None) -> tuple[date, date, str] | None:
    """(first day, last day, unit code) when the filters are a period and at most a unit, the
    ones the rollups can answer; None otherwise."""
    query = selectors._as_querydict(filters)
    if set(query) - {"received_from", "received_to", "unit"}:
        return None
    if not {"received_from", "received_to"} <= set(query):
        return None
    if any(len(query.getlist(name)) != 1 for name in query):
        return None
    try:
        first = date.fromisoformat(str(query["received_from"]))
        last = date.fromisoformat(str(query["received_to"]))
    except ValueError:
        return None
    return first, last, str(query.get("unit") or "")


def plan(
    *,
    user: Any,
    filters: Mapping[str, Any] | None,
    population: QuerySet[ComplaintFact],
    dimensions: Iterable[str],
) -> Plan | None:
    """How to read `population` (the facts `user` may see under `filters`) from the rollups:
    None when the filters are not a period and a unit, or the period holds no whole past month.
    Builds the months it needs that are stale or missing."""
    bounds = _bounds(filters)
    if bounds is None:
        return None
    day_first, day_last, unit = bounds
    first = day_first if day_first.day == 1 else next_month(day_first.replace(day=1))
    after_last = day_last + timedelta(days=1)
    after = after_last.replace(day=1)  # the month after the last whole one
    after = min(after, month_of(now()))  # the current month is still moving
    if first >= after:
        return None
    months = []
    month = first
    while month < after:
        months.append(month)
        month = next_month(month)
    ensure(months)
    rows_qs = visible_to(
        user,
        MonthlyRollup.objects.filter(
            month__gte=first, month__lt=after, dimension__in=sorted(set(dimensions))
        ),
    )
    if unit:
        filter_unit: Any = RegistryFilter.filter_unit  # uses nothing of the instance
        rows_qs = filter_unit(None, rows_qs, "", unit)
    start, end = month_start(first), month_start(after)
    rows = list(
        rows_qs.values_list(
            "month", "unit__path", "dimension", "value", *STORED, "compensation", "days"
        ).order_by()
    )
    rest = (
        None
        if (day_first, after_last) == (first, after)
        else population.filter(Q(received_at__lt=start) | Q(received_at__gte=end))
    )
    open_cases = population.filter(
        received_at__gte=start, received_at__lt=end, status__in=[str(s) for s in OPEN_STATUSES]
    )
    return Plan(first=first, last=months[-1], rows=rows, rest=rest, open=open_cases)


def needed(requests: Iterable[selectors._Keys]) -> set[str]:
    """The rollup rows' dimensions these requests read."""
    return {_dimension(keys) for keys in requests}
