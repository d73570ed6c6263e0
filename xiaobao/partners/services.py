"""Writes of the partner list: partners through one transition table, admission, licences,
agreements, evaluations, exits and the complaint links.

Every service reads the same way: check the actor's right and scope → lock the row → check the
transition → change → write one append-only `RecordEvent` (who, when, from, to, why) in the same
transaction. A refused request writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiaobao.audit.services import record_event
from xiaobao.evidence.services import evidence_add
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    choice_label,
    lazy_list,
    lazy_text,
)
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.partners import conf, creditcode
from xiaobao.partners.choices import (
    AGREEMENT_TRANSITIONS,
    PARTNER_TRANSITIONS,
    RESULT_STATUS,
    AdmissionDecision,
    AgreementStatus,
    Clause,
    Criterion,
    EvaluationResult,
    EvaluationStatus,
    ExitStatus,
    ExitStep,
    LinkRole,
    PartnerStatus,
    PartnerType,
)
from xiaobao.partners.models import (
    Admission,
    Agreement,
    Evaluation,
    Exit,
    ExitConfirmation,
    Licence,
    Partner,
    PartnerComplaint,
)


def _require(user: Any, perm: str, unit: Unit | None) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not user.has_perm(f"partners.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if unit is not None and not unit_in_scope(user, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _lock(partner: Partner) -> Partner:
    return Partner.objects.select_for_update().select_related("unit").get(pk=partner.pk)


def _move(partner: Partner, to: str, label: str) -> str:
    current = partner.status
    if to not in PARTNER_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(partner, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    partner.status = to
    return current


def _text(value: str, name: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(
            "请填写%(label)s。", params={"label": lazy_text(label)}, code="required", field=name
        )
    return value


# --- partners -------------------------------------------------------------------------------------


@dataclass
class PartnerData:
    """What the owning department records about a partner."""

    name: str
    credit_code: str
    type: str
    unit: Unit
    business_lines: Sequence[str] = ()
    department: Department | None = None
    allowed_units: Sequence[Unit] = ()


def _clean_partner(data: PartnerData, current: Partner | None = None) -> str:
    _text(data.name, "name", "机构名称")
    code = creditcode.normalise(data.credit_code or "")
    if not code:
        raise DomainError("请填写统一社会信用代码。", code="required", field="credit_code")
    problem = creditcode.problem(code)
    if problem:
        raise DomainError(problem, code="invalid", field="credit_code")
    clash = Partner.objects.filter(credit_code=code)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    other = clash.first()
    if other is not None:
        # One list for the institution: the same code under another name is the same partner.
        raise DomainError(
            "该统一社会信用代码已在名单中（%(other)s），同一机构只能登记一次。",
            params={"other": other.name},
            code="duplicate",
            field="credit_code",
        )
    if data.type not in PartnerType.values:
        raise DomainError("请选择机构类型。", code="invalid", field="type")
    if data.department is not None and data.department.unit_id != data.unit.pk:
        raise DomainError("牵头管理部门须属于管理机构。", code="invalid", field="department")
    for allowed in data.allowed_units:
        if not allowed.path.startswith(data.unit.path):
            raise DomainError(
                "可使用机构“%(allowed)s”不在管理机构的范围内。",
                params={"allowed": allowed.name},
                code="invalid",
                field="allowed_units",
            )
    return code


@transaction.atomic
def partner_create(*, actor: Any, data: PartnerData) -> Partner:
    """Put a partner on the list as 拟准入 (proposed)."""
    _require(actor, "add_partner", data.unit)
    code = _clean_partner(data)
    now = clock_now()
    try:
        with transaction.atomic():
            partner = Partner.objects.create(
                name=data.name.strip(),
                credit_code=code,
                type=data.type,
                business_lines=[b.strip() for b in data.business_lines if b.strip()],
                unit=data.unit,
                department=data.department,
                created_by=actor,
                created_at=now,
            )
    except IntegrityError as exc:  # a concurrent registration of the same code
        raise DomainError(
            "该统一社会信用代码已在名单中，同一机构只能登记一次。",
            code="duplicate",
            field="credit_code",
        ) from exc
    partner.allowed_units.set(data.allowed_units)
    record_event(
        partner,
        action="create",
        action_label="登记（拟准入）",
        actor=actor,
        unit=partner.unit,
        to_status=partner.status,
        at=now,
    )
    return partner


@transaction.atomic
def partner_update(*, actor: Any, partner: Partner, data: PartnerData) -> Partner:
    """Correct a partner's particulars and allowance (not its status)."""
    _require(actor, "change_partner", partner.unit)
    partner = _lock(partner)
    if partner.status == PartnerStatus.EXITED:
        raise InvalidTransitionError("已退出的合作机构不能再修改。", code="invalid_transition")
    _require(actor, "change_partner", data.unit)
    code = _clean_partner(data, current=partner)
    partner.name = data.name.strip()
    partner.credit_code = code
    partner.type = data.type
    partner.business_lines = [b.strip() for b in data.business_lines if b.strip()]
    partner.unit = data.unit
    partner.department = data.department
    partner.save()
    partner.allowed_units.set(data.allowed_units)
    record_event(partner, action="update", action_label="修改", actor=actor, unit=partner.unit)
    return partner


_STATUS_LABELS: dict[str, tuple[str, str]] = {
    PartnerStatus.LISTED: ("relist", "恢复在册"),
    PartnerStatus.WATCH: ("watch", "列入观察"),
    PartnerStatus.SUSPENDED: ("suspend", "暂停合作"),
}


@transaction.atomic
def partner_transition(*, actor: Any, partner: Partner, to: str, reason: str) -> Partner:
    """Move a listed partner between 在册, 观察 and 暂停 (with a reason). Admission and exit have
    their own services: 在册 needs an approved admission, 退出 a completed exit."""
    _require(actor, "approve_partner", partner.unit)
    reason = _text(reason, "reason", "原因")
    partner = _lock(partner)
    if to not in _STATUS_LABELS or (
        to == PartnerStatus.LISTED and partner.status == PartnerStatus.PROPOSED
    ):
        label = "直接变更为该状态（准入须经准入审查，退出须完成退出流程）"
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(partner, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    if to == PartnerStatus.LISTED and partner.exits.filter(status=ExitStatus.IN_PROGRESS).exists():
        raise InvalidTransitionError(
            "该合作机构正在退出，不能恢复在册。", code="invalid_transition"
        )
    action, label = _STATUS_LABELS[to]
    before = _move(partner, to, label)
    partner.save(update_fields=["status"])
    record_event(
        partner,
        action=action,
        action_label=label,
        actor=actor,
        unit=partner.unit,
        from_status=before,
        to_status=to,
        reason=reason,
    )
    return partner


# --- licences -------------------------------------------------------------------------------------


@transaction.atomic
def licence_add(
    *,
    actor: Any,
    partner: Partner,
    name: str,
    number: str = "",
    issuer: str = "",
    expires_on: date | None = None,
    scan: Any = None,
) -> Licence:
    """Record a licence (with its scan as evidence when given)."""
    _require(actor, "change_partner", partner.unit)
    licence = Licence.objects.create(
        partner=partner,
        name=_text(name, "name", "证照名称"),
        number=(number or "").strip(),
        issuer=(issuer or "").strip(),
        expires_on=expires_on,
    )
    record_event(
        partner,
        action="licence",
        action_label="登记证照",
        actor=actor,
        unit=partner.unit,
        data={"licence": licence.pk, "name": licence.name, "expires_on": str(expires_on or "")},
    )
    if scan is not None:
        evidence_add(actor=actor, target=licence, unit=partner.unit, upload=scan, label="证照")
    return licence


# --- admission ------------------------------------------------------------------------------------


@transaction.atomic
def admission_decide(
    *,
    actor: Any,
    partner: Partner,
    criteria: Mapping[str, bool],
    cp_opinion: str,
    decision: str,
    reason: str = "",
) -> Admission:
    """Record the admission review; an approval needs every criterion met, the consumer-protection
    opinion and no expired licence, and moves the partner 拟准入 → 在册."""
    _require(actor, "approve_partner", partner.unit)
    partner = _lock(partner)
    if partner.status != PartnerStatus.PROPOSED:
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不需要准入审查。",
            params={"status": choice_label(partner, "status")},
            code="invalid_transition",
        )
    unknown = [k for k in criteria if k not in Criterion.values]
    if unknown:
        raise DomainError(
            "未知的准入条件：%(unknown)s。",
            params={"unknown": unknown[0]},
            code="invalid",
            field="criteria",
        )
    cp_opinion = _text(cp_opinion, "cp_opinion", "消保审查意见")
    if decision not in AdmissionDecision.values:
        raise DomainError("请选择审查结论。", code="invalid", field="decision")
    met = {c: bool(criteria.get(c, False)) for c in Criterion.values}
    now = clock_now()
    if decision == AdmissionDecision.APPROVED:
        unmet = [Criterion(c).label for c, ok in met.items() if not ok]
        if unmet:
            raise DomainError(
                "准入条件未全部满足：%(criteria)s。",
                params={"criteria": lazy_list(unmet)},
                code="criteria_unmet",
                field="criteria",
            )
        expired = partner.licences.filter(expires_on__lt=timezone.localdate(now)).first()
        if expired is not None:
            raise DomainError(
                "证照“%(expired)s”已过期，不能准入。",
                params={"expired": expired.name},
                code="licence_expired",
                field="decision",
            )
    else:
        reason = _text(reason, "reason", "不予准入的理由")
    admission = Admission.objects.create(
        partner=partner,
        criteria=met,
        cp_opinion=cp_opinion,
        decision=decision,
        reason=reason.strip(),
        decided_by=actor,
        decided_at=now,
    )
    if decision == AdmissionDecision.APPROVED:
        before = _move(partner, PartnerStatus.LISTED, "准入")
        partner.admitted_on = timezone.localdate(now)
        partner.save(update_fields=["status", "admitted_on"])
        record_event(
            partner,
            action="admit",
            action_label="准入",
            actor=actor,
            unit=partner.unit,
            from_status=before,
            to_status=partner.status,
            data={"admission": admission.pk},
            at=now,
        )
    else:
        record_event(
            partner,
            action="reject",
            action_label="不予准入",
            actor=actor,
            unit=partner.unit,
            reason=admission.reason,
            data={"admission": admission.pk},
            at=now,
        )
    return admission


# --- agreements -----------------------------------------------------------------------------------


@dataclass
class AgreementData:
    number: str
    title: str
    starts_on: date
    ends_on: date
    clauses: Sequence[str] = ()
    data_scope: str = ""


def _clean_clauses(clauses: Iterable[str]) -> list[str]:
    clauses = list(dict.fromkeys(clauses))
    unknown = [c for c in clauses if c not in Clause.values]
    if unknown:
        raise DomainError(
            "未知的消保条款：%(unknown)s。",
            params={"unknown": unknown[0]},
            code="invalid",
            field="clauses",
        )
    return [c for c in Clause.values if c in clauses]


@transaction.atomic
def agreement_create(*, actor: Any, partner: Partner, data: AgreementData) -> Agreement:
    """Draft an agreement with its clause checklist."""
    _require(actor, "add_agreement", partner.unit)
    partner = _lock(partner)
    if partner.status == PartnerStatus.EXITED:
        raise InvalidTransitionError("已退出的合作机构不能再签订协议。", code="invalid_transition")
    number = _text(data.number, "number", "协议编号")
    title = _text(data.title, "title", "协议名称")
    if data.ends_on < data.starts_on:
        raise DomainError("到期日期不能早于生效日期。", code="invalid", field="ends_on")
    if Agreement.objects.filter(number=number).exists():
        raise DomainError("该协议编号已登记。", code="duplicate", field="number")
    clauses = _clean_clauses(data.clauses)
    if Clause.DATA_SCOPE in clauses and not data.data_scope.strip():
        raise DomainError(
            "已勾选“客户信息以合作范围为限”，请写明提供客户信息的范围。",
            code="required",
            field="data_scope",
        )
    now = clock_now()
    agreement = Agreement.objects.create(
        partner=partner,
        number=number,
        title=title,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        clauses=clauses,
        data_scope=data.data_scope.strip(),
        created_by=actor,
        created_at=now,
    )
    record_event(
        agreement,
        action="create",
        action_label="起草",
        actor=actor,
        unit=partner.unit,
        to_status=agreement.status,
        data={"missing": agreement.missing_clauses},
        at=now,
    )
    return agreement


def _lock_agreement(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_for_update()
        .select_related("partner", "partner__unit")
        .get(pk=agreement.pk)
    )


def _move_agreement(agreement: Agreement, to: str, label: str) -> str:
    current = agreement.status
    if to not in AGREEMENT_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransitionError(
            "协议当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(agreement, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    agreement.status = to
    return current


@transaction.atomic
def agreement_sign(*, actor: Any, agreement: Agreement, exception_reason: str = "") -> Agreement:
    """Register the signed agreement as in force. One lacking consumer-protection clauses is
    refused unless an approver records why it must be signed anyway (it then stays counted in
    `partners.agreements_lacking_clauses`)."""
    _require(actor, "change_agreement", agreement.partner.unit)
    agreement = _lock_agreement(agreement)
    partner = agreement.partner
    if partner.status not in (PartnerStatus.LISTED, PartnerStatus.WATCH):
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不能签署新协议。",
            params={"status": choice_label(partner, "status")},
            code="invalid_transition",
        )
    state = _review_state(agreement)
    if state == "pending":
        raise InvalidTransitionError(
            "协议正在消保审查（%(review_ref)s），出具结论后才能签署。",
            params={"review_ref": agreement.review_ref},
            code="review_pending",
        )
    if state == "not_passed":
        raise InvalidTransitionError(
            "协议未通过消保审查，不能签署；请修改后重新送审。", code="review_not_passed"
        )
    missing = agreement.missing_clause_labels
    exception_reason = (exception_reason or "").strip()
    if missing:
        if not exception_reason:
            raise DomainError(
                "协议缺少消保条款：%(clauses)s。请补充条款，或由审批人说明仍须签署的理由。",
                params={"clauses": lazy_list(Clause(c).label for c in agreement.missing_clauses)},
                code="clauses_missing",
                field="clauses",
            )
        _require(actor, "approve_partner", partner.unit)
    before = _move_agreement(agreement, AgreementStatus.EFFECTIVE, "签署生效")
    agreement.exception_reason = exception_reason if missing else ""
    agreement.signed_at = clock_now()
    agreement.save(update_fields=["status", "exception_reason", "signed_at"])
    record_event(
        agreement,
        action="sign",
        action_label="签署生效",
        actor=actor,
        unit=partner.unit,
        from_status=before,
        to_status=agreement.status,
        reason=agreement.exception_reason,
        data={"missing": agreement.missing_clauses},
        at=agreement.signed_at,
    )
    return agreement


def _review_state(agreement: Agreement) -> str:
    """none (never reviewed, or the review was withdrawn), pending, or the conclusion's code."""
    from xiaobao.products.choices import ReviewStatus
    from xiaobao.products.models import Review

    if not agreement.review_ref:
        return "none"
    review = Review.objects.filter(number=agreement.review_ref).first()
    if review is None or review.status == ReviewStatus.WITHDRAWN:
        return "none"
    return review.conclusion or "pending"


@transaction.atomic
def agreement_submit_review(
    *, actor: Any, agreement: Agreement, documents: Sequence[Any] = (), summary: str = ""
) -> Any:
    """Put a draft agreement to consumer-protection pre-review (products); the conclusion comes
    back through `agreement_review_concluded`."""
    from xiaobao.products.choices import ObjectType
    from xiaobao.products.services import review_submit

    _require(actor, "change_agreement", agreement.partner.unit)
    agreement = _lock_agreement(agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise InvalidTransitionError(
            "协议当前状态为“%(status)s”，不能送审。",
            params={"status": choice_label(agreement, "status")},
            code="invalid_transition",
        )
    if _review_state(agreement) not in ("none", "not_passed"):
        raise InvalidTransitionError(
            "协议已送审（%(review_ref)s），不能重复送审。",
            params={"review_ref": agreement.review_ref},
            code="invalid_transition",
        )
    partner = agreement.partner
    missing = agreement.missing_clause_labels
    checklist = f"缺少消保条款：{'、'.join(missing)}" if missing else "消保条款齐全"
    review = review_submit(
        actor=actor,
        object_type=ObjectType.PARTNER_AGREEMENT,
        title=f"合作协议 {agreement.number} {agreement.title}（{partner.name}）",
        unit=partner.unit,
        subject=agreement,
        documents=documents,
        summary="\n".join(
            p
            for p in (
                (summary or "").strip(),
                checklist,
                f"提供客户信息的范围：{agreement.data_scope}" if agreement.data_scope else "",
            )
            if p
        ),
    )
    agreement.review_ref = review.number
    agreement.review_conclusion = ""
    agreement.review_result = ""
    agreement.save(update_fields=["review_ref", "review_conclusion", "review_result"])
    record_event(
        agreement,
        action="submit_review",
        action_label="提交消保审查",
        actor=actor,
        unit=partner.unit,
        data={"review": review.pk, "number": review.number},
    )
    return review


def agreement_review_concluded(*, review: Any, subject: Agreement) -> None:
    """`products.hooks.on_review_concluded("partners.agreement")`: record the conclusion on the
    agreement, inside the conclusion's transaction."""
    agreement = _lock_agreement(subject)
    label = str(review.get_conclusion_display())
    note = (review.conclusion_note or "").strip()
    agreement.review_ref = review.number
    agreement.review_result = review.conclusion
    agreement.review_conclusion = (f"{label}：{note}" if note else label)[:200]
    agreement.save(update_fields=["review_ref", "review_result", "review_conclusion"])
    record_event(
        agreement,
        action="review_concluded",
        action_label=f"消保审查结论：{label}",
        actor=review.concluded_by,
        unit=agreement.partner.unit,
        reason=note,
        data={"review": review.number, "conclusion": review.conclusion},
        at=review.concluded_at,
    )


@transaction.atomic
def agreement_terminate(*, actor: Any, agreement: Agreement, reason: str) -> Agreement:
    _require(actor, "change_agreement", agreement.partner.unit)
    reason = _text(reason, "reason", "终止原因")
    agreement = _lock_agreement(agreement)
    before = _move_agreement(agreement, AgreementStatus.TERMINATED, "终止")
    agreement.save(update_fields=["status"])
    record_event(
        agreement,
        action="terminate",
        action_label="终止",
        actor=actor,
        unit=agreement.partner.unit,
        from_status=before,
        to_status=agreement.status,
        reason=reason,
    )
    return agreement


# --- complaint links ------------------------------------------------------------------------------


def _allowed(partner: Partner, unit: Unit) -> bool:
    """A unit may use a partner allowed to it or to any unit above it."""
    return any(unit.path.startswith(a.path) for a in partner.allowed_units.all())


@transaction.atomic
def complaint_link(
    *, actor: Any, partner: Partner, complaint: Any, role: str, note: str = ""
) -> PartnerComplaint:
    """Record that a complaint involves a partner (涉及合作机构); the case's handlers may do it."""
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not actor.has_perm("partners.add_partnercomplaint"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if not unit_in_scope(actor, complaint.unit):
        raise PermissionDeniedError("该投诉不在您的机构管辖范围内。", code="out_of_scope")
    if role not in LinkRole.values:
        raise DomainError("请选择涉及方式。", code="invalid", field="role")
    if PartnerComplaint.objects.filter(partner=partner, complaint=complaint).exists():
        raise DomainError("该投诉已关联此合作机构。", code="duplicate", field="complaint")
    now = clock_now()
    link = PartnerComplaint.objects.create(
        partner=partner,
        complaint=complaint,
        role=role,
        note=(note or "").strip()[:200],
        outside_allowance=not _allowed(partner, complaint.unit),
        linked_by=actor,
        linked_at=now,
    )
    record_event(
        partner,
        action="complaint",
        action_label="关联投诉",
        actor=actor,
        unit=complaint.unit,
        data={"complaint": complaint.pk, "registry_no": complaint.registry_no, "role": role},
        at=now,
    )
    return link


@transaction.atomic
def complaint_unlink(*, actor: Any, link: PartnerComplaint, reason: str) -> None:
    """Remove a wrong link (the reason stays on the partner's timeline)."""
    if actor is None or not actor.has_perm("partners.delete_partnercomplaint"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if not unit_in_scope(actor, link.complaint.unit):
        raise PermissionDeniedError("该投诉不在您的机构管辖范围内。", code="out_of_scope")
    reason = _text(reason, "reason", "取消关联的原因")
    record_event(
        link.partner,
        action="complaint_unlink",
        action_label="取消关联投诉",
        actor=actor,
        unit=link.complaint.unit,
        reason=reason,
        data={"complaint": link.complaint_id, "registry_no": link.complaint.registry_no},
    )
    link.delete()


def complaint_links_follow(event: Any) -> None:
    """`complaints.hooks` listener: a case merged into another hands its partner links to the
    surviving case, so the partner's complaint count neither loses nor doubles it."""
    if event.to_status != "merged":
        return
    into_no = (event.data or {}).get("into")
    if not into_no:
        return
    links = list(PartnerComplaint.objects.filter(complaint_id=event.complaint_id))
    if not links:
        return
    from xiaobao.complaints.models import Complaint

    survivor = Complaint.objects.filter(registry_no=into_no).first()
    if survivor is None:
        return
    for link in links:
        if not PartnerComplaint.objects.filter(
            partner_id=link.partner_id, complaint=survivor
        ).exists():
            PartnerComplaint.objects.create(
                partner_id=link.partner_id,
                complaint=survivor,
                role=link.role,
                note=link.note,
                outside_allowance=link.outside_allowance,
                linked_by=None,
                linked_at=event.occurred_at,
            )
        record_event(
            link.partner,
            action="complaint_merged",
            action_label="关联投诉已并案",
            actor=event.actor,
            unit=survivor.unit,
            data={"from": event.complaint_id, "into": survivor.pk, "registry_no": into_no},
            at=event.occurred_at,
        )


# --- evaluations ----------------------------------------------------------------------------------


@dataclass
class EvaluationData:
    period_start: date
    period_end: date
    customers_served: int | None = None
    cooperation_timely: bool = True
    inspection_score: Decimal | None = None
    regulator_penalties: int = 0
    public_opinion_events: int = 0
    contract_breaches: int = 0
    note: str = ""


def _clean_evaluation(data: EvaluationData) -> None:
    if data.period_end < data.period_start:
        raise DomainError("评价期止不能早于评价期起。", code="invalid", field="period_end")
    if data.period_end > timezone.localdate(clock_now()):
        raise DomainError("评价期止不能晚于今天。", code="invalid", field="period_end")
    if data.inspection_score is not None and not (0 <= data.inspection_score <= 100):
        raise DomainError("检查评分应在0到100之间。", code="invalid", field="inspection_score")
    for name in ("regulator_penalties", "public_opinion_events", "contract_breaches"):
        if getattr(data, name) < 0:
            raise DomainError("次数不能为负数。", code="invalid", field=name)
    if data.customers_served is not None and data.customers_served < 0:
        raise DomainError("客户数不能为负数。", code="invalid", field="customers_served")


@transaction.atomic
def evaluation_create(*, actor: Any, partner: Partner, data: EvaluationData) -> Evaluation:
    """Open an evaluation of an active partner; the complaint figures come from the registry."""
    from xiaobao.partners.selectors import complaint_figures

    _require(actor, "add_evaluation", partner.unit)
    partner = _lock(partner)
    if partner.status in (PartnerStatus.PROPOSED, PartnerStatus.EXITED):
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不能评价。",
            params={"status": choice_label(partner, "status")},
            code="invalid_transition",
        )
    _clean_evaluation(data)
    figures = complaint_figures(partner, data.period_start, data.period_end)
    now = clock_now()
    evaluation = Evaluation.objects.create(
        partner=partner,
        period_start=data.period_start,
        period_end=data.period_end,
        customers_served=data.customers_served,
        complaints=figures["complaints"],
        complaints_upheld=figures["upheld"],
        cooperation_timely=data.cooperation_timely,
        inspection_score=data.inspection_score,
        regulator_penalties=data.regulator_penalties,
        public_opinion_events=data.public_opinion_events,
        contract_breaches=data.contract_breaches,
        note=data.note.strip(),
        created_by=actor,
        created_at=now,
    )
    record_event(
        evaluation,
        action="create",
        action_label="开始评价",
        actor=actor,
        unit=partner.unit,
        to_status=evaluation.status,
        at=now,
    )
    return evaluation


@transaction.atomic
def evaluation_conclude(
    *, actor: Any, evaluation: Evaluation, result: str, note: str = "", exit_planned_on: Any = None
) -> Evaluation:
    """Conclude: the complaint figures are taken from the registry again at this moment, and the
    result moves the partner (整改 → 观察, 暂停 → 暂停, 退出 → 暂停 and an exit begins)."""
    from xiaobao.partners.selectors import complaint_figures

    _require(actor, "approve_partner", evaluation.partner.unit)
    evaluation = (
        Evaluation.objects.select_for_update().select_related("partner").get(pk=evaluation.pk)
    )
    if evaluation.status != EvaluationStatus.DRAFT:
        raise InvalidTransitionError("该评价已定论。", code="invalid_transition")
    if result not in EvaluationResult.values:
        raise DomainError("请选择评价结论。", code="invalid", field="result")
    note = (note or "").strip() or evaluation.note
    if result != EvaluationResult.CONTINUE and not note:
        raise DomainError(
            "请填写评价意见（整改、暂停或退出的理由）。", code="required", field="note"
        )
    partner = _lock(evaluation.partner)
    figures = complaint_figures(partner, evaluation.period_start, evaluation.period_end)
    now = clock_now()
    evaluation.complaints = figures["complaints"]
    evaluation.complaints_upheld = figures["upheld"]
    evaluation.result = result
    evaluation.note = note
    evaluation.status = EvaluationStatus.CONCLUDED
    evaluation.concluded_at = now
    evaluation.save()
    record_event(
        evaluation,
        action="conclude",
        action_label="评价定论",
        actor=actor,
        unit=partner.unit,
        from_status=EvaluationStatus.DRAFT,
        to_status=evaluation.status,
        reason=note,
        data={"result": result, "complaints": figures["complaints"]},
        at=now,
    )
    target = RESULT_STATUS[result]
    exiting = partner.exits.filter(status=ExitStatus.IN_PROGRESS).exists()
    movable = target in PARTNER_TRANSITIONS.get(partner.status, frozenset())
    # A partner being wound down is never put back on the list by an evaluation.
    if movable and partner.status != target and not (target == PartnerStatus.LISTED and exiting):
        before = _move(partner, target, "按评价结论变更状态")
        partner.save(update_fields=["status"])
        record_event(
            partner,
            action="evaluation",
            action_label=f"评价结论：{EvaluationResult(result).label}",
            actor=actor,
            unit=partner.unit,
            from_status=before,
            to_status=target,
            reason=note,
            data={"evaluation": evaluation.pk},
            at=now,
        )
    if result == EvaluationResult.EXIT and not exiting:
        exit_start(
            actor=actor,
            partner=partner,
            reason=note,
            planned_on=exit_planned_on or timezone.localdate(now) + timedelta(days=90),
        )
    return evaluation


# --- exits ----------------------------------------------------------------------------------------


@transaction.atomic
def exit_start(*, actor: Any, partner: Partner, reason: str, planned_on: date) -> Exit:
    """Begin winding a partner down: new business stops at once (在册/观察 → 暂停)."""
    _require(actor, "approve_partner", partner.unit)
    reason = _text(reason, "reason", "退出原因")
    if planned_on is None:
        raise DomainError("请填写计划退出日期。", code="required", field="planned_on")
    partner = _lock(partner)
    if partner.status in (PartnerStatus.PROPOSED, PartnerStatus.EXITED):
        raise InvalidTransitionError(
            "合作机构当前状态为“%(status)s”，不能发起退出。",
            params={"status": choice_label(partner, "status")},
            code="invalid_transition",
        )
    if partner.exits.filter(status=ExitStatus.IN_PROGRESS).exists():
        raise InvalidTransitionError("该合作机构已在退出中。", code="invalid_transition")
    now = clock_now()
    exit = Exit.objects.create(
        partner=partner, reason=reason, planned_on=planned_on, started_by=actor, started_at=now
    )
    record_event(
        exit,
        action="start",
        action_label="发起退出",
        actor=actor,
        unit=partner.unit,
        to_status=exit.status,
        reason=reason,
        at=now,
    )
    if partner.status != PartnerStatus.SUSPENDED:
        before = _move(partner, PartnerStatus.SUSPENDED, "暂停合作")
        partner.save(update_fields=["status"])
        record_event(
            partner,
            action="suspend",
            action_label="发起退出，暂停合作",
            actor=actor,
            unit=partner.unit,
            from_status=before,
            to_status=partner.status,
            reason=reason,
            data={"exit": exit.pk},
            at=now,
        )
    return exit


def _lock_exit(exit: Exit) -> Exit:
    return (
        Exit.objects.select_for_update().select_related("partner", "partner__unit").get(pk=exit.pk)
    )


@transaction.atomic
def exit_confirm(
    *, actor: Any, exit: Exit, step: str, note: str, evidence: Sequence[Any]
) -> ExitConfirmation:
    """Confirm one exit step with a note and at least one evidence file."""
    _require(actor, "change_exit", exit.partner.unit)
    exit = _lock_exit(exit)
    if exit.status != ExitStatus.IN_PROGRESS:
        raise InvalidTransitionError("该退出已完成。", code="invalid_transition")
    if step not in ExitStep.values:
        raise DomainError("请选择确认事项。", code="invalid", field="step")
    if exit.confirmations.filter(step=step).exists():
        raise InvalidTransitionError(
            "“%(label)s”已确认。", params={"label": ExitStep(step).label}, code="invalid_transition"
        )
    note = _text(note, "note", "确认说明")
    files = [f for f in evidence if f is not None]
    if not files:
        raise DomainError(
            "确认“%(label)s”须上传证明材料。",
            params={"label": ExitStep(step).label},
            code="required",
            field="evidence",
        )
    now = clock_now()
    confirmation = ExitConfirmation.objects.create(
        exit=exit, step=step, note=note, confirmed_by=actor, confirmed_at=now
    )
    for upload in files:
        evidence_add(
            actor=actor,
            target=confirmation,
            unit=exit.partner.unit,
            upload=upload,
            label=str(ExitStep(step).label),
        )
    record_event(
        exit,
        action=f"confirm_{step}",
        action_label=f"确认：{ExitStep(step).label}",
        actor=actor,
        unit=exit.partner.unit,
        reason=note,
        data={"step": step, "files": len(files)},
        at=now,
    )
    return confirmation


@transaction.atomic
def exit_complete(*, actor: Any, exit: Exit) -> Exit:
    """Complete the exit (partner → 退出) only when every step is confirmed with evidence."""
    from xiaobao.evidence.selectors import evidence_for

    _require(actor, "approve_partner", exit.partner.unit)
    exit = _lock_exit(exit)
    if exit.status != ExitStatus.IN_PROGRESS:
        raise InvalidTransitionError("该退出已完成。", code="invalid_transition")
    confirmed = {c.step: c for c in exit.confirmations.all()}
    missing = [
        ExitStep(s).label
        for s in ExitStep.values
        if s not in confirmed or not evidence_for(confirmed[s]).exists()
    ]
    if missing:
        raise InvalidTransitionError(
            "尚有未确认的退出事项：%(steps)s，不能完成退出。",
            params={"steps": lazy_list(missing)},
            code="exit_steps_unconfirmed",
        )
    partner = _lock(exit.partner)
    now = clock_now()
    exit.status = ExitStatus.COMPLETED
    exit.completed_at = now
    exit.save(update_fields=["status", "completed_at"])
    record_event(
        exit,
        action="complete",
        action_label="完成退出",
        actor=actor,
        unit=partner.unit,
        from_status=ExitStatus.IN_PROGRESS,
        to_status=exit.status,
        at=now,
    )
    before = _move(partner, PartnerStatus.EXITED, "退出")
    partner.exited_on = timezone.localdate(now)
    partner.save(update_fields=["status", "exited_on"])
    for agreement in partner.agreements.select_for_update().filter(
        status=AgreementStatus.EFFECTIVE
    ):
        agreement.status = AgreementStatus.TERMINATED
        agreement.save(update_fields=["status"])
        record_event(
            agreement,
            action="terminate",
            action_label="随合作机构退出终止",
            actor=actor,
            unit=partner.unit,
            from_status=AgreementStatus.EFFECTIVE,
            to_status=AgreementStatus.TERMINATED,
            at=now,
        )
    record_event(
        partner,
        action="exit",
        action_label="退出",
        actor=actor,
        unit=partner.unit,
        from_status=before,
        to_status=partner.status,
        reason=exit.reason,
        data={"exit": exit.pk},
        at=now,
    )
    return exit


# --- reminders ------------------------------------------------------------------------------------


def licences_remind(*, now: datetime) -> int:
    """Remind the owning unit's partner managers of licences expiring soon or expired (one notice
    per recipient, licence and expiry date). Runs from `partners/periodic.py`."""
    from django.urls import reverse

    from xiaobao.organisation.models import User
    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    today = timezone.localdate(now)
    horizon = today + timedelta(days=conf.licence_warning_days())
    written = 0
    licences = Licence.objects.filter(
        expires_on__isnull=False,
        expires_on__lte=horizon,
        partner__status__in=(PartnerStatus.LISTED, PartnerStatus.WATCH, PartnerStatus.SUSPENDED),
    ).select_related("partner", "partner__unit")
    for licence in licences:
        partner = licence.partner
        recipients = [
            u
            for u in User.objects.filter(unit=partner.unit, is_active=True)
            if u.has_perm("partners.change_partner")
        ]
        if not recipients:
            continue
        assert licence.expires_on is not None
        state = "已过期" if licence.expires_on < today else "即将到期"
        with transaction.atomic():
            notices = notify_record(
                recipients=recipients,
                target=partner,
                unit=partner.unit,
                kind=NotificationKind.REMINDER,
                title=f"合作机构证照{state}：{partner.name}"[:200],
                body=(
                    f"{partner.name}的“{licence.name}”有效期至{licence.expires_on:%Y-%m-%d}，"
                    f"{state}。请及时取得更新后的证照，或评估是否暂停合作。"
                ),
                url=reverse("partners:partner", args=[partner.pk]),
                urgent=licence.expires_on < today,
                dedupe_key=f"partners.licence:{licence.pk}:{licence.expires_on}:{state}",
                now=now,
            )
        written += len(notices)
    return written


def evaluations_remind(*, now: datetime) -> int:
    """Remind the owning unit's partner managers of active partners not evaluated within the
    configured months (one notice per recipient, partner and month). Runs from `periodic.py`."""
    from django.urls import reverse

    from xiaobao.organisation.models import User
    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    today = timezone.localdate(now)
    since = today - timedelta(days=conf.evaluation_months() * 365 // 12)
    due = (
        Partner.objects.filter(
            status__in=(PartnerStatus.LISTED, PartnerStatus.WATCH, PartnerStatus.SUSPENDED),
            admitted_on__lte=since,
        )
        .exclude(evaluations__status=EvaluationStatus.CONCLUDED, evaluations__period_end__gte=since)
        .select_related("unit")
    )
    written = 0
    for partner in due:
        recipients = [
            u
            for u in User.objects.filter(unit=partner.unit, is_active=True)
            if u.has_perm("partners.add_evaluation")
        ]
        if not recipients:
            continue
        with transaction.atomic():
            notices = notify_record(
                recipients=recipients,
                target=partner,
                unit=partner.unit,
                kind=NotificationKind.REMINDER,
                title=f"合作机构待评价：{partner.name}"[:200],
                body=(
                    f"{partner.name}自{since:%Y-%m-%d}以来没有已定论的评价。"
                    "请开展定期评价（投诉情况由投诉台账自动统计）。"
                ),
                url=reverse("partners:partner", args=[partner.pk]),
                dedupe_key=f"partners.evaluation:{partner.pk}:{today:%Y-%m}",
                now=now,
            )
        written += len(notices)
    return written
