"""Writes of inspections: checklists, plans, visits, findings, examinations and meetings.

Every service: check the actor's right and scope → lock the row → check the transition (one
table per record, `choices.py`) → change → write one append-only event in the same transaction.
A refused request writes nothing. Findings are rectified through tasks on the shared engine.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from xiaobao.audit.services import record_event
from xiaobao.deadlines.engine import TZ
from xiaobao.evidence.models import EvidenceFile
from xiaobao.evidence.selectors import evidence_for
from xiaobao.evidence.services import evidence_add
from xiaobao.inspections import conf, scoring
from xiaobao.inspections.choices import (
    CHECKLIST_TRANSITIONS,
    EXAMINATION_TRANSITIONS,
    FINDING_TRANSITIONS,
    RECORDABLE,
    VISIT_TRANSITIONS,
    AppealDecision,
    ChecklistStatus,
    ComplaintProbeResult,
    ExaminationStatus,
    FindingSource,
    FindingStatus,
    Scenario,
    ScoringType,
    Severity,
    VisitKind,
    VisitStatus,
)
from xiaobao.inspections.models import (
    Checklist,
    ChecklistItem,
    CommonIssue,
    Examination,
    Finding,
    InspectionPlan,
    ItemResult,
    MeetingAttendance,
    ServiceMeeting,
    Visit,
)
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    choice_label,
    lazy_text,
)
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import unit_in_scope


def _active(user: Any) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")


def _require(user: Any, perm: str, unit: Unit | None) -> None:
    _active(user)
    if not user.has_perm(f"inspections.{perm}"):
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


def _event(obj: Model, action: str, label: str, actor: Any, unit: Unit, **kw: Any) -> None:
    record_event(obj, action=action, action_label=label, actor=actor, unit=unit, **kw)


def calendar() -> Any:
    """The deployed working calendar (holidays and 调休, with the administrators' overrides)."""
    from xiaobao.complaints.clock import current_calendar

    return current_calendar()


def _need(value: str, message: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code="required", field=name)
    return value


# --- checklists -----------------------------------------------------------------------------------


def _require_head_office(actor: Any, perm: str) -> Unit:
    """Checklists are the institution's shared templates: only head office maintains them."""
    _require(actor, perm, None)
    root = Unit.objects.get(parent__isnull=True)
    if actor.unit_id != root.pk:
        raise PermissionDeniedError("检查清单由总行统一维护。", code="head_office_only")
    return root


@dataclass
class ItemData:
    section: str
    code: str
    text: str
    scoring_type: str
    points: Decimal | int | str
    scale_max: int = 0
    deduction: Decimal | int | str = 0
    severity: str = Severity.LOW
    red_line: bool = False
    evidence_on_failure: bool = True


@transaction.atomic
def checklist_create(
    *,
    actor: Any,
    code: str,
    name: str,
    items: Sequence[ItemData],
    previous: Checklist | None = None,
) -> Checklist:
    """A checklist version in draft; a new version of `previous` keeps item codes comparable."""
    root = _require_head_office(actor, "add_checklist")
    code = _need(code, "请填写清单代码。", "code")
    name = _need(name, "请填写清单名称。", "name")
    if previous is not None and previous.code != code:
        raise DomainError("新版本须沿用原清单代码。", code="invalid", field="code")
    if not items:
        raise DomainError("清单至少需要一个检查项目。", code="required", field="items")
    seen: set[str] = set()
    for i, it in enumerate(items, 1):
        where = lazy_text("第%(i)s项", {"i": i})
        if not it.code.strip() or not it.text.strip() or not it.section.strip():
            raise DomainError(
                "%(where)s：请填写章节、项目代码和检查内容。",
                params={"where": where},
                field="items",
            )
        if it.code.strip() in seen:
            raise DomainError(
                "%(where)s：项目代码“%(code)s”重复。",
                params={"where": where, "code": it.code},
                field="items",
            )
        seen.add(it.code.strip())
        if it.scoring_type not in ScoringType.values:
            raise DomainError("%(where)s：评分方式无效。", params={"where": where}, field="items")
        if it.severity not in Severity.values:
            raise DomainError("%(where)s：严重程度无效。", params={"where": where}, field="items")
        if Decimal(str(it.points)) <= 0:
            raise DomainError("%(where)s：分值须大于零。", params={"where": where}, field="items")
        if it.scoring_type == ScoringType.SCALE and it.scale_max < 1:
            raise DomainError(
                "%(where)s：分档评分须填写分档上限。", params={"where": where}, field="items"
            )
        if it.scoring_type == ScoringType.DEDUCTION and Decimal(str(it.deduction)) <= 0:
            raise DomainError(
                "%(where)s：按次扣分须填写每次扣分。", params={"where": where}, field="items"
            )
    last = Checklist.objects.filter(code=code).order_by("-version").first()
    if previous is None and last is not None:
        raise DomainError(
            "该清单代码已存在，请在原清单上创建新版本。", code="duplicate", field="code"
        )
    now = clock_now()
    checklist = Checklist.objects.create(
        code=code,
        name=name,
        version=(last.version + 1) if last else 1,
        previous=previous,
        created_at=now,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            section=it.section.strip(),
            code=it.code.strip(),
            text=it.text.strip(),
            scoring_type=it.scoring_type,
            points=Decimal(str(it.points)),
            scale_max=it.scale_max,
            deduction=Decimal(str(it.deduction)),
            severity=it.severity,
            red_line=it.red_line,
            evidence_on_failure=it.evidence_on_failure,
            ordering=i,
        )
        for i, it in enumerate(items, 1)
    )
    _event(checklist, "create", "创建", actor, root, to_status=checklist.status, at=now)
    return checklist


@transaction.atomic
def checklist_activate(*, actor: Any, checklist: Checklist) -> Checklist:
    """Put a version in use; the version it replaces is retired."""
    root = _require_head_office(actor, "change_checklist")
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    before = _move(checklist, CHECKLIST_TRANSITIONS, ChecklistStatus.ACTIVE, "启用")
    checklist.save(update_fields=["status"])
    _event(
        checklist, "activate", "启用", actor, root, from_status=before, to_status=checklist.status
    )
    for old in (
        Checklist.objects.select_for_update()
        .filter(code=checklist.code, status=ChecklistStatus.ACTIVE)
        .exclude(pk=checklist.pk)
    ):
        old.status = ChecklistStatus.RETIRED
        old.save(update_fields=["status"])
        _event(old, "retire", "停用", actor, root, from_status="active", to_status="retired")
    return checklist


# --- plans and assignment -------------------------------------------------------------------------


def check_inspector(inspector: Any, outlet: Unit) -> None:
    """An inspector never inspects their own unit (the outlet they work at, or one above them)."""
    own = getattr(inspector, "unit", None)
    if inspector is None or not getattr(inspector, "is_active", False):
        raise DomainError("请选择检查人。", code="required", field="inspector")
    if not inspector.has_perm("inspections.record_visit"):
        raise DomainError("该员工没有录入检查结果的权限。", code="invalid", field="inspector")
    if own is not None and own.path.startswith(outlet.path):
        raise DomainError("检查人不能检查本人所在机构。", code="own_unit", field="inspector")


def outlets_under(unit: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            path__startswith=unit.path, kind=UnitKind.OUTLET, is_active=True
        ).order_by("path")
    )


@dataclass
class PlanData:
    name: str
    kind: str
    unit: Unit
    checklist: Checklist
    starts_on: date
    ends_on: date
    visits_per_outlet: int = 1
    window_days: int = 14
    unannounced: bool = True
    vendor_name: str = ""


@transaction.atomic
def plan_create(*, actor: Any, data: PlanData) -> InspectionPlan:
    _require(actor, "add_inspectionplan", data.unit)
    name = _need(data.name, "请填写计划名称。", "name")
    if data.kind not in VisitKind.values:
        raise DomainError("请选择检查方式。", code="invalid", field="kind")
    if data.ends_on < data.starts_on:
        raise DomainError("结束日期不能早于开始日期。", code="invalid", field="ends_on")
    if data.checklist.status != ChecklistStatus.ACTIVE:
        raise DomainError("只能选用在用的检查清单。", code="invalid", field="checklist")
    if not 1 <= data.visits_per_outlet <= 52:
        raise DomainError(
            "每个网点检查次数须在1—52之间。", code="invalid", field="visits_per_outlet"
        )
    if not 1 <= data.window_days <= 90:
        raise DomainError("暗访窗口须在1—90天之间。", code="invalid", field="window_days")
    now = clock_now()
    plan = InspectionPlan.objects.create(
        name=name,
        kind=data.kind,
        unit=data.unit,
        checklist=data.checklist,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        visits_per_outlet=data.visits_per_outlet,
        window_days=data.window_days,
        unannounced=data.unannounced,
        vendor_name=data.vendor_name.strip(),
        created_by=actor,
        created_at=now,
    )
    _event(plan, "create", "创建", actor, plan.unit, at=now)
    return plan


def sample_windows(plan: InspectionPlan, k: int, rng: random.Random) -> list[tuple[date, date]]:
    """k random windows, one in each k-th of the period so an outlet cannot guess the next."""
    span = (plan.ends_on - plan.starts_on).days + 1
    width = min(plan.window_days, span)
    out = []
    for i in range(k):
        lo = plan.starts_on + timedelta(days=span * i // k)
        hi = plan.starts_on + timedelta(days=span * (i + 1) // k - 1)
        latest = max(lo, hi - timedelta(days=width - 1))
        start = lo + timedelta(days=rng.randint(0, (latest - lo).days))
        out.append((start, min(plan.ends_on, start + timedelta(days=width - 1))))
    return out


@transaction.atomic
def plan_schedule(
    *, actor: Any, plan: InspectionPlan, inspectors: Sequence[Any], seed: int | None = None
) -> list[Visit]:
    """Apply the sampling rule: every outlet in scope k times in random windows, each visit given
    to an inspector who does not work there (round robin)."""
    _require(actor, "add_visit", plan.unit)
    if not inspectors:
        raise DomainError("请选择检查人。", code="required", field="inspectors")
    if plan.visits.exists():
        raise DomainError("该计划已经排定检查。", code="duplicate", field="plan")
    rng = random.Random(seed)
    now = clock_now()
    created: list[Visit] = []
    turn = 0
    for outlet in outlets_under(plan.unit):
        for start, end in sample_windows(plan, plan.visits_per_outlet, rng):
            for attempt in range(len(inspectors)):
                candidate = inspectors[(turn + attempt) % len(inspectors)]
                try:
                    check_inspector(candidate, outlet)
                except DomainError:
                    continue
                turn += attempt + 1
                break
            else:
                raise DomainError(
                    "没有可检查%(outlet)s的检查人（检查人不能检查本人所在机构）。",
                    params={"outlet": outlet.name},
                    code="own_unit",
                    field="inspectors",
                )
            visit = Visit.objects.create(
                plan=plan,
                checklist=plan.checklist,
                kind=plan.kind,
                scenario=Scenario.GENERAL,
                outlet=outlet,
                inspector=candidate,
                window_start=start,
                window_end=end,
                created_by=actor,
                created_at=now,
            )
            _event(visit, "schedule", "排定检查", actor, outlet, to_status=visit.status, at=now)
            created.append(visit)
    return created


@transaction.atomic
def visit_create(
    *,
    actor: Any,
    outlet: Unit,
    kind: str,
    scenario: str,
    checklist: Checklist,
    inspector: Any = None,
    plan: InspectionPlan | None = None,
    window_start: date | None = None,
    window_end: date | None = None,
) -> Visit:
    """An ad-hoc visit (the inspector who records it, unless another is assigned)."""
    inspector = inspector or actor
    _active(actor)
    if not (actor.has_perm("inspections.add_visit") or actor.has_perm("inspections.record_visit")):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if inspector.pk != actor.pk:
        _require(actor, "add_visit", outlet)
    if outlet.kind != UnitKind.OUTLET:
        raise DomainError("受检机构须为网点。", code="invalid", field="outlet")
    if kind not in VisitKind.values:
        raise DomainError("请选择检查方式。", code="invalid", field="kind")
    if scenario not in Scenario.values:
        raise DomainError("请选择场景。", code="invalid", field="scenario")
    if checklist.status != ChecklistStatus.ACTIVE:
        raise DomainError("只能选用在用的检查清单。", code="invalid", field="checklist")
    check_inspector(inspector, outlet)
    now = clock_now()
    visit = Visit.objects.create(
        plan=plan,
        checklist=checklist,
        kind=kind,
        scenario=scenario,
        outlet=outlet,
        inspector=inspector,
        window_start=window_start,
        window_end=window_end,
        created_by=actor,
        created_at=now,
    )
    _event(visit, "create", "创建检查", actor, outlet, to_status=visit.status, at=now)
    return visit


def _lock(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("outlet", "checklist", "inspector")
        .get(pk=visit.pk)
    )


@transaction.atomic
def visit_assign(*, actor: Any, visit: Visit, inspector: Any) -> Visit:
    _require(actor, "add_visit", visit.outlet)
    visit = _lock(visit)
    if visit.status not in RECORDABLE:
        raise InvalidTransitionError("已提交的检查不能更换检查人。", code="invalid_transition")
    check_inspector(inspector, visit.outlet)
    before = visit.inspector_id
    visit.inspector = inspector
    visit.save(update_fields=["inspector"])
    _event(
        visit,
        "assign",
        "指派检查人",
        actor,
        visit.outlet,
        data={"from": before, "to": inspector.pk},
    )
    return visit


def _require_inspector(actor: Any, visit: Visit) -> None:
    _active(actor)
    if not actor.has_perm("inspections.record_visit") or visit.inspector_id != actor.pk:
        raise PermissionDeniedError("只有指派的检查人可以录入该检查。", code="permission_denied")


def _items(visit: Visit) -> dict[str, ChecklistItem]:
    return {i.code: i for i in visit.checklist.items.all()}


def rescore(visit: Visit) -> scoring.Score:
    """Recompute and store the visit's score from its stored item results."""
    results = [(r.item, r.value) for r in visit.results.select_related("item")]
    score = scoring.compute(results)
    visit.score, visit.red_line_failed = score.score, score.red_line_failed
    visit.save(update_fields=["score", "red_line_failed"])
    return score


@dataclass
class RecordData:
    results: Mapping[str, tuple[str, str]]  # item code → (value, note)
    visited_at: datetime | None = None
    scenario: str = ""
    summary: str = ""
    test_complaint: bool = False
    test_complaint_at: datetime | None = None
    test_complaint_keyword: str = ""


def _evidence_unit(actor: Any, visit: Visit) -> Unit:
    # Photos belong to the outlet when the inspector's scope covers it, else to the inspector's unit.
    return visit.outlet if unit_in_scope(actor, visit.outlet) else actor.unit


@transaction.atomic
def visit_record(
    *, actor: Any, visit: Visit, data: RecordData, photos: Iterable[Any] = ()
) -> Visit:
    """The assigned inspector records (or corrects) the results; the score follows from them."""
    _require_inspector(actor, visit)
    visit = _lock(visit)
    if visit.status not in RECORDABLE:
        raise InvalidTransitionError(
            "检查状态为“%(status)s”，不能再修改结果。",
            params={"status": choice_label(visit, "status")},
            code="invalid_transition",
        )
    items = _items(visit)
    clean: dict[str, tuple[str, str]] = {}
    for code, (value, note) in data.results.items():
        item = items.get(code)
        if item is None:
            raise DomainError(
                "项目代码“%(code)s”不在该检查清单中。",
                params={"code": code},
                code="invalid",
                field="results",
            )
        try:
            clean[code] = (scoring.check_value(item, value), (note or "").strip()[:300])
        except ValueError as exc:
            raise DomainError(
                "%(item)s：%(problem)s",
                params={"item": f"{item.code} {item.text}", "problem": lazy_text(exc.args[0])},
                code="invalid",
                field="results",
            ) from exc
    now = clock_now()
    visited_at = data.visited_at or visit.visited_at or now
    if visited_at > now:
        raise DomainError("检查时间不能晚于现在。", code="invalid", field="visited_at")
    if data.scenario and data.scenario not in Scenario.values:
        raise DomainError("请选择场景。", code="invalid", field="scenario")
    if data.test_complaint:
        if visit.kind != VisitKind.MYSTERY:
            raise DomainError(
                "只有神秘人暗访可以进行测试投诉。", code="invalid", field="test_complaint"
            )
        if data.test_complaint_at is None:
            raise DomainError("请填写测试投诉时间。", code="required", field="test_complaint_at")
        if data.test_complaint_at > now:
            raise DomainError(
                "测试投诉时间不能晚于现在。", code="invalid", field="test_complaint_at"
            )
    for code, (value, note) in clean.items():
        ItemResult.objects.update_or_create(
            visit=visit, item=items[code], defaults={"value": value, "note": note}
        )
    before = visit.status
    if visit.status == VisitStatus.PLANNED:
        _move(visit, VISIT_TRANSITIONS, VisitStatus.DRAFT, "开始录入")
    visit.visited_at = visited_at
    visit.scenario = data.scenario or visit.scenario
    visit.summary = data.summary.strip()
    visit.test_complaint = data.test_complaint
    visit.test_complaint_at = data.test_complaint_at if data.test_complaint else None
    visit.test_complaint_keyword = (
        data.test_complaint_keyword.strip() if data.test_complaint else ""
    )
    visit.save()
    score = rescore(visit)
    _event(
        visit,
        "record",
        "录入检查结果",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        data={"items": len(clean), "score": str(score.score)},
        at=now,
    )
    for upload in photos:
        evidence_add(actor=actor, target=visit, unit=_evidence_unit(actor, visit), upload=upload)
    return visit


@transaction.atomic
def visit_add_evidence(*, actor: Any, visit: Visit, upload: Any, label: str = "") -> EvidenceFile:
    _require_inspector(actor, visit)
    visit = _lock(visit)
    if visit.status not in RECORDABLE:
        raise InvalidTransitionError("已提交的检查不能再添加照片。", code="invalid_transition")
    return evidence_add(
        actor=actor, target=visit, unit=_evidence_unit(actor, visit), upload=upload, label=label
    )


def failed_results(visit: Visit) -> list[ItemResult]:
    return [
        r
        for r in visit.results.select_related("item").order_by("item__ordering")
        if not r.overturned and scoring.failed(r.item, r.value)
    ]


@transaction.atomic
def visit_submit(*, actor: Any, visit: Visit) -> Visit:
    """Send the results to the consumer-protection office: every item answered, and a photo for
    every failure that needs evidence."""
    _require_inspector(actor, visit)
    visit = _lock(visit)
    if VisitStatus.SUBMITTED not in VISIT_TRANSITIONS.get(visit.status, frozenset()):
        _move(visit, VISIT_TRANSITIONS, VisitStatus.SUBMITTED, "提交")
    answered = set(visit.results.values_list("item__code", flat=True))
    missing = [c for c in _items(visit) if c not in answered]
    if missing:
        raise DomainError(
            "还有%(count)s个检查项目未录入结果（%(item)s等）。",
            params={"count": len(missing), "item": missing[0]},
            code="incomplete",
            field="results",
        )
    need = sum(1 for r in failed_results(visit) if r.item.evidence_on_failure)
    photos = sum(1 for f in evidence_for(visit) if f.is_image)
    if need and photos < conf.min_photos_on_failure():
        raise DomainError(
            "不达标项目须附现场照片后才能提交。", code="evidence_required", field="evidence"
        )
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.SUBMITTED, "提交")
    visit.submitted_at = clock_now()
    visit.save(update_fields=["status", "submitted_at"])
    rescore(visit)
    _event(
        visit, "submit", "提交审核", actor, visit.outlet, from_status=before, to_status=visit.status
    )
    return visit


@transaction.atomic
def visit_return(*, actor: Any, visit: Visit, reason: str) -> Visit:
    _require(actor, "review_visit", visit.outlet)
    reason = _need(reason, "请填写退回原因。", "reason")
    visit = _lock(visit)
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.RETURNED, "退回")
    visit.return_reason = reason
    visit.save(update_fields=["status", "return_reason"])
    _event(
        visit,
        "return",
        "退回",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        reason=reason,
    )
    return visit


def _new_finding(
    visit: Visit, result: ItemResult | None, *, source: str, title: str, severity: str
) -> Finding:
    now = clock_now()
    item = result.item if result is not None else None
    earlier = Finding.objects.filter(
        unit=visit.outlet,
        item_code=item.code if item else "",
        found_on__gte=timezone.localdate(now) - timedelta(days=365),
        source=source,
    ).exclude(status=FindingStatus.WITHDRAWN)
    return Finding.objects.create(
        source=source,
        visit=visit,
        item=item,
        item_code=item.code if item else "",
        unit=visit.outlet,
        issuing_unit=visit.reviewed_by.unit if visit.reviewed_by else visit.created_by.unit,
        title=title[:300],
        severity=severity,
        repeat=earlier.exists(),
        found_on=timezone.localdate(visit.visited_at or now),
        created_at=now,
    )


@transaction.atomic
def visit_publish(*, actor: Any, visit: Visit) -> Visit:
    """The office accepts the results and publishes them to the outlet; the appeal window starts
    (working days) and each failed item becomes a finding awaiting confirmation."""
    _require(actor, "review_visit", visit.outlet)
    visit = _lock(visit)
    if visit.inspector_id == actor.pk:
        raise PermissionDeniedError("不能审核本人录入的检查。", code="own_record")
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.PUBLISHED, "发布")
    now = clock_now()
    visit.reviewed_by = actor
    visit.published_at = now
    visit.appeal_due = calendar().add_workdays(timezone.localdate(now), conf.appeal_workdays())
    visit.return_reason = ""
    visit.save(
        update_fields=["status", "reviewed_by", "published_at", "appeal_due", "return_reason"]
    )
    rescore(visit)
    for result in failed_results(visit):
        _new_finding(
            visit,
            result,
            source=FindingSource.ITEM,
            title=f"{result.item.text}" + (f"（{result.note}）" if result.note else ""),
            severity=Severity.HIGH if result.item.red_line else result.item.severity,
        )
    if visit.test_complaint and not visit.test_complaint_result:
        visit.test_complaint_result = ComplaintProbeResult.PENDING
        visit.save(update_fields=["test_complaint_result"])
    _event(
        visit,
        "publish",
        "审核发布",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        data={"appeal_due": visit.appeal_due.isoformat(), "score": str(visit.score)},
        at=now,
    )
    _notify_outlet(visit, now)
    return visit


def _notify_outlet(visit: Visit, now: datetime) -> None:
    from xiaobao.organisation.models import User
    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    staff = [
        u
        for u in User.objects.filter(unit=visit.outlet, is_active=True)
        if u.has_perm("inspections.appeal_visit")
    ]
    if staff:
        notify_record(
            recipients=staff,
            target=visit,
            unit=visit.outlet,
            kind=NotificationKind.REMINDER,
            title=f"服务检查结果已发布：{visit.outlet.name}"[:200],
            body=f"得分{visit.score}；如有异议请于{visit.appeal_due:%Y-%m-%d}前提出申诉。",
            url=reverse("inspections:visit", args=[visit.pk]),
            dedupe_key=f"inspections.publish:{visit.pk}",
            now=now,
        )


@transaction.atomic
def visit_appeal(*, actor: Any, visit: Visit, reason: str, items: Sequence[str] = ()) -> Visit:
    """The outlet contests the published results within the window (working days)."""
    _require(actor, "appeal_visit", visit.outlet)
    reason = _need(reason, "请填写申诉理由。", "reason")
    visit = _lock(visit)
    if (
        visit.status == VisitStatus.PUBLISHED
        and visit.appeal_due
        and (timezone.localdate(clock_now()) > visit.appeal_due)
    ):
        raise InvalidTransitionError(
            "申诉期已于%(appeal_due)s届满，不能再申诉。",
            params={"appeal_due": format(visit.appeal_due, "%Y-%m-%d")},
            code="appeal_closed",
        )
    codes = set(_items(visit))
    unknown = [c for c in items if c not in codes]
    if unknown:
        raise DomainError(
            "项目代码“%(unknown)s”不在该检查清单中。",
            params={"unknown": unknown[0]},
            code="invalid",
            field="items",
        )
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.APPEALED, "申诉")
    visit.appeal_text = reason
    visit.appeal_items = list(dict.fromkeys(items))
    visit.appealed_at = clock_now()
    visit.save(update_fields=["status", "appeal_text", "appeal_items", "appealed_at"])
    _event(
        visit,
        "appeal",
        "申诉",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        reason=reason,
    )
    return visit


@transaction.atomic
def visit_decide_appeal(
    *,
    actor: Any,
    visit: Visit,
    decision: str,
    reply: str,
    overturn: Mapping[str, str] | None = None,
) -> Visit:
    """The office answers the appeal; items it overturns are re-scored and their findings
    withdrawn; the visit becomes final and the remaining findings go to rectification."""
    _require(actor, "review_visit", visit.outlet)
    reply = _need(reply, "请填写申诉答复。", "reply")
    if decision not in AppealDecision.values:
        raise DomainError("请选择申诉结论。", code="invalid", field="decision")
    overturn = dict(overturn or {})
    if decision == AppealDecision.REJECTED and overturn:
        raise DomainError("申诉不成立时不能改判项目。", code="invalid", field="overturn")
    if decision != AppealDecision.REJECTED and not overturn:
        raise DomainError("申诉成立时请填写改判的项目。", code="required", field="overturn")
    visit = _lock(visit)
    if visit.status != VisitStatus.APPEALED:
        _move(visit, {}, VisitStatus.FINAL, "答复申诉")
    items = _items(visit)
    for code, value in overturn.items():
        item = items.get(code)
        if item is None:
            raise DomainError(
                "项目代码“%(code)s”不在该检查清单中。",
                params={"code": code},
                code="invalid",
                field="overturn",
            )
        try:
            clean = scoring.check_value(item, value)
        except ValueError as exc:
            raise DomainError(
                "%(item)s：%(problem)s",
                params={"item": code, "problem": lazy_text(exc.args[0])},
                code="invalid",
                field="overturn",
            ) from exc
        ItemResult.objects.filter(visit=visit, item=item).update(value=clean, overturned=True)
        if not scoring.failed(item, clean):
            for finding in visit.findings.select_for_update().filter(
                item=item, status=FindingStatus.PENDING
            ):
                _finding_move(finding, FindingStatus.WITHDRAWN, actor, "申诉成立撤销", reason=reply)
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.FINAL, "答复申诉")
    visit.appeal_decision = decision
    visit.appeal_reply = reply
    visit.save(update_fields=["status", "appeal_decision", "appeal_reply"])
    rescore(visit)
    _event(
        visit,
        "decide_appeal",
        "答复申诉",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        reason=reply,
        data={"decision": decision, "overturn": overturn, "score": str(visit.score)},
    )
    _open_findings(actor, visit)
    return visit


@transaction.atomic
def visit_finalise(*, actor: Any, visit: Visit, now: datetime | None = None) -> Visit:
    """After the appeal window closes without an appeal, the results are final."""
    _require(actor, "review_visit", visit.outlet)
    visit = _lock(visit)
    now = now or clock_now()
    if (
        visit.status == VisitStatus.PUBLISHED
        and visit.appeal_due
        and (timezone.localdate(now) <= visit.appeal_due)
    ):
        raise InvalidTransitionError(
            "申诉期至%(appeal_due)s，届满后方可定稿。",
            params={"appeal_due": format(visit.appeal_due, "%Y-%m-%d")},
            code="appeal_open",
        )
    before = _move(visit, VISIT_TRANSITIONS, VisitStatus.FINAL, "定稿")
    visit.save(update_fields=["status"])
    _event(
        visit,
        "finalise",
        "申诉期满定稿",
        actor,
        visit.outlet,
        from_status=before,
        to_status=visit.status,
        at=now,
    )
    _open_findings(actor, visit)
    return visit


def visits_finalise_due(*, now: datetime) -> int:
    """Periodic: finalise every published visit whose appeal window has closed (its reviewer acts)."""
    count = 0
    today = timezone.localdate(now)
    for visit in Visit.objects.filter(
        status=VisitStatus.PUBLISHED, appeal_due__lt=today
    ).select_related("reviewed_by"):
        if visit.reviewed_by is None or not visit.reviewed_by.is_active:
            continue
        visit_finalise(actor=visit.reviewed_by, visit=visit, now=now)
        count += 1
    return count


# --- findings -------------------------------------------------------------------------------------


def _finding_move(
    finding: Finding, to: str, actor: Any, label: str, reason: str = "", at: datetime | None = None
) -> None:
    before = _move(finding, FINDING_TRANSITIONS, to, label)
    finding.save()
    _event(
        finding,
        to,
        label,
        actor,
        finding.unit,
        from_status=before,
        to_status=to,
        reason=reason,
        at=at,
    )


def _outlet_contact(unit: Unit) -> Any:
    """Who reports the rectification: the unit's head if it has one, else a member of staff who
    may answer for its inspections (an outlet without such an account reports through the office)."""
    from xiaobao.organisation.choices import Role
    from xiaobao.organisation.models import User
    from xiaobao.organisation.roles import group_name

    staff = list(User.objects.filter(unit=unit, is_active=True).order_by("pk"))
    for person in staff:
        if person.groups.filter(name=group_name(Role.UNIT_HEAD)).exists():
            return person
    return next((p for p in staff if p.has_perm("inspections.appeal_visit")), None)


def _open_finding(actor: Any, finding: Finding, due_date: date | None = None) -> Finding:
    """PENDING → OPEN: the rectification task is created on the shared engine."""
    from xiaobao.plans.choices import TaskSourceKind
    from xiaobao.plans.services import task_create

    due = due_date or calendar().add_workdays(
        timezone.localdate(clock_now()), conf.finding_workdays()
    )
    finding.due_date = due
    task = task_create(
        actor=actor,
        source=finding,
        source_kind=TaskSourceKind.INSPECTION_FINDING,
        source_label=f"服务检查发现问题：{finding.title}"[:200],
        source_url=reverse("inspections:finding", args=[finding.pk]),
        issuing_unit=finding.issuing_unit,
        owner_unit=finding.unit,
        responsible=_outlet_contact(finding.unit),
        title=f"整改：{finding.title}"[:200],
        description=("重复发生的问题。" if finding.repeat else ""),
        due_date=due,
    )
    finding.task = task
    _finding_move(finding, FindingStatus.OPEN, actor, "下达整改")
    return finding


def _open_findings(actor: Any, visit: Visit) -> None:
    codes = set()
    for finding in visit.findings.select_for_update().filter(status=FindingStatus.PENDING):
        if finding.issuing_unit_id != actor.unit_id and unit_in_scope(actor, finding.unit):
            finding.issuing_unit = actor.unit
        _open_finding(actor, finding)
        if finding.item_code:
            codes.add(finding.item_code)
    for code in sorted(codes):
        raise_common_issue(actor=actor, item_code=code)


def raise_common_issue(*, actor: Any, item_code: str) -> CommonIssue | None:
    """The same item failing at `conf.common_issue_outlets()` outlets within a year raises one
    task for the head office's process owner (once, while that task is open)."""
    from xiaobao.plans.choices import OPEN_TASK_STATUSES, TaskSourceKind
    from xiaobao.plans.services import task_create

    since = timezone.localdate(clock_now()) - timedelta(days=365)
    findings = Finding.objects.filter(
        item_code=item_code, source=FindingSource.ITEM, found_on__gte=since
    ).exclude(status__in=(FindingStatus.WITHDRAWN, FindingStatus.PENDING))
    outlets = findings.values("unit").distinct().count()
    if outlets < conf.common_issue_outlets():
        return None
    if CommonIssue.objects.filter(
        item_code=item_code, task__status__in=OPEN_TASK_STATUSES
    ).exists():
        return None
    root = Unit.objects.get(parent__isnull=True)
    item = ChecklistItem.objects.filter(code=item_code).order_by("-checklist__version").first()
    text = item.text if item else item_code
    now = clock_now()
    issue = CommonIssue.objects.create(
        unit=root, item_code=item_code, item_text=text[:300], outlets=outlets, created_at=now
    )
    issue.task = task_create(
        actor=actor,
        source=issue,
        source_kind=TaskSourceKind.INSPECTION_FINDING,
        source_label=f"共性问题：{text}"[:200],
        source_url=reverse("inspections:index"),
        issuing_unit=actor.unit,
        owner_unit=root,
        title=f"流程整改（{outlets}家网点同一问题）：{text}"[:200],
        description="同一检查项目在多家网点不达标，请总行流程牵头部门从制度和流程上整改。",
        due_date=calendar().add_workdays(timezone.localdate(now), conf.finding_workdays()),
    )
    issue.save(update_fields=["task"])
    findings.update(common_issue=issue)
    _event(
        issue, "create", "共性问题立项", actor, root, data={"outlets": outlets, "item": item_code}
    )
    return issue


def _lock_finding(finding: Finding) -> Finding:
    return (
        Finding.objects.select_for_update(of=("self",))
        .select_related("task", "unit")
        .get(pk=finding.pk)
    )


@transaction.atomic
def finding_submit(*, actor: Any, finding: Finding, note: str, files: Sequence[Any]) -> Finding:
    """The outlet reports the rectification done, with evidence (at least one file)."""
    from xiaobao.plans.services import task_submit

    finding = _lock_finding(finding)
    _active(actor)
    if (
        not unit_in_scope(actor, finding.unit)
        and finding.task
        and finding.task.responsible_id != actor.pk
    ):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")
    if finding.status != FindingStatus.OPEN:
        _move(finding, FINDING_TRANSITIONS, FindingStatus.SUBMITTED, "报送整改")
    if not files:
        raise DomainError("请上传整改证明材料。", code="evidence_required", field="files")
    assert finding.task is not None
    # The finding follows its task through `finding_task_changed`.
    task_submit(actor=actor, task=finding.task, note=note, files=files)
    return _lock_finding(finding)


@transaction.atomic
def finding_accept(*, actor: Any, finding: Finding, note: str = "") -> Finding:
    """The issuing office accepts the evidence: only now is the finding closed."""
    from xiaobao.plans.services import task_accept

    finding = _lock_finding(finding)
    _active(actor)
    if finding.status != FindingStatus.SUBMITTED:
        _move(finding, FINDING_TRANSITIONS, FindingStatus.CLOSED, "验收")
    assert finding.task is not None
    task_accept(actor=actor, task=finding.task, note=note)
    return _lock_finding(finding)


@transaction.atomic
def finding_return(*, actor: Any, finding: Finding, reason: str) -> Finding:
    from xiaobao.plans.services import task_return

    finding = _lock_finding(finding)
    _active(actor)
    if finding.status != FindingStatus.SUBMITTED:
        _move(finding, FINDING_TRANSITIONS, FindingStatus.OPEN, "退回")
    assert finding.task is not None
    task_return(actor=actor, task=finding.task, reason=reason)
    return _lock_finding(finding)


def finding_task_changed(
    *, task: Any, action: str, actor: Any, from_status: str, reason: str
) -> None:
    """The finding follows its rectification task, wherever the task moved (this app's pages or
    the plans task page). Registered with `plans.hooks` in `InspectionsConfig.ready`; runs inside
    the task's transaction, so a refusal here refuses the task's transition too."""
    finding = Finding.objects.filter(pk=task.source_id).first()
    if finding is None:
        return
    finding = _lock_finding(finding)
    if action == "submit" and finding.status == FindingStatus.OPEN:
        _finding_move(finding, FindingStatus.SUBMITTED, actor, "报送整改", reason=reason)
    elif action == "accept":
        if finding.status != FindingStatus.SUBMITTED:
            _move(finding, FINDING_TRANSITIONS, FindingStatus.CLOSED, "验收")
        if not evidence_for(task).exists():
            raise DomainError(
                "没有整改证明材料，不能验收。", code="evidence_required", field="evidence"
            )
        finding.closed_at = task.completed_at
        _finding_move(finding, FindingStatus.CLOSED, actor, "验收通过", reason=reason)
    elif action == "return" and finding.status == FindingStatus.SUBMITTED:
        _finding_move(finding, FindingStatus.OPEN, actor, "退回整改", reason=reason)


@transaction.atomic
def finding_confirm(*, actor: Any, finding: Finding, visit: Visit | None = None) -> Finding:
    """A re-inspection confirms the rectification held."""
    _require(actor, "review_visit", finding.unit)
    finding = _lock_finding(finding)
    if visit is not None and (
        visit.outlet_id != finding.unit_id
        or visit.status not in (VisitStatus.PUBLISHED, VisitStatus.APPEALED, VisitStatus.FINAL)
    ):
        raise DomainError("复查须为该网点已发布的检查。", code="invalid", field="visit")
    _finding_move(
        finding,
        FindingStatus.VERIFIED,
        actor,
        "复查确认",
        reason=f"visit:{visit.pk}" if visit else "",
    )
    return finding


# --- test complaints ------------------------------------------------------------------------------


def test_complaint_deadline(visit: Visit) -> datetime:
    assert visit.test_complaint_at is not None
    day = calendar().add_workdays(
        timezone.localdate(visit.test_complaint_at), conf.test_complaint_workdays()
    )
    return datetime.combine(day, time.max, tzinfo=TZ)


@transaction.atomic
def visit_check_test_complaint(*, actor: Any, visit: Visit, now: datetime | None = None) -> Visit:
    """Look in the registry (through the complaint selectors) for the complaint the shopper voiced:
    registered at that outlet within one working day. Not found after the day: a finding."""
    from xiaobao.complaints.selectors import complaint_list

    _require(actor, "review_visit", visit.outlet)
    visit = _lock(visit)
    if not visit.test_complaint or visit.test_complaint_at is None:
        raise DomainError("该检查没有测试投诉。", code="invalid", field="test_complaint")
    if visit.test_complaint_result in (
        ComplaintProbeResult.REGISTERED,
        ComplaintProbeResult.UNREGISTERED,
    ):
        return visit
    now = now or clock_now()
    deadline = test_complaint_deadline(visit)
    candidates = complaint_list(user=actor).filter(
        unit__path__startswith=visit.outlet.path,
        received_at__gte=visit.test_complaint_at - timedelta(hours=1),
        created_at__lte=deadline,
    )
    keyword = visit.test_complaint_keyword
    match = next(
        (
            c
            for c in candidates.order_by("received_at")
            if not keyword or keyword in c.title or keyword in c.narrative
        ),
        None,
    )
    if match is not None:
        visit.test_complaint_result = ComplaintProbeResult.REGISTERED
        visit.matched_complaint = match
        visit.save(update_fields=["test_complaint_result", "matched_complaint"])
        _event(
            visit,
            "test_complaint",
            "测试投诉已登记",
            actor,
            visit.outlet,
            data={"complaint": match.pk},
        )
        return visit
    if now <= deadline:
        visit.test_complaint_result = ComplaintProbeResult.PENDING
        visit.save(update_fields=["test_complaint_result"])
        return visit
    visit.test_complaint_result = ComplaintProbeResult.UNREGISTERED
    visit.save(update_fields=["test_complaint_result"])
    _event(
        visit,
        "test_complaint",
        "测试投诉未按时登记",
        actor,
        visit.outlet,
        data={"deadline": deadline.isoformat()},
    )
    finding = _new_finding(
        visit,
        None,
        source=FindingSource.TEST_COMPLAINT,
        title=f"神秘人测试投诉未在{conf.test_complaint_workdays()}个工作日内登记",
        severity=Severity.HIGH,
    )
    if visit.status == VisitStatus.FINAL:
        finding.issuing_unit = actor.unit
        _open_finding(actor, finding)
    return visit


def test_complaints_sweep(*, now: datetime) -> int:
    """Periodic: check every published visit whose test complaint is still pending."""
    count = 0
    for visit in Visit.objects.filter(
        test_complaint=True, test_complaint_result=ComplaintProbeResult.PENDING
    ).select_related("reviewed_by"):
        if visit.reviewed_by is None or not visit.reviewed_by.is_active:
            continue
        visit_check_test_complaint(actor=visit.reviewed_by, visit=visit, now=now)
        count += 1
    return count


# --- external examinations ------------------------------------------------------------------------


@dataclass
class ExaminationData:
    regulator: str
    notice_date: date
    unit: Unit
    scope: str
    notice_no: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    report_back_due: date | None = None


@transaction.atomic
def examination_create(*, actor: Any, data: ExaminationData, notice: Any = None) -> Examination:
    _require(actor, "add_examination", data.unit)
    regulator = _need(data.regulator, "请填写检查机关。", "regulator")
    scope = _need(data.scope, "请填写检查范围。", "scope")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise DomainError("离场日期不能早于进场日期。", code="invalid", field="ends_on")
    if data.report_back_due and data.report_back_due < data.notice_date:
        raise DomainError("报告报送期限不能早于通知日期。", code="invalid", field="report_back_due")
    now = clock_now()
    exam = Examination.objects.create(
        regulator=regulator,
        notice_no=data.notice_no.strip(),
        notice_date=data.notice_date,
        unit=data.unit,
        scope=scope,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        report_back_due=data.report_back_due,
        created_by=actor,
        created_at=now,
    )
    _event(exam, "create", "登记", actor, exam.unit, to_status=exam.status, at=now)
    if notice is not None:
        evidence_add(actor=actor, target=exam, unit=exam.unit, upload=notice, label="检查通知")
    return exam


@transaction.atomic
def examination_advance(*, actor: Any, examination: Examination, to: str) -> Examination:
    _require(actor, "change_examination", examination.unit)
    exam = Examination.objects.select_for_update().select_related("unit").get(pk=examination.pk)
    if to == ExaminationStatus.REPORTED:
        raise DomainError("请通过“报送整改报告”完成此步。", code="invalid", field="to")
    if (
        to == ExaminationStatus.CLOSED
        and exam.findings.exclude(
            status__in=(FindingStatus.CLOSED, FindingStatus.VERIFIED, FindingStatus.WITHDRAWN)
        ).exists()
    ):
        raise InvalidTransitionError("还有未完成整改的问题，不能结束。", code="findings_open")
    label = ExaminationStatus(to).label if to in ExaminationStatus.values else to
    before = _move(exam, EXAMINATION_TRANSITIONS, to, str(label))
    exam.save(update_fields=["status"])
    _event(exam, to, str(label), actor, exam.unit, from_status=before, to_status=to)
    return exam


@transaction.atomic
def examination_add_finding(
    *,
    actor: Any,
    examination: Examination,
    unit: Unit,
    title: str,
    severity: str,
    due_date: date,
    penalty: str = "",
    penalty_amount: Decimal | None = None,
) -> Finding:
    """A regulator's finding: rectification task at once (no appeal inside the bank)."""
    _require(actor, "change_examination", examination.unit)
    title = _need(title, "请填写问题。", "title")
    if severity not in Severity.values:
        raise DomainError("请选择严重程度。", code="invalid", field="severity")
    if not unit.path.startswith(examination.unit.path) or not unit_in_scope(actor, unit):
        raise DomainError("责任机构须在受检机构范围内。", code="invalid", field="unit")
    exam = Examination.objects.select_for_update().get(pk=examination.pk)
    if exam.status not in (ExaminationStatus.ONSITE, ExaminationStatus.RECTIFYING):
        raise InvalidTransitionError(
            "只能在现场检查或整改阶段登记问题。", code="invalid_transition"
        )
    if penalty_amount is not None and penalty_amount < 0:
        raise DomainError("罚款金额不能为负数。", code="invalid", field="penalty_amount")
    now = clock_now()
    finding = Finding.objects.create(
        source=FindingSource.EXAMINATION,
        examination=exam,
        unit=unit,
        issuing_unit=actor.unit,
        title=title[:300],
        severity=severity,
        penalty=penalty.strip()[:200],
        found_on=timezone.localdate(now),
        created_at=now,
    )
    _event(finding, "create", "登记监管检查问题", actor, unit, to_status=finding.status, at=now)
    if penalty_amount:
        exam.penalty_amount += penalty_amount
        exam.penalty_text = "\n".join(t for t in (exam.penalty_text, penalty.strip()) if t)
        exam.save(update_fields=["penalty_amount", "penalty_text"])
    return _open_finding(actor, finding, due_date=due_date)


@transaction.atomic
def examination_report_back(*, actor: Any, examination: Examination, report: Any) -> Examination:
    """Send the rectification report to the regulator (the report file is kept as evidence)."""
    _require(actor, "change_examination", examination.unit)
    exam = Examination.objects.select_for_update().select_related("unit").get(pk=examination.pk)
    if report is None:
        raise DomainError("请上传整改报告。", code="required", field="report")
    before = _move(exam, EXAMINATION_TRANSITIONS, ExaminationStatus.REPORTED, "报送整改报告")
    now = clock_now()
    exam.reported_at = now
    exam.save(update_fields=["status", "reported_at"])
    evidence_add(actor=actor, target=exam, unit=exam.unit, upload=report, label="整改报告")
    late = bool(exam.report_back_due and timezone.localdate(now) > exam.report_back_due)
    _event(
        exam,
        "report_back",
        "报送整改报告",
        actor,
        exam.unit,
        from_status=before,
        to_status=exam.status,
        data={"late": late},
        at=now,
    )
    return exam


# --- weekly service meetings ----------------------------------------------------------------------


@transaction.atomic
def meeting_record(
    *,
    actor: Any,
    unit: Unit,
    held_on: date,
    topic: str,
    minutes: str,
    present: Sequence[Any],
    absent: Sequence[Any] = (),
) -> ServiceMeeting:
    _require(actor, "add_servicemeeting", unit)
    topic = _need(topic, "请填写会议主题。", "topic")
    minutes = _need(minutes, "请填写会议纪要。", "minutes")
    if held_on > timezone.localdate(clock_now()):
        raise DomainError("不能登记尚未召开的例会。", code="invalid", field="held_on")
    if not present:
        raise DomainError("请登记出席人员。", code="required", field="present")
    people = list(present) + list(absent)
    if len({p.pk for p in people}) != len(people):
        raise DomainError("同一员工不能既出席又缺席。", code="invalid", field="absent")
    for person in people:
        if person.unit_id is None or not person.unit.path.startswith(unit.path):
            raise DomainError(
                "%(person)s不是本机构员工。",
                params={"person": person},
                code="invalid",
                field="present",
            )
    now = clock_now()
    meeting = ServiceMeeting.objects.create(
        unit=unit, held_on=held_on, topic=topic, minutes=minutes, recorded_by=actor, recorded_at=now
    )
    MeetingAttendance.objects.bulk_create(
        [MeetingAttendance(meeting=meeting, person=p, present=True) for p in present]
        + [MeetingAttendance(meeting=meeting, person=p, present=False) for p in absent]
    )
    _event(
        meeting,
        "create",
        "登记例会",
        actor,
        unit,
        data={"present": len(present), "absent": len(absent)},
        at=now,
    )
    return meeting


# --- vendor results workbook ----------------------------------------------------------------------

IMPORT_HEADER = ("检查编号", "项目代码", "结果", "说明")


@dataclass
class ImportResult:
    rows: int = 0
    visits: int = 0
    errors: list[tuple[int, Any]] = field(default_factory=list)  # (row, lazy message)


@transaction.atomic
def vendor_import(*, actor: Any, plan: InspectionPlan, workbook: Any) -> ImportResult:
    """Read a vendor's results workbook (检查编号 | 项目代码 | 结果 | 说明): every row is checked,
    and if any row is wrong nothing is written and each error names its row."""
    from openpyxl import load_workbook

    _require(actor, "review_visit", plan.unit)
    result = ImportResult()
    try:
        sheet = load_workbook(workbook, read_only=True, data_only=True).active
        rows = list(sheet.iter_rows(values_only=True)) if sheet is not None else []
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise DomainError(
            "无法读取该文件，请上传 .xlsx 工作簿。", code="invalid_file", field="file"
        ) from exc
    if not rows or tuple(str(c or "").strip() for c in rows[0][:4]) != IMPORT_HEADER:
        raise DomainError(
            "表头须为：%(header)s。",
            params={"header": " | ".join(IMPORT_HEADER)},
            code="invalid",
            field="file",
        )
    visits = {v.pk: v for v in plan.visits.select_related("checklist", "outlet")}
    items_of: dict[int, dict[str, ChecklistItem]] = {}
    parsed: dict[int, dict[str, tuple[str, str]]] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = [("" if c is None else str(c).strip()) for c in (*row, None, None, None, None)[:4]]
        if not any(cells):
            continue
        result.rows += 1
        raw_visit, code, value, note = cells
        try:
            visit = visits.get(int(float(raw_visit)))
        except ValueError:
            visit = None
        if visit is None:
            result.errors.append(
                (n, lazy_text("检查编号“%(visit)s”不属于该计划。", {"visit": raw_visit}))
            )
            continue
        if visit.status not in RECORDABLE:
            result.errors.append(
                (n, lazy_text("检查%(visit)s已提交，不能再导入结果。", {"visit": visit.pk}))
            )
            continue
        items = items_of.setdefault(visit.pk, _items(visit))
        item = items.get(code)
        if item is None:
            result.errors.append(
                (n, lazy_text("项目代码“%(code)s”不在该检查清单中。", {"code": code}))
            )
            continue
        try:
            clean = scoring.check_value(item, value)
        except ValueError as exc:
            result.errors.append(
                (n, lazy_text("%(item)s：%(problem)s", {"item": code, "problem": exc.args[0]}))
            )
            continue
        per_visit = parsed.setdefault(visit.pk, {})
        if code in per_visit:
            result.errors.append(
                (
                    n,
                    lazy_text(
                        "检查%(visit)s的项目%(code)s重复。", {"visit": visit.pk, "code": code}
                    ),
                )
            )
            continue
        per_visit[code] = (clean, note[:300])
    if result.errors or not result.rows:
        if not result.rows:
            result.errors.append((2, lazy_text("工作簿中没有数据行。")))
        transaction.set_rollback(True)
        return result
    now = clock_now()
    for pk, answers in parsed.items():
        visit = _lock(visits[pk])
        for code, (value, note) in answers.items():
            ItemResult.objects.update_or_create(
                visit=visit, item=items_of[pk][code], defaults={"value": value, "note": note}
            )
        before = visit.status
        if visit.status == VisitStatus.PLANNED:
            _move(visit, VISIT_TRANSITIONS, VisitStatus.DRAFT, "导入")
            visit.visited_at = visit.visited_at or now
            visit.save(update_fields=["status", "visited_at"])
        rescore(visit)
        _event(
            visit,
            "import",
            "导入第三方检查结果",
            actor,
            visit.outlet,
            from_status=before,
            to_status=visit.status,
            data={"items": len(answers)},
            at=now,
        )
    result.visits = len(parsed)
    return result
