"""Writes of assessment: schemes, runs, manual scores, appeals, corrections and gap tasks.

Every service checks the actor's right and scope, checks the transition in the one table of
choices.py, changes the rows and writes one append-only `RecordEvent` in the same transaction.
A locked run is never recomputed: a correction is a new run with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.timezone import localdate

from xiaobao.assessment import conf
from xiaobao.assessment.choices import (
    APPEAL_TRANSITIONS,
    RUN_TRANSITIONS,
    SCHEME_TRANSITIONS,
    VOLUME_METRICS,
    AppealStatus,
    IndicatorKind,
    Normalisation,
    RunStatus,
    SchemeKind,
    SchemeStatus,
)
from xiaobao.assessment.models import Appeal, Element, Indicator, Result, Run, Scheme, Score
from xiaobao.assessment.scoring import grade_for, indicator_points, num, q2
from xiaobao.audit.services import record_event
from xiaobao.lib import metrics
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    choice_label,
    lazy_list,
    lazy_text,
)
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import unit_in_scope

DATA = Path(__file__).resolve().parent / "data"
REGULATOR_YEARS = (2021, 2025)


def _require(user: Any, perm: str, unit: Unit | None = None) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not user.has_perm(f"assessment.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if unit is not None and not unit_in_scope(user, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _move(obj: Any, table: Mapping[str, frozenset[str]], to: str, label: str) -> str:
    current = obj.status
    if to not in table.get(current, frozenset()):
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(obj, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    obj.status = to
    return current


def _decimal(value: Any, field_name: str, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            "%(label)s须为数字。",
            params={"label": lazy_text(label)},
            code="invalid",
            field=field_name,
        ) from exc


def _today() -> date:
    return localdate(clock_now())


def _hq_unit() -> Unit:
    return Unit.objects.filter(parent__isnull=True).order_by("pk").first()  # type: ignore[return-value]


# --- schemes --------------------------------------------------------------------------------------


@dataclass
class SchemeData:
    code: str
    name: str
    year: int
    kind: str = SchemeKind.INTERNAL
    unit_kinds: Sequence[str] = (UnitKind.BRANCH,)
    staff_roles: Sequence[str] = ()
    bands: Sequence[Sequence[Any]] = ((90, "A"), (80, "B"), (70, "C"), (0, "D"))
    kpi_share: Decimal = Decimal("0")
    data_cutoff_days: int = 10
    basis: str = ""
    is_example: bool = False


@dataclass
class IndicatorData:
    code: str
    name: str
    kind: str
    weight: Decimal = Decimal("0")
    element: Element | None = None
    metric_key: str = ""
    target: Decimal | None = None
    zero_at: Decimal | None = None
    per_event: Decimal | None = None
    cap: Decimal | None = None
    normalisation: str = Normalisation.NONE
    guidance: str = ""
    ordering: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _editable(scheme: Scheme) -> None:
    if scheme.status != SchemeStatus.DRAFT:
        raise InvalidTransitionError(
            "方案已审批或发布，不能再修改；如需调整请新建下一版本。", code="invalid_transition"
        )


@transaction.atomic
def scheme_create(*, actor: Any, data: SchemeData) -> Scheme:
    _require(actor, "add_scheme")
    code, name = data.code.strip(), data.name.strip()
    if not code:
        raise DomainError("请填写方案编号。", code="required", field="code")
    if not name:
        raise DomainError("请填写方案名称。", code="required", field="name")
    if Scheme.objects.filter(code=code).exists():
        raise DomainError("方案编号已存在。", code="duplicate", field="code")
    if data.kind not in SchemeKind.values:
        raise DomainError("方案类型无效。", code="invalid", field="kind")
    unknown = [k for k in data.unit_kinds if k not in UnitKind.values]
    if unknown or not data.unit_kinds:
        raise DomainError("请选择适用的机构层级。", code="invalid", field="unit_kinds")
    from xiaobao.organisation.choices import Role

    if any(role not in Role.values for role in data.staff_roles):
        raise DomainError("适用岗位无效。", code="invalid", field="staff_roles")
    bands = _check_bands(data.bands)
    previous = Scheme.objects.filter(name=name).order_by("-version").first()
    scheme = Scheme.objects.create(
        code=code,
        name=name,
        year=int(data.year),
        kind=data.kind,
        version=(previous.version + 1) if previous else 1,
        unit_kinds=list(data.unit_kinds),
        staff_roles=list(data.staff_roles),
        bands=bands,
        kpi_share=_decimal(data.kpi_share, "kpi_share", "消保考核占综合绩效权重") or Decimal(0),
        data_cutoff_days=data.data_cutoff_days,
        basis=data.basis,
        is_example=data.is_example,
    )
    record_event(
        scheme, action="create", actor=actor, unit=_hq_unit(), to_status=scheme.status,
        action_label="新建考核方案",
    )  # fmt: skip
    return scheme


def _check_bands(bands: Sequence[Sequence[Any]]) -> list[list[Any]]:
    out = []
    for i, band in enumerate(bands):
        if len(band) != 2 or not str(band[1]).strip():
            raise DomainError(
                "第%(i)s个等级：请填写最低得分率和等级名称。", params={"i": i + 1}, field="bands"
            )
        minimum = _decimal(band[0], "bands", lazy_text("第%(i)s个等级的最低得分率", {"i": i + 1}))
        if minimum is None or not 0 <= minimum <= 100:
            raise DomainError(
                "第%(i)s个等级的最低得分率须在0到100之间。", params={"i": i + 1}, field="bands"
            )
        out.append([float(minimum), str(band[1]).strip()])
    return out


@transaction.atomic
def element_add(
    *,
    actor: Any,
    scheme: Scheme,
    code: str,
    name: str,
    weight: Any,
    min_weight: Any = None,
    is_deduction: bool = False,
    scope_note: str = "",
    ordering: int = 0,
) -> Element:
    _require(actor, "change_scheme")
    _editable(scheme)
    if not code.strip() or not name.strip():
        raise DomainError("请填写要素代码和名称。", code="required", field="code")
    if scheme.elements.filter(code=code.strip()).exists():
        raise DomainError("要素代码在本方案中已存在。", code="duplicate", field="code")
    w = _decimal(weight, "weight", "权重")
    if w is None or w < 0 or w > 100:
        raise DomainError("权重须在0到100之间。", code="invalid", field="weight")
    return Element.objects.create(
        scheme=scheme,
        code=code.strip(),
        name=name.strip(),
        weight=w,
        min_weight=_decimal(min_weight, "min_weight", "最低权重"),
        is_deduction=is_deduction,
        scope_note=scope_note,
        ordering=ordering,
    )


def check_metric_use(kind: str, key: str, target: Decimal | None, zero_at: Decimal | None) -> None:
    """The rules of a metric in a scheme: never complaint volume; a direction that agrees with the
    metric's own; an unregistered key is accepted (its app may not be installed yet) and scores
    无数据 until it is."""
    if key in VOLUME_METRICS:
        raise DomainError(
            "投诉量不得作为考核指标（会导致压降登记、隐匿投诉）；请改用按时办结率、核查改变率、"
            "监管转办、溯源整改等指标。",
            code="volume_metric",
            field="metric_key",
        )
    if key and "." not in key:
        raise DomainError("取数指标须为“应用.指标”形式。", code="invalid", field="metric_key")
    if kind != IndicatorKind.AUTO:
        return
    if not key:
        raise DomainError("自动指标须选择取数指标。", code="required", field="metric_key")
    if target is None or zero_at is None:
        raise DomainError("自动指标须填写目标值和零分值。", code="required", field="target")
    if target == zero_at:
        raise DomainError("目标值与零分值不能相同。", code="invalid", field="zero_at")
    registered = metrics.registry().get(key)
    if registered is None:
        return
    if registered.higher_is_better is None:
        raise DomainError(
            "指标“%(metric)s”没有好坏方向，不能按数值高低评分。",
            params={"metric": registered.label},
            code="no_direction",
            field="metric_key",
        )
    if (target > zero_at) != registered.higher_is_better:
        raise DomainError(
            "指标“%(metric)s”越高越好，目标值与零分值的方向与之不符。"
            if registered.higher_is_better
            else "指标“%(metric)s”越低越好，目标值与零分值的方向与之不符。",
            params={"metric": registered.label},
            code="wrong_direction",
            field="target",
        )


@transaction.atomic
def indicator_add(*, actor: Any, scheme: Scheme, data: IndicatorData) -> Indicator:
    _require(actor, "change_scheme")
    _editable(scheme)
    code, name = data.code.strip(), data.name.strip()
    if not code or not name:
        raise DomainError(
            "请填写指标代码和名称。", code="required", field="code" if not code else "name"
        )
    if scheme.indicators.filter(code=code).exists():
        raise DomainError("指标代码在本方案中已存在。", code="duplicate", field="code")
    if data.kind not in IndicatorKind.values:
        raise DomainError("指标类型无效。", code="invalid", field="kind")
    if data.element is not None and data.element.scheme_id != scheme.pk:
        raise DomainError("评价要素不属于本方案。", code="invalid", field="element")
    target = _decimal(data.target, "target", "目标值")
    zero_at = _decimal(data.zero_at, "zero_at", "零分值")
    weight = _decimal(data.weight, "weight", "分值") or Decimal(0)
    per_event = _decimal(data.per_event, "per_event", "每次分值")
    cap = _decimal(data.cap, "cap", "封顶分值")
    check_metric_use(data.kind, data.metric_key.strip(), target, zero_at)
    if data.kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL) and weight <= 0:
        raise DomainError("请填写大于0的分值。", code="invalid", field="weight")
    if data.kind in (IndicatorKind.DEDUCTION, IndicatorKind.BONUS):
        if not data.metric_key.strip() and per_event is None:
            raise DomainError("扣分/加分项须填写每次分值。", code="required", field="per_event")
        if cap is None or cap <= 0:
            raise DomainError("扣分/加分项须设封顶分值。", code="required", field="cap")
    if data.normalisation not in Normalisation.values:
        raise DomainError("折算方式无效。", code="invalid", field="normalisation")
    return Indicator.objects.create(
        scheme=scheme,
        element=data.element,
        code=code,
        name=name,
        kind=data.kind,
        metric_key=data.metric_key.strip(),
        target=target,
        zero_at=zero_at,
        weight=weight if data.kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL) else Decimal(0),
        per_event=per_event,
        cap=cap,
        normalisation=data.normalisation,
        guidance=data.guidance,
        ordering=data.ordering,
    )


def scheme_problems(scheme: Scheme) -> list[Any]:
    """Why the scheme cannot be approved yet (empty when it can)."""
    problems = []
    scored = [
        i for i in scheme.indicators.all() if i.kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL)
    ]
    if not scored:
        problems.append(lazy_text("方案中没有计分指标。"))
    total = sum((i.weight for i in scored), Decimal(0))
    if scored and total != 100:
        problems.append(
            lazy_text("计分指标分值合计为%(total)s分，应为100分。", {"total": num(total)})
        )
    elements = [e for e in scheme.elements.all() if not e.is_deduction]
    if elements:
        weights = sum((e.weight for e in elements), Decimal(0))
        if weights != 100:
            problems.append(
                lazy_text("评价要素权重合计为%(weights)s%%，应为100%%。", {"weights": num(weights)})
            )
        for e in elements:
            if e.min_weight is not None and e.weight < e.min_weight:
                problems.append(
                    lazy_text(
                        "要素“%(element)s”权重%(weight)s%%低于最低权重%(min_weight)s%%。",
                        {
                            "element": e.name,
                            "weight": num(e.weight),
                            "min_weight": num(e.min_weight),
                        },
                    )
                )
            points = sum((i.weight for i in scored if i.element_id == e.pk), Decimal(0))
            if scored and points != e.weight:
                problems.append(
                    lazy_text(
                        "要素“%(element)s”下指标分值合计%(points)s分，与其权重%(weight)s%%不符。",
                        {"element": e.name, "points": num(points), "weight": num(e.weight)},
                    )
                )
    return problems


@transaction.atomic
def scheme_advance(*, actor: Any, scheme: Scheme, to: str, reason: str = "") -> Scheme:
    """Approve (senior management), publish (before the period) or retire a scheme."""
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    perm = "approve_scheme" if to == SchemeStatus.APPROVED else "change_scheme"
    _require(actor, perm)
    labels: dict[str, str] = {
        SchemeStatus.APPROVED: "审批",
        SchemeStatus.PUBLISHED: "发布",
        SchemeStatus.RETIRED: "停用",
        SchemeStatus.DRAFT: "退回修改",
    }
    if to == SchemeStatus.APPROVED:
        problems = scheme_problems(scheme)
        if problems:
            raise DomainError(lazy_list(problems, ""), code="invalid_scheme", field="indicators")
    before = _move(scheme, SCHEME_TRANSITIONS, to, labels.get(to, to))
    at = clock_now()
    if to == SchemeStatus.APPROVED:
        scheme.approved_by, scheme.approved_at = actor, at
    if to == SchemeStatus.PUBLISHED:
        scheme.published_at = at
    scheme.save()
    record_event(
        scheme, action=to, actor=actor, unit=_hq_unit(), from_status=before, to_status=to,
        reason=reason, action_label=f"{labels.get(to, to)}考核方案",
    )  # fmt: skip
    return scheme


@transaction.atomic
def scheme_load_regulator(
    *, actor: Any, year: int, scheme_year: int | None = None, with_examples: bool = True
) -> Scheme:
    """The regulator's element set of `year` (2021 or 2025) as a self-assessment scheme for
    `scheme_year`, with the shipped example indicators (marked as an example) when asked."""
    if year not in REGULATOR_YEARS:
        raise DomainError("仅提供2021年版和2025年版监管评价要素。", code="invalid", field="year")
    spec = json.loads((DATA / f"regulator_{year}.json").read_text(encoding="utf-8"))
    target_year = scheme_year or year
    examples = spec["example_indicators"] if with_examples else []
    scheme = scheme_create(
        actor=actor,
        data=SchemeData(
            code=f"{spec['code']}-{target_year}",
            name=f"{target_year}年度{spec['name']}自评估",
            year=target_year,
            kind=SchemeKind.REGULATOR,
            unit_kinds=(UnitKind.HEAD_OFFICE, UnitKind.BRANCH),
            bands=((90, "一级"), (75, "二级"), (60, "三级"), (0, "四级")),
            basis=spec["basis"],
            is_example=bool(examples),
        ),
    )
    elements = {}
    for i, e in enumerate(spec["elements"]):
        elements[e["code"]] = element_add(
            actor=actor,
            scheme=scheme,
            code=e["code"],
            name=e["name"],
            weight=e["weight"],
            min_weight=e.get("min_weight"),
            is_deduction=bool(e.get("is_deduction")),
            scope_note=e.get("scope_note", ""),
            ordering=i,
        )
    for i, ind in enumerate(examples):
        indicator_add(
            actor=actor,
            scheme=scheme,
            data=IndicatorData(
                code=ind["code"],
                name=ind["name"],
                kind=ind["kind"],
                weight=Decimal(str(ind["weight"])),
                element=elements[ind["element"]],
                metric_key=ind.get("metric_key", ""),
                target=ind.get("target"),
                zero_at=ind.get("zero_at"),
                normalisation=ind.get("normalisation", Normalisation.NONE),
                ordering=i,
            ),
        )
    return scheme


# --- runs -----------------------------------------------------------------------------------------


def units_assessed(scheme: Scheme, root: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            is_active=True, path__startswith=root.path, kind__in=scheme.unit_kinds
        ).order_by("path")
    )


def _normalised(indicator: Indicator, unit: Unit, value: Decimal) -> Decimal | None:
    if indicator.normalisation == Normalisation.PER_OUTLET:
        outlets = Unit.objects.filter(
            is_active=True, path__startswith=unit.path, kind=UnitKind.OUTLET
        ).count()
        return (value / outlets) if outlets else None
    if indicator.normalisation == Normalisation.PER_10K_CUSTOMERS:
        customers = (
            Unit.objects.filter(path__startswith=unit.path).aggregate(n=Sum("customer_count"))["n"]
            or 0
        )
        return (value * 10000 / customers) if customers else None
    return value


def _drill(registered: Any, unit: Unit, run: Run) -> str:
    """The records behind the figure (the metric's own drill-down), else the metric library at
    the same unit and period, which shows the figure's definition and value."""
    if registered is None:
        return ""
    url = registered.drill_url(unit=unit, first=run.first, last=run.last)
    if not url:
        from django.urls import reverse

        url = (
            f"{reverse('front:metrics')}?unit={unit.code}&first={run.first:%Y-%m-%d}"
            f"&last={run.last:%Y-%m-%d}#{registered.key}"
        )
    return url[:300]


def staff_assessed(scheme: Scheme, root: Unit) -> list[Any]:
    """Active staff in `root`'s subtree holding one of the scheme's staff roles."""
    if not scheme.staff_roles:
        return []
    from django.contrib.auth import get_user_model

    from xiaobao.organisation.roles import group_name

    groups = [group_name(role) for role in scheme.staff_roles]
    return list(
        get_user_model()
        .objects.filter(is_active=True, unit__path__startswith=root.path, groups__name__in=groups)
        .select_related("unit")
        .distinct()
        .order_by("unit__path", "username")
    )


def _fill(score: Score, indicator: Indicator, unit: Unit, run: Run) -> None:
    """An automatic figure for `unit` (a staff member's line reads the figure of the unit they
    work in: the registry counts units, not people)."""
    registered = metrics.registry().get(indicator.metric_key)
    raw = (
        registered.value(unit=unit, first=run.first, last=run.last)
        if registered is not None
        else None
    )
    score.value = Decimal(raw) if raw is not None else None
    basis = _normalised(indicator, unit, score.value) if score.value is not None else None
    score.basis = basis.quantize(Decimal("0.0001")) if basis is not None else None
    score.no_data = basis is None
    score.points = indicator_points(indicator, basis) if basis is not None else None
    score.drill_url = _drill(registered, unit, run)
    score.save()


def _snapshot(run: Run) -> None:
    """Read every automatic figure now, through the registry, and keep it on the run: one line
    per assessed unit, and one per staff member when the scheme assesses staff roles."""
    indicators = list(run.scheme.indicators.all())
    for unit in units_assessed(run.scheme, run.unit):
        for indicator in indicators:
            score, _created = Score.objects.get_or_create(
                run=run, unit=unit, staff=None, indicator=indicator
            )
            if indicator.metric_key:  # manual lines are kept as entered
                _fill(score, indicator, unit, run)
    for person in staff_assessed(run.scheme, run.unit):
        for indicator in indicators:
            score, _created = Score.objects.get_or_create(
                run=run, staff=person, indicator=indicator, defaults={"unit": person.unit}
            )
            if indicator.metric_key:
                _fill(score, indicator, person.unit, run)
    run.snapshot_at = clock_now()
    run.save(update_fields=["snapshot_at"])
    _totals(run)


def _totals(run: Run) -> None:
    """Totals, grades and ranks from the run's stored scores (never from live figures); units
    and staff are ranked separately."""
    bands = run.scheme.bands
    lines: dict[tuple[int, int | None], list[Score]] = {}
    for score in run.scores.select_related("indicator"):
        lines.setdefault((score.unit_id, score.staff_id), []).append(score)
    results: dict[bool, list[Result]] = {False: [], True: []}
    for (unit_id, staff_id), scores in lines.items():
        total, maximum, vetoed = Decimal(0), Decimal(0), False
        for s in scores:
            kind = s.indicator.kind
            if kind == IndicatorKind.VETO:
                vetoed = vetoed or bool(s.points and s.points > 0)
                continue
            if s.points is None:
                continue
            total += s.points
            if kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL):
                maximum += s.indicator.weight
        total = max(Decimal(0), total)
        percent = (total * 100 / maximum).quantize(Decimal("0.1")) if maximum else None
        if percent is not None:
            percent = min(percent, Decimal("100.0"))
        if staff_id is None:
            result, _ = Result.objects.get_or_create(run=run, unit_id=unit_id, staff=None)
        else:
            result, _ = Result.objects.get_or_create(
                run=run, staff_id=staff_id, defaults={"unit_id": unit_id}
            )
        result.total, result.maximum, result.percent = q2(total), maximum, percent
        result.vetoed = vetoed
        result.grade = grade_for(percent, bands, vetoed=vetoed)
        results[staff_id is not None].append(result)
    for group in results.values():
        ordered = sorted(
            group, key=lambda r: (r.vetoed, -(r.percent if r.percent is not None else Decimal(-1)))
        )
        previous, rank = None, 0
        for i, result in enumerate(ordered, start=1):
            key = (result.vetoed, result.percent)
            if key != previous:
                rank, previous = i, key
            result.rank = rank
            result.save()


@transaction.atomic
def run_create(
    *,
    actor: Any,
    scheme: Scheme,
    unit: Unit,
    label: str,
    first: date,
    last: date,
    corrects: Run | None = None,
    correction_reason: str = "",
) -> Run:
    """Open a period run and freeze its metric snapshot. The scheme must have been published
    before the period began (no formula moved mid-period)."""
    _require(actor, "add_run", unit)
    if not label.strip():
        raise DomainError("请填写期次名称。", code="required", field="label")
    if first > last:
        raise DomainError("期末不能早于期初。", code="invalid", field="last")
    if scheme.status != SchemeStatus.PUBLISHED or scheme.published_at is None:
        raise InvalidTransitionError("方案尚未发布，不能开展考核。", code="invalid_transition")
    if localdate(scheme.published_at) > first:
        raise DomainError(
            "方案须在考核期开始前发布；本期开始后发布的方案只能用于以后的期次。",
            code="published_late",
            field="first",
        )
    if not units_assessed(scheme, unit):
        raise DomainError("考核范围内没有适用的机构。", code="invalid", field="unit")
    run = Run.objects.create(
        scheme=scheme,
        unit=unit,
        label=label.strip(),
        first=first,
        last=last,
        corrects=corrects,
        correction_reason=correction_reason,
        created_by=actor,
        created_at=clock_now(),
    )
    _snapshot(run)
    record_event(
        run, action="create", actor=actor, unit=unit, to_status=run.status,
        reason=correction_reason, action_label="更正考核（新期次）" if corrects else "开展考核",
        data={"snapshot_at": run.snapshot_at.isoformat() if run.snapshot_at else ""},
    )  # fmt: skip
    return run


def _lock_run(run: Run) -> Run:
    return Run.objects.select_for_update().select_related("scheme", "unit").get(pk=run.pk)


@transaction.atomic
def run_refresh(*, actor: Any, run: Run) -> Run:
    """Take the snapshot again while the run is still being prepared; never afterwards."""
    run = _lock_run(run)
    _require(actor, "change_run", run.unit)
    if run.status != RunStatus.DRAFT:
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，取数已冻结，不能重新计算；如需更正请新建更正期次。",
            params={"status": choice_label(run, "status")},
            code="invalid_transition",
        )
    _snapshot(run)
    record_event(run, action="refresh", actor=actor, unit=run.unit, action_label="重新取数")
    return run


@transaction.atomic
def score_set(*, actor: Any, score: Score, points: Any, note: str = "") -> Score:
    """An evaluator's manual score (or a veto's 1 = triggered / 0 = not) while the run is prepared."""
    score = (
        Score.objects.select_for_update()
        .select_related("run", "indicator", "unit")
        .get(pk=score.pk)
    )
    _require(actor, "change_run", score.run.unit)
    if score.run.status != RunStatus.DRAFT:
        raise InvalidTransitionError(
            "考核已预览或定稿，不能再修改评分；请通过申诉。", code="invalid_transition"
        )
    indicator = score.indicator
    if indicator.metric_key:
        raise DomainError("该指标由系统取数，不能人工评分。", code="automatic", field="points")
    value = _decimal(points, "points", "得分")
    if value is None:
        raise DomainError("请填写得分。", code="required", field="points")
    if indicator.kind == IndicatorKind.VETO:
        if value not in (0, 1):
            raise DomainError(
                "一票否决项请填1（触发）或0（未触发）。", code="invalid", field="points"
            )
    elif indicator.kind == IndicatorKind.MANUAL:
        if not 0 <= value <= indicator.weight:
            raise DomainError(
                "得分须在0到%(points)s分之间。",
                params={"points": num(indicator.weight)},
                code="invalid",
                field="points",
            )
    else:
        cap = indicator.cap or Decimal(0)
        if not 0 <= value <= cap:
            raise DomainError(
                "须在0到封顶%(cap)s分之间。",
                params={"cap": num(cap)},
                code="invalid",
                field="points",
            )
        if indicator.kind == IndicatorKind.DEDUCTION:
            value = -value
    before = score.points
    score.points, score.note, score.entered_by, score.no_data = (
        q2(value),
        note.strip(),
        actor,
        False,
    )
    score.value = value
    score.save()
    _totals(score.run)
    record_event(
        score, action="score", actor=actor, unit=score.unit, reason=note,
        data={"before": str(before) if before is not None else None, "after": str(score.points)},
        action_label="人工评分",
    )  # fmt: skip
    return score


def missing_manual(run: Run) -> int:
    return run.scores.filter(indicator__metric_key="", points__isnull=True).count()


@transaction.atomic
def run_advance(*, actor: Any, run: Run, to: str, reason: str = "") -> Run:
    """Preview to the units, open the appeal window, finalise, lock."""
    run = _lock_run(run)
    _require(actor, "change_run", run.unit)
    labels: dict[str, str] = {
        RunStatus.PREVIEW: "发布预览",
        RunStatus.APPEAL: "开放申诉",
        RunStatus.FINAL: "定稿",
        RunStatus.LOCKED: "锁定",
        RunStatus.DRAFT: "退回重算",
    }
    if to == RunStatus.PREVIEW and missing_manual(run):
        raise DomainError(
            "尚有%(count)s项人工评分未录入。",
            params={"count": missing_manual(run)},
            code="incomplete",
            field="points",
        )
    if (
        to == RunStatus.FINAL
        and Appeal.objects.filter(score__run=run, status=AppealStatus.FILED).exists()
    ):
        raise InvalidTransitionError("尚有申诉未裁定，不能定稿。", code="invalid_transition")
    before = _move(run, RUN_TRANSITIONS, to, labels.get(to, to))
    if to == RunStatus.APPEAL:
        run.appeal_until = _today() + timedelta(days=conf.appeal_days())
    run.save()
    if to in (RunStatus.PREVIEW, RunStatus.APPEAL):
        _tell_units(run)
    record_event(
        run, action=to, actor=actor, unit=run.unit, from_status=before, to_status=to,
        reason=reason, action_label=labels.get(to, to),
    )  # fmt: skip
    return run


def _tell_units(run: Run) -> None:
    """Tell the staff who may appeal for each assessed unit that its results are out (preview)
    or that the appeal window is open, with the deadline."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    units = {r.unit_id: r.unit for r in run.results.filter(staff=None).select_related("unit")}
    staff = get_user_model().objects.filter(unit_id__in=units, is_active=True)
    for user in staff:
        if not user.has_perm("assessment.add_appeal"):
            continue
        if run.status == RunStatus.APPEAL:
            body = (
                f"{run.scheme.name}{run.label}已开放申诉，申诉截止日为"
                f"{run.appeal_until:%Y-%m-%d}；如对得分有异议，请在截止日前提出并附证据。"
            )
        else:
            body = f"{run.scheme.name}{run.label}的考核结果已发布预览，请核对本机构得分。"
        notify_record(
            recipients=[user],
            target=run,
            unit=units[user.unit_id],
            kind=NotificationKind.NOTICE,
            title=f"考核结果{'开放申诉' if run.status == RunStatus.APPEAL else '预览'}：{run.label}"[
                :200
            ],
            body=body,
            url=reverse("assessment:run", args=[run.pk]),
            dedupe_key=f"assessment.{run.status}:{run.pk}:{user.pk}",
            grouped=True,
        )


@transaction.atomic
def run_correct(*, actor: Any, run: Run, reason: str) -> Run:
    """A correction of a final or locked run: a new run (new snapshot, the manual scores carried
    over) with its reason; the original stays exactly as it was."""
    run = _lock_run(run)
    _require(actor, "add_run", run.unit)
    if not reason.strip():
        raise DomainError("请填写更正原因。", code="required", field="reason")
    if run.status not in (RunStatus.FINAL, RunStatus.LOCKED):
        raise InvalidTransitionError(
            "只有已定稿或已锁定的考核才能更正。", code="invalid_transition"
        )
    if run.scheme.status != SchemeStatus.PUBLISHED:
        raise InvalidTransitionError("方案已停用，不能更正。", code="invalid_transition")
    new = run_create(
        actor=actor,
        scheme=run.scheme,
        unit=run.unit,
        label=f"{run.label}（更正）",
        first=run.first,
        last=run.last,
        corrects=run,
        correction_reason=reason.strip(),
    )
    for old in run.scores.filter(indicator__metric_key="").exclude(points__isnull=True):
        Score.objects.filter(
            run=new, unit_id=old.unit_id, staff_id=old.staff_id, indicator_id=old.indicator_id
        ).update(
            points=old.points, value=old.value, note=old.note, entered_by=old.entered_by,
            no_data=False,
        )  # fmt: skip
    _totals(new)
    record_event(
        run, action="corrected", actor=actor, unit=run.unit, reason=reason.strip(),
        data={"correction": new.pk}, action_label="已更正（新期次）",
    )  # fmt: skip
    return new


# --- appeals --------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(
    *,
    actor: Any,
    score: Score,
    reason: str,
    requested_points: Any = None,
    upload: Any = None,
) -> Appeal:
    """A unit appeals one of its scores during the appeal window, with evidence if it has any."""
    score = Score.objects.select_related("run", "unit", "indicator").get(pk=score.pk)
    _require(actor, "add_appeal", score.unit)
    run = score.run
    if run.status != RunStatus.APPEAL:
        raise InvalidTransitionError("当前不在申诉期内。", code="invalid_transition")
    if run.appeal_until and _today() > run.appeal_until:
        raise InvalidTransitionError(
            "申诉期已于%(appeal_until)s截止。",
            params={"appeal_until": format(run.appeal_until, "%Y-%m-%d")},
            code="appeal_closed",
        )
    if not reason.strip():
        raise DomainError("请填写申诉理由。", code="required", field="reason")
    if Appeal.objects.filter(score=score, status=AppealStatus.FILED).exists():
        raise DomainError("该指标已有待裁定的申诉。", code="duplicate", field="reason")
    appeal = Appeal.objects.create(
        score=score,
        reason=reason.strip(),
        requested_points=_decimal(requested_points, "requested_points", "申请得分"),
        filed_by=actor,
        filed_at=clock_now(),
        points_before=score.points,
    )
    if upload is not None:
        from xiaobao.evidence.services import evidence_add

        evidence_add(actor=actor, target=appeal, unit=score.unit, upload=upload, label="申诉证据")
    record_event(
        appeal, action="file", actor=actor, unit=score.unit, to_status=appeal.status,
        reason=appeal.reason, action_label="提出申诉",
    )  # fmt: skip
    return appeal


@transaction.atomic
def appeal_decide(
    *, actor: Any, appeal: Appeal, upheld: bool, decision: str, points: Any = None
) -> Appeal:
    """The recorded decision; an upheld appeal changes that one score (and the totals, ranks)."""
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("score__run__scheme", "score__indicator", "score__unit")
        .get(pk=appeal.pk)
    )
    score = appeal.score
    _require(actor, "decide_appeal", score.run.unit)
    if score.run.status != RunStatus.APPEAL:
        raise InvalidTransitionError("考核已不在申诉期，不能裁定。", code="invalid_transition")
    if not decision.strip():
        raise DomainError("请填写裁定意见。", code="required", field="decision")
    to = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    before = _move(appeal, APPEAL_TRANSITIONS, to, "裁定")
    if upheld:
        new_points = _decimal(points, "points", "裁定后得分")
        if new_points is None:
            raise DomainError("申诉成立须填写裁定后得分。", code="required", field="points")
        ind = score.indicator
        low, high = (
            (Decimal(0), ind.weight)
            if ind.kind in (IndicatorKind.AUTO, IndicatorKind.MANUAL)
            else (-(ind.cap or Decimal(0)), ind.cap or Decimal(0))
        )
        if not low <= new_points <= high:
            raise DomainError(
                "裁定后得分须在%(low)s到%(high)s分之间。",
                params={"low": num(low), "high": num(high)},
                field="points",
            )
        Score.objects.filter(pk=score.pk).update(
            points=q2(new_points), note=f"申诉裁定：{decision.strip()}"
        )
        appeal.points_after = q2(new_points)
    else:
        appeal.points_after = score.points
    appeal.decision = decision.strip()
    appeal.decided_by, appeal.decided_at = actor, clock_now()
    appeal.save()
    _totals(score.run)
    record_event(
        appeal, action=to, actor=actor, unit=score.unit, from_status=before, to_status=to,
        reason=appeal.decision, action_label="裁定申诉",
        data={"before": str(appeal.points_before), "after": str(appeal.points_after)},
    )  # fmt: skip
    return appeal


# --- self-assessment ------------------------------------------------------------------------------


@transaction.atomic
def score_evidence_add(*, actor: Any, score: Score, upload: Any, label: str = "") -> Any:
    from xiaobao.evidence.services import evidence_add

    _require(actor, "change_run", score.unit)
    if score.run.status == RunStatus.LOCKED:
        raise InvalidTransitionError("考核已锁定，不能再添加证据。", code="invalid_transition")
    evidence = evidence_add(actor=actor, target=score, unit=score.unit, upload=upload, label=label)
    record_event(
        score, action="evidence", actor=actor, unit=score.unit, action_label="添加证据",
        data={"evidence": evidence.pk},
    )  # fmt: skip
    return evidence


@transaction.atomic
def gap_task(
    *, actor: Any, score: Score, title: str, due_date: date | None, owner_unit: Unit | None = None
) -> Any:
    """A self-assessment gap becomes a task in the task engine, its source the score."""
    from django.urls import reverse

    from xiaobao.plans.choices import TaskSourceKind
    from xiaobao.plans.services import task_create

    _require(actor, "change_run", score.unit)
    return task_create(
        actor=actor,
        source=score,
        source_kind=TaskSourceKind.SELF_ASSESSMENT_GAP,
        source_label=f"{score.run} · {score.indicator.name}"[:200],
        source_url=reverse("assessment:run", args=[score.run_id]) + f"?unit={score.unit_id}",
        issuing_unit=score.run.unit,
        owner_unit=owner_unit or score.unit,
        title=title,
        description=f"自评差距：{score.indicator.name}，得分{score.points if score.points is not None else '—'}"
        f"/{num(score.indicator.weight)}。{score.note}",
        due_date=due_date,
    )
