"""Early warning: unusual rises, repeat complainants and clusters of similar new complaints.

The method, with the parameters in `Method` (also shown on the alerts page):

1. **Surges (异常上升).** For every business category (sub-categories rolled up), every
   sub-category (credit card, mortgage …: the nearest thing to a product the registry records),
   every cause and every branch and sub-branch, count the cases received in the observation window — the 7 days
   before the run day — and in each of the 12 windows of 7 days before that (its own history).
   Raise an alert when ``count ≥ max(mean + 3·sd, mean + 3)`` and ``count ≥ 5``: the first term
   catches a rise far outside the usual spread, the second stops a quiet series (sd ≈ 0) from
   alerting on one extra case, the floor keeps tiny counts out. The Poisson tail probability
   ``P(X ≥ count | λ = mean)`` is kept in the evidence as a second opinion.
2. **Repeat complainants (重复投诉).** The same person — the same ID-number or phone hash, records
   linked through either — on at least 3 complaints received in the last 90 days. Merged
   duplicates count here (filing again *is* the behaviour); declined filings do not.
3. **Clusters (同类集中).** At least 5 complaints received in the last 7 days in one branch that
   share business category (rolled up) and cause.

Counts follow the statistics' counting rule (selectors.py) except where stated. Everything is read
through the branch scope of the viewer the run is for (the whole institution by default).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.timezone import localtime
from django.utils.translation import gettext

from xiaobao.complaints.choices import Kind, Status
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.deadlines.engine import TZ
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to
from xiaobao.privacy.masking import mask_name
from xiaobao.privacy.redaction import redact
from xiaobao.reports.choices import AlertKind
from xiaobao.reports.models import ComplaintFact
from xiaobao.reports.selectors import (
    SEGMENT,
    Options,
    _Keys,
    complaint_statistics,
    counted,
    people_cases,
)


@dataclass(frozen=True)
class Method:
    """The early-warning parameters (shown on the page; change them here, with a reason)."""

    window_days: int = 7
    history_windows: int = 12
    sigmas: float = 3.0
    min_excess: float = 3.0
    min_count: int = 5
    unit_depths: tuple[int, ...] = (1, 2)  # branches and sub-branches
    repeat_days: int = 90
    repeat_min_cases: int = 3
    cluster_days: int = 7
    cluster_min_cases: int = 5
    cluster_unit_depth: int = 1

    def describe(self) -> list[str]:
        return [
            gettext(
                "异常上升：按业务类别（细类并入大类）、业务细类（代表产品）、投诉原因及分行、支行，"
                "统计运行日前%(window)s日的投诉量，与此前%(history)s个%(window)s日周期比较；"
                "当投诉量 ≥ max(均值 + %(sigmas)s×标准差, 均值 + %(excess)s) 且 ≥ %(min)s 件时预警，"
                "并记录泊松分布尾部概率 P(X ≥ 投诉量 | λ = 均值) 作为参考。"
            )
            % {
                "window": self.window_days,
                "history": self.history_windows,
                "sigmas": f"{self.sigmas:g}",
                "excess": f"{self.min_excess:g}",
                "min": self.min_count,
            },
            gettext(
                "重复投诉：同一投诉人（证件号码或手机号码哈希相同，二者任一相同即视为同一人）"
                "近%(days)s日投诉 ≥ %(min)s 件（含已合并的重复来件，不含不予受理）。"
            )
            % {"days": self.repeat_days, "min": self.repeat_min_cases},
            gettext("同类集中：近%(days)s日同一分行内业务类别与投诉原因均相同的投诉 ≥ %(min)s 件。")
            % {"days": self.cluster_days, "min": self.cluster_min_cases},
        ]


METHOD = Method()


@dataclass
class Finding:
    """Something that should raise an alert (not yet stored)."""

    kind: str
    unit: Unit  # whose consumer-protection office is told
    subject_key: str
    subject: str
    period_start: date
    period_end: date
    count: int
    evidence: dict[str, Any] = field(default_factory=dict)
    notice_context: dict[str, Any] | None = None  # for the 消费风险提示 draft, when one fits


# --- the tests, pure functions -------------------------------------------------------------------


def poisson_tail(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    below = sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(count))
    return max(0.0, 1.0 - below)


def surge_test(count: int, history: list[int], method: Method = METHOD) -> dict[str, Any] | None:
    """The evidence if `count` is a surge against `history`, else None."""
    if not history:
        return None
    mean = statistics.fmean(history)
    sd = statistics.pstdev(history)
    threshold = max(mean + method.sigmas * sd, mean + method.min_excess)
    if count < method.min_count or count < threshold:
        return None
    return {
        "count": count,
        "history": history,
        "mean": round(mean, 2),
        "sd": round(sd, 2),
        "threshold": round(threshold, 2),
        "poisson_p": float(f"{poisson_tail(count, mean):.3g}"),
    }


def windows(as_of: date, method: Method = METHOD) -> list[tuple[date, date]]:
    """(first, last) day of the observation window, then of each history window, newest first."""
    out = []
    for i in range(method.history_windows + 1):
        last = as_of - timedelta(days=1 + i * method.window_days)
        out.append((last - timedelta(days=method.window_days - 1), last))
    return out


# --- reading the registry ------------------------------------------------------------------------


def _received_between(qs: QuerySet[Any], first: date, last: date) -> QuerySet[Any]:
    return qs.filter(received_at__date__gte=first, received_at__date__lte=last)


def _daily_counts(
    population: QuerySet[ComplaintFact], key: Any, first: date, last: date
) -> dict[Any, Counter[date]]:
    rows = (
        _received_between(population, first, last)
        .annotate(_key=key, _day=TruncDate("received_at", tzinfo=TZ))
        .values("_key", "_day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[Any, Counter[date]] = defaultdict(Counter)
    for row in rows:
        out[row["_key"]][row["_day"]] += row["n"]
    return out


def _addressee(viewer: Any, unit: Unit | None) -> Unit:
    """The branch (or the viewer's own unit) whose consumer-protection office should act."""
    if unit is None:
        return viewer.unit
    if unit.depth <= max(1, viewer.unit.depth):
        return unit
    path = unit.path[: SEGMENT * (max(1, viewer.unit.depth) + 1)]
    return Unit.objects.filter(path=path).first() or viewer.unit


def find_surges(*, viewer: Any, as_of: date, method: Method = METHOD) -> list[Finding]:
    spans = windows(as_of, method)
    first, last = spans[-1][0], spans[0][1]
    population = counted(visible_to(viewer, ComplaintFact.objects.all()))  # the narrow rows
    findings: list[Finding] = []
    # (dimension, unit depth, roll sub-categories up?); sub-categories stand in for products.
    subjects: list[tuple[str, int, bool]] = [
        ("business_category", 1, True),
        ("business_category", 1, False),
        ("cause", 1, True),
    ]
    subjects += [("unit", d, True) for d in method.unit_depths if d > viewer.unit.depth]
    for dimension, depth, rollup in subjects:
        keys = _Keys([dimension], Options(rollup=rollup, unit_depth=depth))
        expression = next(iter(keys.expressions().values()))
        series = _daily_counts(population, expression, first, last)
        keys.load_labels((k,) for k in series)
        for key, days in series.items():
            if key is None:
                continue
            if not rollup and keys.terms[dimension][key].parent_id is None:
                continue  # a top-level term's own series is the rolled-up one above
            counts = [sum(n for d, n in days.items() if a <= d <= b) for a, b in spans]
            evidence = surge_test(counts[0], counts[1:], method)
            if evidence is None:
                continue
            unit = keys.unit_for(key) if dimension == "unit" else None
            if dimension == "unit" and (unit is None or unit.depth != depth):
                continue  # cases registered at a branch itself are not a sub-branch's series
            code = keys.code(dimension, key)
            label = keys.label(dimension, key)
            dim_label = {"business_category": "业务类别", "cause": "投诉原因", "unit": "机构"}[
                dimension
            ]
            if not rollup:
                dim_label = "业务细类"
            evidence |= {
                "dimension": dimension,
                "code": code,
                "windows": [[a.isoformat(), b.isoformat()] for a, b in spans],
                "method": method.describe()[0],
            }
            findings.append(
                Finding(
                    kind=AlertKind.SURGE,
                    unit=_addressee(viewer, unit),
                    subject_key=f"{dimension}:{code}",
                    subject=f"{dim_label}：{label}",
                    period_start=spans[0][0],
                    period_end=spans[0][1],
                    count=counts[0],
                    evidence=evidence,
                    notice_context=None
                    if dimension == "unit"
                    else {"dimension": dimension, "code": code, "label": label},
                )
            )
    return findings


def _case_summaries(cases: Iterable[Complaint]) -> list[dict[str, Any]]:
    return [
        {
            "registry_no": c.registry_no,
            "received_at": localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
            "unit": c.unit.name,
            "title": redact(c.title),
            "status": c.get_status_display(),
        }
        for c in cases
    ]


def find_repeats(*, viewer: Any, as_of: date, method: Method = METHOD) -> list[Finding]:
    first = as_of - timedelta(days=method.repeat_days)
    last = as_of - timedelta(days=1)
    cases = _received_between(
        visible_to(viewer, Complaint.objects.filter(kind=Kind.COMPLAINT)).exclude(
            status=Status.DECLINED
        ),
        first,
        last,
    )
    people = Complainant.objects.filter(complaint__in=cases.values("pk"))
    shared = Q()
    for column in ("id_number_hash", "phone_hash"):
        repeated = (
            people.exclude(**{column: ""})
            .values(column)
            .annotate(n=Count("complaint", distinct=True))
            .filter(n__gt=1)
            .values(column)
        )
        shared |= Q(**{f"{column}__in": repeated})
    records = list(
        people.filter(shared).values_list("complaint_id", "id_number_hash", "phone_hash", "name")
    )
    names = {r[0]: r[3] for r in records}
    findings = []
    for key, ids in people_cases(r[:3] for r in records):
        if len(ids) < method.repeat_min_cases:
            continue
        rows = list(
            Complaint.objects.filter(pk__in=ids).select_related("unit").order_by("received_at")
        )
        common = _common_unit(viewer, [c.unit for c in rows])
        person = mask_name(names[min(ids)])
        findings.append(
            Finding(
                kind=AlertKind.REPEAT,
                unit=common,
                subject_key=f"person:{key[:34]}",
                subject=f"重复投诉人：{person}",
                period_start=first,
                period_end=last,
                count=len(rows),
                evidence={
                    "person": person,
                    "cases": _case_summaries(rows),
                    "method": method.describe()[1],
                },
            )
        )
    return findings


def _common_unit(viewer: Any, units: list[Unit]) -> Unit:
    """The lowest unit above all of `units` (within the viewer's scope)."""
    prefix = units[0].path
    for unit in units[1:]:
        while not unit.path.startswith(prefix):
            prefix = prefix[: len(prefix) - SEGMENT]
    if len(prefix) < len(viewer.unit.path):
        return viewer.unit
    return Unit.objects.filter(path=prefix).first() or viewer.unit


def find_clusters(*, viewer: Any, as_of: date, method: Method = METHOD) -> list[Finding]:
    first = as_of - timedelta(days=method.cluster_days)
    last = as_of - timedelta(days=1)
    depth = max(method.cluster_unit_depth, viewer.unit.depth)
    stats = complaint_statistics(
        user=viewer,
        repeats="none",
        dimensions=["unit", "business_category", "cause"],
        filters={"received_from": first, "received_to": last},
        unit_depth=depth,
    )
    findings = []
    for row in stats.rows:
        if row.measures.received < method.cluster_min_cases or None in row.codes:
            continue
        unit = Unit.objects.get(code=row.codes[0])
        cases = (
            counted(Complaint.objects.filter(unit__path__startswith=unit.path))
            .filter(received_at__date__gte=first, received_at__date__lte=last)
            .filter(
                Q(business_category__code=row.codes[1])
                | Q(business_category__parent__code=row.codes[1]),
                cause__code=row.codes[2],
            )
            .select_related("unit")
            .order_by("received_at")
        )
        findings.append(
            Finding(
                kind=AlertKind.CLUSTER,
                unit=unit,
                subject_key=f"cluster:{row.codes[0]}:{row.codes[1]}:{row.codes[2]}",
                subject=f"{row.labels[0]}：{row.labels[1]}·{row.labels[2]}",
                period_start=first,
                period_end=last,
                count=row.measures.received,
                evidence={
                    "unit": row.codes[0],
                    "business_category": row.codes[1],
                    "cause": row.codes[2],
                    "cases": _case_summaries(cases[:50]),
                    "registry_url": stats.drill_url(row),
                    "method": method.describe()[2],
                },
                notice_context={
                    "dimension": "cluster",
                    "category": row.labels[1],
                    "cause": row.labels[2],
                    "cause_code": row.codes[2],
                    "unit": row.labels[0],
                },
            )
        )
    return findings


def find_all(*, viewer: Any, as_of: date, method: Method = METHOD) -> list[Finding]:
    return [
        *find_surges(viewer=viewer, as_of=as_of, method=method),
        *find_repeats(viewer=viewer, as_of=as_of, method=method),
        *find_clusters(viewer=viewer, as_of=as_of, method=method),
    ]
