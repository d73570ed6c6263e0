"""Complaint statistics: any combination of dimensions, one set of measures, always in scope.

Counting rule (统计口径), used by the dashboards, the regulator workbook, the work summary and the
early warnings alike, so that every figure reconciles with the registry:

* a case counts once, in the period in which it was **received** (Asia/Shanghai);
* only complaints count: reviews (核查) are cases of their own and appear as the *reviews* measure
  of the complaint they review;
* **merged** duplicates (the same complaint filed again, 合并) and **declined** filings
  (不予受理: not a complaint, or no standing) are left out; withdrawn complaints count;
* every measure describes that cohort as the data stand now (e.g. *closed* = received in the
  period and answered or withdrawn by now).

Measures are aggregated in SQL (GROUP BY, the same on SQLite and PostgreSQL) over the statistics
store (`facts`: one narrow row per case, kept in step by the services), never over the wide
complaint rows. Handling days are whole calendar days, notice date − receipt date, so the 90th
percentile comes from a per-group histogram of days (memory bounded by groups × distinct day
counts, never by cases). Repeat complainants are counted by the people's stored keys. Whole
past months of settled cases are read from the monthly rollups where a call allows it
(`rollups`: the same figures, added up ahead of the read).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr, TruncMonth, TruncQuarter, TruncYear
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import (
    OPEN_STATUSES,
    Axis,
    Kind,
    Outcome,
    Status,
)
from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import (
    Complaint,
    TaxonomyTerm,
)
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError, lazy_list
from xiaobao.organisation.models import PATH_SEGMENT_WIDTH, Unit, User
from xiaobao.organisation.scope import visible_to
from xiaobao.reports.choices import Grain
from xiaobao.reports.facts import EXCLUDED_STATUSES
from xiaobao.reports.models import ComplaintFact

# --- the counting rule ---------------------------------------------------------------------------

COUNTED_STATUSES = tuple(s for s in Status if s not in EXCLUDED_STATUSES)
COUNTING_RULE = _(
    "统计口径：按接收日期（北京时间）归属统计期间；仅统计投诉案件（核查案件不单独计入受理量，"
    "计入原投诉的“核查”指标）；剔除已合并的重复投诉和不予受理的来件，撤诉案件计入受理量；"
    "各项指标以统计时点的办理情况为准。办理天数为告知日期减接收日期（自然日）。"
)
PERCENTILE = 0.9  # nearest-rank: the smallest day count that at least 90 % of answers reach
REVERSED_OUTCOMES = (Outcome.UPHELD, Outcome.PARTLY_UPHELD)
SEGMENT = PATH_SEGMENT_WIDTH + 1  # "00000001/"


def counted(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Restrict `queryset` (of cases or of their facts) to the cases the counting rule counts."""
    return queryset.filter(kind=Kind.COMPLAINT).exclude(status__in=EXCLUDED_STATUSES)


def registry_url(params: Mapping[str, Sequence[str] | str]) -> str:
    """A link to the registry list filtered by RegistryFilter parameters."""
    try:
        base = reverse("complaints:list")
    except NoReverseMatch:
        base = "/complaints/"
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, [value] if isinstance(value, str) else list(value))
    return f"{base}?{query.urlencode()}" if query else base


def counted_registry_params() -> dict[str, list[str]]:
    """RegistryFilter parameters that select exactly the counted population."""
    return {"kind": [Kind.COMPLAINT], "status": [str(s) for s in COUNTED_STATUSES]}


# --- dimensions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    name: str
    label: Any
    registry_param: str | None  # RegistryFilter parameter for drill-down, None if it has none
    axis: Axis | None = None
    field: str = ""  # Complaint field (FK or M2M) holding the value


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("period", _("期间"), None),
        Dimension(
            "intake_channel", _("投诉渠道"), "intake_channel", Axis.INTAKE_CHANNEL, "intake_channel"
        ),
        Dimension(
            "business_channel",
            _("业务办理渠道"),
            "business_channel",
            Axis.BUSINESS_CHANNEL,
            "business_channel",
        ),
        Dimension(
            "business_category",
            _("业务类别"),
            "business_category",
            Axis.BUSINESS_CATEGORY,
            "business_category",
        ),
        Dimension("cause", _("投诉原因"), "cause", Axis.CAUSE, "cause"),
        # The registry has no demand filter yet, so demand rows have no drill-down link.
        Dimension("demand", _("诉求"), None, Axis.DEMAND, "demands"),
        Dimension("unit", _("机构"), "unit"),
        Dimension("level", _("处理级别"), "level", Axis.LEVEL, "level"),
        Dimension("tag", _("标签"), "tag", Axis.TAG, "tags"),
        Dimension("handler", _("处理人"), "handler"),
    )
}
MULTI_VALUED = frozenset({"demand", "tag"})  # a case counts once under each of its values
UNCLASSIFIED = _("未分类")


@dataclass(frozen=True)
class Options:
    """How dimensions are bucketed."""

    grain: str = Grain.MONTH
    rollup: bool = True  # classification sub-categories count under their top-level term
    unit_depth: int = 1  # 0 head office, 1 branches, 2 sub-branches, 3 outlets


def axis_terms(axis: Axis) -> dict[int, TaxonomyTerm]:
    return {t.pk: t for t in TaxonomyTerm.objects.filter(axis=axis).select_related("parent")}


def term_roots(terms: Mapping[int, TaxonomyTerm]) -> dict[int, TaxonomyTerm]:
    """Every term mapped to its top-level ancestor (itself when it has none)."""
    roots: dict[int, TaxonomyTerm] = {}
    for pk, term in terms.items():
        root, seen = term, {pk}
        while root.parent_id is not None and root.parent_id in terms and root.parent_id not in seen:
            seen.add(root.parent_id)
            root = terms[root.parent_id]
        roots[pk] = root
    return roots


def _rollup_expression(column: str, roots: Mapping[int, TaxonomyTerm]) -> Any:
    by_root: dict[int, list[int]] = defaultdict(list)
    for pk, root in roots.items():
        if root.pk != pk:
            by_root[root.pk].append(pk)
    if not by_root:
        return F(column)
    whens = [When(**{f"{column}__in": ids}, then=Value(root)) for root, ids in by_root.items()]
    return Case(*whens, default=F(column), output_field=IntegerField())


def _period_expression(grain: str, prefix: str) -> Any:
    trunc = {Grain.MONTH: TruncMonth, Grain.QUARTER: TruncQuarter, Grain.YEAR: TruncYear}[
        Grain(grain)
    ]
    return trunc(f"{prefix}received_at", tzinfo=TZ)


def period_code(value: datetime | date, grain: str) -> str:
    if grain == Grain.YEAR:
        return f"{value.year}"
    if grain == Grain.QUARTER:
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    return f"{value.year}-{value.month:02d}"


def period_bounds(code: str) -> tuple[date, date]:
    """First and last day of a period code: "2026", "2026Q3" or "2026-07"."""
    code = code.strip().upper()
    try:
        if "Q" in code:
            year, quarter = int(code[:4]), int(code.split("Q")[1])
            if not 1 <= quarter <= 4:
                raise ValueError
            first = date(year, 3 * quarter - 2, 1)
            months = 3
        elif "-" in code:
            year, month = int(code[:4]), int(code[5:7])
            first, months = date(year, month, 1), 1
        else:
            first, months = date(int(code), 1, 1), 12
    except (ValueError, IndexError):
        raise DomainError(
            "期间“%(code)s”格式不正确（如 2026、2026Q3、2026-07）。", params={"code": code}
        ) from None
    month_index = first.month - 1 + months
    after = date(first.year + month_index // 12, month_index % 12 + 1, 1)
    return first, after - timedelta(days=1)


def period_label(code: str) -> str:
    """2026年第三季度 / 2026年7月 / 2026年; on English pages 2026 Q3 / 2026-07 / 2026."""
    if (get_language() or "").startswith("en"):
        return f"{code[:4]} Q{code[-1]}" if "Q" in code else code
    if "Q" in code:
        return f"{code[:4]}年第{'一二三四'[int(code[-1]) - 1]}季度"
    if "-" in code:
        return f"{code[:4]}年{int(code[5:7])}月"
    return f"{code}年"


class _Keys:
    """Builds the GROUP BY expression of each dimension and turns its values back into labels."""

    def __init__(self, dimensions: Sequence[str], options: Options) -> None:
        unknown = [d for d in dimensions if d not in DIMENSIONS]
        if unknown:
            raise DomainError(
                "未知的统计维度：%(dimensions)s。", params={"dimensions": lazy_list(unknown)}
            )
        if len(set(dimensions)) != len(dimensions):
            raise DomainError("统计维度不能重复。")
        self.dimensions = list(dimensions)
        self.options = options
        self.roots: dict[str, dict[int, TaxonomyTerm]] = {}
        self.terms: dict[str, dict[int, TaxonomyTerm]] = {}
        for name in self.dimensions:
            axis = DIMENSIONS[name].axis
            if axis is not None:
                self.terms[name] = axis_terms(axis)
                self.roots[name] = term_roots(self.terms[name])
        self._units: dict[str, Unit] = {}
        self._users: dict[int, User] = {}

    def alias(self, name: str) -> str:
        return f"k_{name}"

    def expressions(self, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.dimensions:
            dim = DIMENSIONS[name]
            if name == "period":
                expr = _period_expression(self.options.grain, prefix)
            elif name == "unit":
                length = SEGMENT * (self.options.unit_depth + 1)
                expr = Substr(f"{prefix}unit__path", 1, length)
            elif name == "handler":
                expr = F(f"{prefix}handler_id")
            elif name in MULTI_VALUED:
                expr = F(f"{prefix}complaint__{dim.field}")
            elif self.options.rollup:
                expr = _rollup_expression(f"{prefix}{dim.field}_id", self.roots[name])
            else:
                expr = F(f"{prefix}{dim.field}_id")
            out[self.alias(name)] = expr
        return out

    def normalise(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        key = []
        for name in self.dimensions:
            value = row[self.alias(name)]
            if name == "period" and value is not None:
                value = period_code(
                    value.astimezone(TZ) if isinstance(value, datetime) else value,
                    self.options.grain,
                )
            key.append(value)
        return tuple(key)

    def load_labels(self, keys: Iterable[tuple[Any, ...]]) -> None:
        keys = list(keys)
        if "unit" in self.dimensions:
            i = self.dimensions.index("unit")
            paths = {k[i] for k in keys if k[i]}
            self._units.update({u.path: u for u in Unit.objects.filter(path__in=paths)})
        if "handler" in self.dimensions:
            i = self.dimensions.index("handler")
            ids = {k[i] for k in keys if k[i]}
            self._users.update({u.pk: u for u in User.objects.filter(pk__in=ids)})

    def unit_for(self, path: str | None) -> Unit | None:
        return self._units.get(path) if path else None

    def label(self, name: str, value: Any) -> str:
        if value is None:
            return str(_("未指定")) if name == "handler" else str(UNCLASSIFIED)
        if name == "period":
            return period_label(value)
        if name == "unit":
            unit = self.unit_for(value)
            if unit is None:
                return str(value)
            if unit.depth < self.options.unit_depth:
                return gettext("%(unit)s（本级）") % {"unit": unit.name}
            return unit.name
        if name == "handler":
            user = self._users.get(value)
            return str(user) if user else str(value)
        term = self.terms[name].get(value)
        if term is None:
            return str(value)
        if not self.options.rollup and term.parent_id and term.parent is not None:
            return f"{term.parent.label}/{term.label}"
        return term.label

    def code(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if name == "period":
            return str(value)
        if name == "unit":
            unit = self.unit_for(value)
            return unit.code if unit else None
        if name == "handler":
            user = self._users.get(value)
            return user.username if user else None
        term = self.terms[name].get(value)
        return term.code if term else None

    def sort_key(self, name: str, value: Any) -> tuple[Any, ...]:
        if value is None:
            return (1, 0, "")
        if name == "unit":
            return (0, 0, str(value))
        if name == "handler":
            user = self._users.get(value)
            return (0, 0, user.username if user else "")
        if name == "period":
            return (0, 0, str(value))
        term = self.terms[name].get(value)
        if term is None:
            return (0, 0, str(value))
        root = self.roots[name].get(term.pk, term)
        return (0, root.sort_order, root.code, term.sort_order, term.code)

    def drill_params(self, name: str, value: Any) -> dict[str, list[str]] | None:
        """RegistryFilter parameters selecting this value, or None if the registry cannot."""
        dim = DIMENSIONS[name]
        if value is None:
            return None
        if name == "period":
            first, last = period_bounds(value)
            return {"received_from": [first.isoformat()], "received_to": [last.isoformat()]}
        if dim.registry_param is None:
            return None
        if name == "unit":
            unit = self.unit_for(value)
            if unit is None or unit.depth < self.options.unit_depth:
                return None  # "本级" rows: the registry's unit filter always takes the subtree
            return {"unit": [unit.code]}
        if name == "handler":
            code = self.code(name, value)
            return {"handler": [code]} if code else None
        if value not in self.terms[name]:
            return None
        if self.options.rollup and name not in MULTI_VALUED:
            return {dim.registry_param: _with_descendants(self.terms[name], value)}
        return {dim.registry_param: [self.terms[name][value].code]}


# --- measures ------------------------------------------------------------------------------------


@dataclass
class Measures:
    """The figures of one group of cases (see the module docstring for the counting rule)."""

    received: int = 0
    closed: int = 0  # answered (decision notified) or withdrawn
    answered: int = 0  # decision notified
    timely: int = 0  # notified before the deadline ran out
    overdue: int = 0  # answered late, or still open past the deadline
    open_overdue: int = 0
    extended: int = 0  # with an approved extension (to 30 or 60 days)
    extended_60: int = 0
    reviewed: int = 0  # the complainant asked the upper level to review (核查)
    review_decided: int = 0
    reversed: int = 0  # the review upheld the complainant wholly or partly
    compensation: Decimal = Decimal("0.00")
    repeat_complainants: int | None = None  # None: not asked for (complaint_statistics repeats=)
    surveyed: int = 0  # with a follow-up call that reached the complainant
    satisfied: int = 0  # of those, satisfied or basically satisfied
    withdrawn: int = 0
    referred: int = 0  # reached us through a regulator or hotline referral (转办)
    at_fault: int = 0
    avg_days: float | None = None
    p90_days: int | None = None
    customers: int | None = None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def timely_rate(self) -> float | None:
        return self._rate(self.timely, self.answered)

    @property
    def closed_rate(self) -> float | None:
        return self._rate(self.closed, self.received)

    @property
    def reversal_rate(self) -> float | None:
        return self._rate(self.reversed, self.review_decided)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.surveyed)

    @property
    def per_10k(self) -> float | None:
        if not self.customers:
            return None
        return self.received * 10000 / self.customers


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    label: Any
    kind: str = "count"  # count, rate, days, money, ratio


MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("received", _("受理量")),
    MeasureSpec("closed", _("办结量")),
    MeasureSpec("closed_rate", _("办结率"), "rate"),
    MeasureSpec("timely_rate", _("按时办结率"), "rate"),
    MeasureSpec("overdue", _("超期")),
    MeasureSpec("avg_days", _("平均办理天数"), "days"),
    MeasureSpec("p90_days", _("90%办理天数"), "days"),
    MeasureSpec("extended", _("延期")),
    MeasureSpec("reviewed", _("核查")),
    MeasureSpec("reversal_rate", _("核查改变率"), "rate"),
    MeasureSpec("compensation", _("补偿金额（元）"), "money"),
    MeasureSpec("repeat_complainants", _("重复投诉人")),
    MeasureSpec("satisfaction_rate", _("满意率"), "rate"),
    MeasureSpec("per_10k", _("每万名客户投诉量"), "ratio"),
)


@dataclass
class Row:
    key: tuple[Any, ...]
    codes: tuple[str | None, ...]
    labels: tuple[str, ...]
    measures: Measures
    drill: dict[str, list[str]] | None = None  # extra RegistryFilter params; None: no link

    def label(self, sep: str = " / ") -> str:
        return sep.join(self.labels)


@dataclass
class Statistics:
    dimensions: list[str]
    options: Options
    rows: list[Row]
    total: Measures
    filters: dict[str, list[str]] = field(default_factory=dict)

    def drill_url(self, row: Row | None = None, **extra: Sequence[str]) -> str | None:
        """The registry list showing exactly the cases counted in `row` (or in the total)."""
        params = {**counted_registry_params(), **self.filters}
        if row is not None:
            if row.drill is None:
                return None
            params = _merge_drill(params, row.drill)
        for name, values in extra.items():
            params[name] = list(values)
        return registry_url(params)

    def row_for(self, *codes: str | None) -> Row | None:
        for row in self.rows:
            if row.codes == tuple(codes):
                return row
        return None

    def dimension_labels(self) -> list[str]:
        return [str(DIMENSIONS[d].label) for d in self.dimensions]


def _merge_drill(
    base: dict[str, list[str]], drill: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    params = dict(base)
    for name, values in drill.items():
        if name == "received_from" and name in params:
            params[name] = [max(params[name][0], values[0])]
        elif name == "received_to" and name in params:
            params[name] = [min(params[name][0], values[0])]
        else:
            params[name] = list(values)
    return params


# --- the query -----------------------------------------------------------------------------------


def _as_querydict(filters: Mapping[str, Any] | None) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in (filters or {}).items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple | set):
            query.setlist(name, [str(v) for v in value])
        else:
            query.setlist(name, [value.isoformat() if isinstance(value, date) else str(value)])
    return query


# Registry filters that need the wide case row (free text): applied to the cases, as ids.
CASE_ROW_FILTERS = frozenset({"q"})


def scoped_population(
    *, user: Any, filters: Mapping[str, Any] | None = None
) -> QuerySet[ComplaintFact]:
    """The facts of the counted cases `user` may see, narrowed by RegistryFilter parameters.

    The facts carry the case's own field names, so the registry's filters apply to them as they
    are (tags and people as id subqueries, so no case repeats): one level, read through the
    received_at index of the narrow table."""
    query = _as_querydict(filters)
    base = counted(visible_to(user, ComplaintFact.objects.all()))
    if not query:
        return base
    direct = _period_and_unit(base, query)
    if direct is not None:
        return direct
    on_case = QueryDict(mutable=True)
    for name in CASE_ROW_FILTERS & set(query):
        on_case.setlist(name, query.pop(name))
    filterset = RegistryFilter(data=query, queryset=base)
    checks = [filterset]
    if on_case:
        checks.append(RegistryFilter(data=on_case, queryset=Complaint.objects.all()))
    for check in checks:
        if not check.is_valid():
            problems = "；".join(f"{k}：{' '.join(v)}" for k, v in check.errors.items())
            raise DomainError(
                "统计条件无效：%(problems)s", params={"problems": problems}, code="invalid_filter"
            )
    population = filterset.qs
    if on_case:
        population = population.filter(pk__in=checks[1].qs.values("pk"))
    return population


def _period_and_unit(
    base: QuerySet[ComplaintFact], query: QueryDict
) -> QuerySet[ComplaintFact] | None:
    """The filters of every report (ISO period bounds and a unit) applied by the registry
    filter's own methods, without building its form (which lists every taxonomy: tens of ms a
    call); None for anything else, which goes through the whole filter and its validation."""
    if not set(query) <= {"received_from", "received_to", "unit"}:
        return None
    if any(len(query.getlist(name)) != 1 for name in query):
        return None
    try:
        bounds = {
            name: date.fromisoformat(str(query[name]))
            for name in ("received_from", "received_to")
            if name in query
        }
    except ValueError:
        return None
    methods: Any = RegistryFilter  # the three methods use nothing of the instance
    population = base
    if "received_from" in bounds:
        population = methods.filter_received_from(None, population, "", bounds["received_from"])
    if "received_to" in bounds:
        population = methods.filter_received_to(None, population, "", bounds["received_to"])
    if "unit" in query:
        population = methods.filter_unit(None, population, "", query["unit"])
    return population


def _as_days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    return float(value)


def nearest_rank(histogram: Mapping[int, int], q: float = PERCENTILE) -> int | None:
    """The nearest-rank percentile of a {value: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = math.ceil(q * total)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - unreachable


def _aggregates(moment: datetime) -> dict[str, Any]:
    answered = Q(notified_at__isnull=False)
    referral_channels = TaxonomyTerm.objects.filter(attributes__referral=True).values("pk")
    open_overdue = Q(status__in=OPEN_STATUSES, due_at__isnull=False, due_at__lte=moment)
    aggregates = {
        "received": Count("pk"),
        "closed": Count("pk", filter=answered | Q(status=Status.WITHDRAWN)),
        "answered": Count("pk", filter=answered),
        "timely": Count("pk", filter=Q(timely=True)),
        "overdue": Count("pk", filter=Q(timely=False) | open_overdue),
        "open_overdue": Count("pk", filter=open_overdue),
        "withdrawn": Count("pk", filter=Q(status=Status.WITHDRAWN)),
        # A hashed subquery of the few referral channels, not a join to every case's term.
        "referred": Count("pk", filter=Q(intake_channel__in=referral_channels)),
        "at_fault": Count("pk", filter=Q(at_fault=True)),
        "extended": Count("pk", filter=Q(extension_approved=True)),
        "extended_60": Count("pk", filter=Q(extension_approved=True, allowed_days__gt=30)),
        "reviewed": Count("pk", filter=Q(review_requested=True)),
        "review_decided": Count("pk", filter=~Q(review_outcome="")),
        "reversed": Count("pk", filter=Q(review_outcome__in=REVERSED_OUTCOMES)),
        "surveyed": Count("pk", filter=Q(surveyed=True)),
        "satisfied": Count("pk", filter=Q(satisfied=True)),
        "compensation": Sum("compensation"),
    }
    # Prefixed: aggregate names must not shadow the model's own fields ("timely", "at_fault").
    return {f"m_{name}": expression for name, expression in aggregates.items()}


COUNTS = (
    "received",
    "closed",
    "answered",
    "timely",
    "overdue",
    "open_overdue",
    "withdrawn",
    "referred",
    "at_fault",
    "extended",
    "extended_60",
    "reviewed",
    "review_decided",
    "reversed",
    "surveyed",
    "satisfied",
)


def _fill(measures: Measures, row: Mapping[str, Any]) -> None:
    for name in COUNTS:
        setattr(measures, name, int(row[f"m_{name}"] or 0))
    measures.compensation = Decimal(row["m_compensation"] or 0).quantize(Decimal("0.01"))
    measures.avg_days = _as_days(row["m_avg_days"])


def _sum_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The aggregate row of a partition: counts and sums add up, the average is re-weighted."""
    total: dict[str, Any] = {f"m_{name}": 0 for name in COUNTS}
    total["m_compensation"] = Decimal(0)
    answered_days = 0.0
    for row in rows:
        for name in COUNTS:
            total[f"m_{name}"] += int(row[f"m_{name}"] or 0)
        total["m_compensation"] += Decimal(row["m_compensation"] or 0)
        days = _as_days(row["m_avg_days"])
        if days is not None:
            answered_days += days * int(row["m_answered"] or 0)
    answered = total["m_answered"]
    total["m_avg_days"] = answered_days / answered if answered else None
    return total


def _grouped(
    population: QuerySet[ComplaintFact], keys: _Keys, aggregates: Mapping[str, Any]
) -> dict[tuple[Any, ...], tuple[dict[str, Any], Counter[int]]]:
    """The aggregate row and the histogram of handling days of every group of `keys`, in one
    pass: grouped by the keys and the case's handling days, then added up here (counts and sums
    add up; the average is the histogram's)."""
    exprs = keys.expressions()
    rows = (
        population.annotate(**exprs, _days=F("handling_days"))
        .values(*exprs, "_days")
        .annotate(**aggregates)
        .order_by()
    )
    out: dict[tuple[Any, ...], tuple[dict[str, Any], Counter[int]]] = {}
    for row in _without_jit(rows):
        key = keys.normalise(row)
        if key not in out:
            empty = {**{f"m_{name}": 0 for name in COUNTS}, "m_compensation": Decimal(0)}
            out[key] = (empty, Counter())
        total, histogram = out[key]
        for name in COUNTS:
            total[f"m_{name}"] += int(row[f"m_{name}"] or 0)
        total["m_compensation"] += Decimal(row["m_compensation"] or 0)
        if row["_days"] is not None:
            histogram[int(row["_days"])] += int(row["m_answered"] or 0)
    for total, histogram in out.values():
        answered = sum(histogram.values())
        days = sum(d * n for d, n in histogram.items())
        total["m_avg_days"] = days / answered if answered else None
    return out


def _without_jit(rows: QuerySet[Any]) -> list[Any]:
    """The rows of a grouped pass, on PostgreSQL with JIT compilation off: a pass over a year of
    a million cases passes jit_above_cost, and compiling its aggregates took 0.3–0.4 s against
    a pass of about 0.5 s (EXPLAIN ANALYZE at 1,000,000 cases), saving nothing back."""
    using = rows.db
    if connections[using].vendor != "postgresql":
        return list(rows)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # until this transaction (or the outer one) ends
        return list(rows)


def _repeat_counts(
    population: QuerySet[ComplaintFact], keys: _Keys
) -> tuple[int, dict[tuple[Any, ...], int]]:
    """Complainants (people linked by ID or phone hash, see `facts`) on more than one case: over
    the whole population, and per group of `keys` (on more than one case of that group).

    Counted in SQL by the stored person keys: only the (group, person) pairs with more than one
    case come back."""
    people = population.filter(people__repeated=True)
    everyone = (
        people.values("people__person_key")
        .annotate(_cases=Count("pk", distinct=True))
        .filter(_cases__gt=1)
        .order_by()
        .count()
    )
    exprs = keys.expressions()
    if not exprs:
        return everyone, {}
    rows = (
        people.annotate(**exprs)
        .values(*exprs, "people__person_key")
        .annotate(_cases=Count("pk", distinct=True))
        .filter(_cases__gt=1)
        .values_list(*exprs)
        .order_by()
    )
    per_group: Counter[tuple[Any, ...]] = Counter()
    for row in rows:  # not a server-side cursor: PostgreSQL plans those for the first rows
        per_group[keys.normalise(dict(zip(exprs, row, strict=True)))] += 1
    return everyone, dict(per_group)


def _repeaters(people: Mapping[int, set[int]]) -> int:
    return sum(1 for cases in people.values() if len(cases) > 1)


def people_index(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Number the people behind (id hash, phone hash) pairs: pairs sharing either hash, directly
    or through others, are one person."""
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(x: tuple[int, str]) -> tuple[int, str]:
        root = parent.setdefault(x, x)
        while root != x:
            parent[x] = parent[root]
            x, root = root, parent[root]
        return x

    distinct = set(pairs)
    for id_hash, phone_hash in distinct:
        if id_hash and phone_hash:
            a, b = find((0, id_hash)), find((1, phone_hash))
            if a != b:
                parent[b] = a
    numbers: dict[tuple[int, str], int] = {}
    out: dict[tuple[str, str], int] = {}
    for id_hash, phone_hash in distinct:
        root = find((0, id_hash) if id_hash else (1, phone_hash))
        out[(id_hash, phone_hash)] = numbers.setdefault(root, len(numbers))
    return out


def count_repeat_people(records: Iterable[tuple[int, str, str]]) -> int:
    """People on more than one case: records (case, id hash, phone hash) sharing either hash are
    one person."""
    return sum(1 for _person, cases in people_cases(records) if len(cases) > 1)


def people_cases(records: Iterable[tuple[int, str, str]]) -> list[tuple[str, set[int]]]:
    """Group (case, id hash, phone hash) records into people: (stable key, their cases). The key
    is the smallest of the person's hashes ("i:…" for ID, "p:…" for phone)."""
    linked = [(case_id, (i, p)) for case_id, i, p in records if i or p]
    person = people_index(hashes for _case, hashes in linked)
    cases: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for case_id, (id_hash, phone_hash) in linked:
        who = person[(id_hash, phone_hash)]
        cases[who].add(case_id)
        for node in ([f"i:{id_hash}"] if id_hash else []) + (
            [f"p:{phone_hash}"] if phone_hash else []
        ):
            names[who] = min(names.get(who, node), node)
    return [(names[who], ids) for who, ids in cases.items()]


def _customers(keys: _Keys, key: tuple[Any, ...]) -> int | None:
    if "unit" not in keys.dimensions:
        return None
    unit = keys.unit_for(key[keys.dimensions.index("unit")])
    return unit.customer_count if unit is not None else None


@dataclass(frozen=True)
class StatisticsRequest:
    """One `complaint_statistics` call of a page, for `complaint_statistics_many`."""

    dimensions: Sequence[str] = ()
    grain: str = Grain.MONTH
    rollup: bool = True
    unit_depth: int | None = None
    repeats: str = "all"


def complaint_statistics(
    *,
    user: Any,
    dimensions: Sequence[str] = (),
    filters: Mapping[str, Any] | None = None,
    grain: str = Grain.MONTH,
    rollup: bool = True,
    unit_depth: int | None = None,
    at: datetime | None = None,
    repeats: str = "all",
) -> Statistics:
    """Measures per combination of `dimensions` over the counted cases `user` may see.

    `filters` take the registry's own parameter names (RegistryFilter: received_from, received_to,
    unit, cause, business_category, …), so every row links back to the very cases it counts.
    Repeat complainants need every complainant of the population read and linked (the costliest
    measure at a million cases): `repeats` is "all" (total and rows), "total" or "none" (left
    None) for callers that show fewer.
    """
    request = StatisticsRequest(
        dimensions=dimensions, grain=grain, rollup=rollup, unit_depth=unit_depth, repeats=repeats
    )
    return complaint_statistics_many(user=user, requests=[request], filters=filters, at=at)[0]


def complaint_statistics_many(
    *,
    user: Any,
    requests: Sequence[StatisticsRequest],
    filters: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> list[Statistics]:
    """`complaint_statistics` for each request over one population (same user, filters, moment),
    in as few passes over the cases as possible.

    Requests whose dimensions are single-valued are answered from one GROUP BY over the union of
    their dimensions (and handling days), added up here per request: counts and sums add up, the
    histograms of days add up, so every figure is the one a pass of its own gives. A page's
    tables thus cost one scan of the facts instead of one each.
    """
    moment = at or now()
    population = scoped_population(user=user, filters=filters)
    aggregates = _aggregates(moment)
    prepared = []
    for request in requests:
        if request.repeats not in ("all", "total", "none"):
            raise ValueError(f"repeats must be 'all', 'total' or 'none', not {request.repeats!r}")
        unit_depth = request.unit_depth
        if unit_depth is None:
            own = getattr(getattr(user, "unit", None), "depth", 0) or 0
            unit_depth = own + 1
        options = Options(grain=request.grain, rollup=request.rollup, unit_depth=unit_depth)
        prepared.append((request, options, _Keys(request.dimensions, options)))
    every = [keys for _r, _o, keys in prepared]
    grouped = _from_rollups(
        user=user, filters=filters, population=population, aggregates=aggregates, requests=every
    )
    rest = [i for i in range(len(every)) if i not in grouped]
    shared = _shared_pass(population, aggregates, [every[i] for i in rest])
    grouped.update({rest[j]: groups for j, groups in shared.items()})
    return [
        _statistics(
            user=user,
            filters=filters,
            keys=keys,
            repeats=request.repeats,
            population=population,
            aggregates=aggregates,
            grouped=grouped.get(i),
        )
        for i, (request, _options, keys) in enumerate(prepared)
    ]


def _from_rollups(
    *,
    user: Any,
    filters: Mapping[str, Any] | None,
    population: QuerySet[ComplaintFact],
    aggregates: Mapping[str, Any],
    requests: Sequence[_Keys],
) -> dict[int, _Grouped]:
    """The groups of every request (by index) the monthly rollups can answer: the whole past
    months of the period from the rollups, plus the rest of the population and the open cases
    of those months from the facts (each in as few passes as can share). The same figures as a
    pass over the whole population: counts, sums and histograms add up."""
    if not settings.STATISTICS_ROLLUPS:
        return {}
    from xiaobao.reports import rollups  # it builds on this module

    members = [i for i, keys in enumerate(requests) if rollups.answers(keys)]
    if not members:
        return {}
    asked = [requests[i] for i in members]
    plan = rollups.plan(
        user=user, filters=filters, population=population, dimensions=rollups.needed(asked)
    )
    if plan is None:
        return {}
    live = [_passes(part, aggregates, asked) for part in (plan.rest, plan.open) if part is not None]
    out: dict[int, _Grouped] = {}
    for n, i in enumerate(members):
        groups = plan.grouped(requests[i])
        for part in live:
            rollups.add(groups, part[n])
        out[i] = rollups.add(groups, {})
    return out


def _passes(
    population: QuerySet[ComplaintFact], aggregates: Mapping[str, Any], requests: Sequence[_Keys]
) -> list[_Grouped]:
    """The groups of every request over `population`, sharing passes where they can."""
    shared = _shared_pass(population, aggregates, requests)
    return [
        shared[i] if i in shared else _grouped(population, keys, aggregates)
        for i, keys in enumerate(requests)
    ]


_Grouped = dict[tuple[Any, ...], tuple[dict[str, Any], Counter[int]]]


def _shared_pass(
    population: QuerySet[ComplaintFact], aggregates: Mapping[str, Any], requests: Sequence[_Keys]
) -> dict[int, _Grouped]:
    """The groups of every request (by index) that can share one pass: single-valued dimensions
    other than the period, the same depth for the unit. Nothing for a lone request, which makes
    its own pass as before."""
    members: list[int] = []
    depth: int | None = None
    for i, keys in enumerate(requests):
        if set(keys.dimensions) & MULTI_VALUED:
            continue
        # Not the period: PostgreSQL cannot estimate how many months a range holds, so a shared
        # pass with the period sorts (and spills) instead of hashing, and at 1,000,000 facts
        # took as long as two passes of their own (EXPLAIN ANALYZE, 1.0–1.3 s against 0.5 + 0.6).
        if "period" in keys.dimensions:
            continue
        if "unit" in keys.dimensions:
            if depth not in (None, keys.options.unit_depth):
                continue
            depth = keys.options.unit_depth
        members.append(i)
    if len(members) < 2:
        return {}
    names: list[str] = []
    for i in members:
        names += [n for n in requests[i].dimensions if n not in names]
    options = Options(rollup=False, unit_depth=depth or 1)
    combined = _Keys(names, options)
    # Grouped by the raw terms; a request that rolls sub-terms up maps them to their top-level
    # term here, as its CASE expression would in SQL.
    groups = _grouped(population, combined, aggregates)
    out: dict[int, _Grouped] = {}
    for i in members:
        keys = requests[i]
        at = [names.index(n) for n in keys.dimensions]
        fold = [
            keys.roots[n] if keys.options.rollup and n in keys.roots else None
            for n in keys.dimensions
        ]
        folded: _Grouped = {}
        for key, (raw, histogram) in groups.items():
            own = tuple(
                _root_pk(roots, key[j]) if roots is not None else key[j]
                for j, roots in zip(at, fold, strict=True)
            )
            if own not in folded:
                folded[own] = (
                    {f"m_{n}": 0 for n in COUNTS} | {"m_compensation": Decimal(0)},
                    Counter(),
                )
            total, own_histogram = folded[own]
            for n in COUNTS:
                total[f"m_{n}"] += raw[f"m_{n}"]
            total["m_compensation"] += raw["m_compensation"]
            own_histogram.update(histogram)
        for total, histogram in folded.values():
            answered = sum(histogram.values())
            days = sum(d * n for d, n in histogram.items())
            total["m_avg_days"] = days / answered if answered else None
        out[i] = folded
    return out


def _root_pk(roots: Mapping[int, TaxonomyTerm], pk: Any) -> Any:
    root = roots.get(pk) if pk is not None else None
    return root.pk if root is not None else pk


def _statistics(
    *,
    user: Any,
    filters: Mapping[str, Any] | None,
    keys: _Keys,
    repeats: str,
    population: QuerySet[ComplaintFact],
    aggregates: Mapping[str, Any],
    grouped: _Grouped | None,
) -> Statistics:
    """One request's Statistics, from its groups (`grouped`, or a pass of its own when None)."""
    dimensions = keys.dimensions
    options = keys.options
    # Each dimension value of a case is one group, so with single-valued dimensions the groups
    # partition the population and the total is their sum: one pass over the cases instead of
    # two (three with repeat complainants). A multi-valued dimension (demand, tag) counts a case under each of its values, so
    # its total is counted separately.
    additive = bool(dimensions) and not set(dimensions) & MULTI_VALUED
    total = Measures()
    by_key: _Grouped = {}
    histograms: dict[tuple[Any, ...], Counter[int]] = {}
    per_group: dict[tuple[Any, ...], int] | None = None
    if dimensions:
        by_key = grouped if grouped is not None else _grouped(population, keys, aggregates)
        histograms = {key: hist for key, (_raw, hist) in by_key.items()}
        if repeats == "all":
            total.repeat_complainants, per_group = _repeat_counts(population, keys)
    if additive:
        _fill(total, _sum_rows([raw for raw, _hist in by_key.values()]))
        total_hist: Counter[int] = Counter()
        for hist in histograms.values():
            total_hist.update(hist)
    else:
        whole = grouped if grouped is not None and not dimensions else None
        if whole is None:
            whole = _grouped(population, _Keys([], options), aggregates)
        raw, total_hist = whole.get((), (_sum_rows([]), Counter()))
        _fill(total, raw)
    if total.repeat_complainants is None and repeats != "none":
        total.repeat_complainants = _repeat_counts(population, _Keys([], options))[0]
    total.p90_days = nearest_rank(total_hist)
    total.customers = _scope_customers(user, filters)

    rows: list[Row] = []
    if dimensions:
        normalised = [(key, raw) for key, (raw, _hist) in by_key.items()]
        keys.load_labels(k for k, _ in normalised)
        for key, raw in normalised:
            measures = Measures()
            _fill(measures, raw)
            measures.p90_days = nearest_rank(histograms.get(key, Counter()))
            if per_group is not None:
                measures.repeat_complainants = per_group.get(key, 0)
            measures.customers = _customers(keys, key)
            drill: dict[str, list[str]] | None = {}
            for name, value in zip(keys.dimensions, key, strict=True):
                params = keys.drill_params(name, value)
                if params is None or drill is None:
                    drill = None
                    continue
                drill = _merge_drill(drill, params)
            rows.append(
                Row(
                    key=key,
                    codes=tuple(keys.code(n, v) for n, v in zip(keys.dimensions, key, strict=True)),
                    labels=tuple(
                        keys.label(n, v) for n, v in zip(keys.dimensions, key, strict=True)
                    ),
                    measures=measures,
                    drill=drill,
                )
            )
        rows.sort(
            key=lambda r: tuple(
                keys.sort_key(n, v) for n, v in zip(keys.dimensions, r.key, strict=True)
            )
        )
    return Statistics(
        dimensions=list(dimensions),
        options=options,
        rows=rows,
        total=total,
        filters={k: v for k, v in _as_querydict(filters).lists()},
    )


def _scope_customers(user: Any, filters: Mapping[str, Any] | None) -> int | None:
    code = _as_querydict(filters).get("unit")
    if code:
        unit = visible_to(user, Unit.objects.filter(code=code)).first()
    else:
        unit = getattr(user, "unit", None)
    return unit.customer_count if unit is not None else None


# --- scope for commands and jobs -----------------------------------------------------------------


@dataclass(frozen=True)
class UnitViewer:
    """A non-person viewer for commands and jobs: sees exactly `unit`'s subtree, through the same
    `visible_to` as every member of staff."""

    unit: Unit
    is_authenticated: bool = True
    is_active: bool = True
    pk: None = None

    def __str__(self) -> str:
        return f"{self.unit.name}（系统）"


def viewer_for(unit_code: str | None) -> UnitViewer:
    """The viewer of `unit_code`'s subtree, or of the whole institution when no code is given."""
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise DomainError(
                "机构代码“%(unit_code)s”不存在。",
                params={"unit_code": unit_code},
                code="unknown_unit",
            )
    else:
        unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
        if unit is None:
            raise DomainError("尚未建立机构。", code="no_units")
    return UnitViewer(unit=unit)


# --- other reads ---------------------------------------------------------------------------------


def share(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None


def format_rate(value: float | None, digits: int = 1) -> str:
    """Percent with `digits` decimals, the way the institutions' reports write it."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def format_days(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def descendants_codes(axis: Axis, code: str) -> list[str]:
    """`code` and every term below it on `axis` (for filters with roll-up)."""
    terms = axis_terms(axis)
    target = next((t for t in terms.values() if t.code == code), None)
    return [] if target is None else _with_descendants(terms, target.pk)


def _with_descendants(terms: Mapping[int, TaxonomyTerm], pk: int) -> list[str]:
    below = []
    for term in terms.values():
        seen, parent_id = set(), term.parent_id
        while parent_id is not None and parent_id not in seen:
            if parent_id == pk:
                below.append(term.code)
                break
            seen.add(parent_id)
            parent = terms.get(parent_id)
            parent_id = parent.parent_id if parent else None
    return [terms[pk].code, *sorted(below)]


def typical_case_list(
    *, user: Any, q: str = "", category: str = "", published_only: bool = False
) -> QuerySet[Any]:
    """The typical-case library in scope: title or text contains `q`, category with sub-categories."""
    from xiaobao.reports.models import TypicalCase

    qs = visible_to(user, TypicalCase.objects.all()).select_related(
        "complaint__business_category__parent", "complaint__cause", "complaint__unit", "author"
    )
    if q.strip():
        for word in q.split():
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(write_up__icontains=word)
                | Q(lessons__icontains=word)
                | Q(tags__icontains=word)
            )
    if category:
        qs = qs.filter(
            complaint__business_category__code__in=descendants_codes(
                Axis.BUSINESS_CATEGORY, category
            )
        )
    if published_only:
        qs = qs.filter(published_at__isnull=False)
    return qs.order_by("-published_at", "-created_at", "-id")


def alert_list(*, user: Any, status: str = "", kind: str = "") -> QuerySet[Any]:
    from xiaobao.reports.models import Alert

    qs = visible_to(user, Alert.objects.select_related("unit", "handled_by"))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-raised_at", "-id")


def report_run_list(*, user: Any) -> QuerySet[Any]:
    from xiaobao.reports.models import ReportRun

    return visible_to(user, ReportRun.objects.select_related("unit", "requested_by")).order_by(
        "-created_at", "-id"
    )
