"""Writes of pre-review and suitability.

Every service reads the same way: check the actor's right and scope → lock the row → check the
transition → change → write one append-only `RecordEvent` in the same transaction. A refused
request writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xiaobao.audit.services import record_event
from xiaobao.evidence.services import evidence_add
from xiaobao.lib import memo
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
from xiaobao.privacy.crypto import blind_index
from xiaobao.products import conf, hooks
from xiaobao.products.choices import (
    BLOCKING_FLAGS,
    LAUNCHABLE,
    REVIEW_TRANSITIONS,
    AgeBand,
    Channel,
    CheckAnswer,
    CheckResult,
    CheckSource,
    Conclusion,
    Decision,
    Flag,
    Grade,
    InvestorType,
    ObjectType,
    OpinionKind,
    ProductKind,
    ProductStatus,
    Response,
    ReviewStatus,
    RiskClass,
    SelfCheck,
    Severity,
    higher_grade,
    level,
)
from xiaobao.products.models import (
    GradeChange,
    LaunchRegistration,
    Opinion,
    Product,
    ProductComplaint,
    ReadviceNotice,
    Review,
    ReviewDocument,
    ReviewRoute,
    RiskProfile,
    SaleCheck,
)
from xiaobao.watch.choices import NotificationKind

# Products whose sale must be dual-recorded (录音录像).
DUAL_RECORDED_KINDS = frozenset(
    {
        ProductKind.WEALTH,
        ProductKind.FUND,
        ProductKind.INSURANCE,
        ProductKind.TRUST,
        ProductKind.STRUCTURED_DEPOSIT,
        ProductKind.PRECIOUS_METAL,
    }
)


def _require(user: Any, perm: str, unit: Unit | None) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not user.has_perm(f"products.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if unit is not None and not unit_in_scope(user, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _move(review: Review, to: str, label: str) -> str:
    current = review.status
    if to not in REVIEW_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(review, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    review.status = to
    return current


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().get(pk=review.pk)


def _calendar() -> Any:
    from xiaobao.complaints.clock import current_calendar

    return current_calendar()


def _local(at: datetime) -> date:
    return timezone.localdate(at)


def working_days_between(first: date, last: date) -> int:
    """Working days after `first` up to and including `last` (0 when concluded the same day)."""
    calendar = _calendar()
    days, d = 0, first
    while d < last:
        d += timedelta(days=1)
        if calendar.is_workday(d):
            days += 1
    return days


def _notify(
    recipients: Iterable[Any], review: Review, *, kind: str, title: str, body: str, **kw: Any
) -> None:
    from django.urls import reverse

    from xiaobao.watch.notify import notify_record

    people = [u for u in recipients if u is not None]
    if not people:
        return
    notify_record(
        recipients=people,
        target=review,
        unit=review.unit,
        kind=kind,
        title=title,
        body=body,
        url=reverse("products:review", args=[review.pk]),
        **kw,
    )


def _holders_of(perm: str, unit: Unit) -> list[Any]:
    """Active users holding `products.<perm>` whose scope covers `unit` (their unit is above it)."""
    User = get_user_model()
    ancestors = [u for u in Unit.objects.all() if unit.path.startswith(u.path)]
    codename = perm
    users = (
        User.objects.filter(is_active=True, unit__in=ancestors)
        .filter(
            Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label="products",
            )
            | Q(user_permissions__codename=codename)
        )
        .distinct()
    )
    return [u for u in users if u.has_perm(f"products.{perm}")]


# --- reviews --------------------------------------------------------------------------------------


def _clean_self_check(self_check: Mapping[str, str] | None) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item, answer in (self_check or {}).items():
        if item not in SelfCheck.values:
            raise DomainError(
                "未知的自查项目：%(item)s。",
                params={"item": item},
                code="invalid",
                field="self_check",
            )
        if answer not in CheckAnswer.values:
            raise DomainError(
                "自查项目“%(label)s”的答案无效。",
                params={"label": SelfCheck(item).label},
                code="invalid",
                field="self_check",
            )
        answers[item] = answer
    return answers


def _next_number(at: datetime) -> str:
    prefix = f"XS{_local(at).year}"
    last = (
        Review.objects.select_for_update()
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _add_document(
    *, actor: Any, review: Review, document: Any, version: int, at: datetime
) -> ReviewDocument:
    """An upload (kept as evidence, hashed) or a mapping {name, sha256} of a file kept elsewhere."""
    if isinstance(document, Mapping):
        name = str(document.get("name", "")).strip()
        sha = str(document.get("sha256", "")).strip().lower()
        if not name or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise DomainError(
                "送审文件须有文件名和64位SHA-256哈希。", code="invalid", field="documents"
            )
        evidence = None
    else:
        evidence = evidence_add(
            actor=actor,
            target=review,
            unit=review.unit,
            upload=document,
            label=f"送审文件 v{version}",
        )
        name, sha = evidence.original_name, evidence.sha256
    return ReviewDocument.objects.create(
        review=review,
        version=version,
        name=name[:200],
        sha256=sha,
        evidence=evidence,
        uploaded_by=actor,
        uploaded_at=at,
    )


@transaction.atomic
def review_submit(
    *,
    actor: Any,
    object_type: str,
    title: str,
    unit: Unit,
    subject: Any = None,
    documents: Sequence[Any] = (),
    planned_launch: date | None = None,
    self_check: Mapping[str, str] | None = None,
    product: Product | None = None,
    department: Department | None = None,
    summary: str = "",
    at: datetime | None = None,
) -> Review:
    """Put a product, contract, fee, text, rule or agreement to consumer-protection review.

    The review is assigned by object type (`ReviewRoute`) and due after the configured number of
    working days on the Chinese working calendar. `subject` is any record the review is about
    (told of the conclusion through `hooks.on_review_concluded`).
    """
    _require(actor, "add_review", unit)
    if object_type not in ObjectType.values:
        raise DomainError("请选择审查对象类型。", code="invalid", field="object_type")
    if not (title or "").strip():
        raise DomainError("请填写审查事项。", code="required", field="title")
    now = at or clock_now()
    if planned_launch is not None and planned_launch < _local(now):
        raise DomainError(
            "计划上线日期不能早于送审日期（不得先上线后审查）。",
            code="invalid",
            field="planned_launch",
        )
    if department is not None and department.unit_id != unit.pk:
        raise DomainError("送审部门不属于送审机构。", code="invalid", field="department")
    answers = _clean_self_check(self_check)
    own = getattr(actor, "department", None)
    if department is None and own is not None and own.unit_id == unit.pk:
        department = own
    route = ReviewRoute.objects.filter(object_type=object_type).select_related("reviewer").first()
    review = Review.objects.create(
        number=_next_number(now),
        object_type=object_type,
        title=title.strip()[:200],
        unit=unit,
        department=department,
        product=product,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        summary=(summary or "").strip(),
        planned_launch=planned_launch,
        self_check=answers,
        submitted_by=actor,
        submitted_at=now,
        reviewer=route.reviewer if route and route.reviewer.is_active else None,
        due_on=_calendar().add_workdays(_local(now), conf.review_working_days()),
    )
    for document in documents:
        _add_document(actor=actor, review=review, document=document, version=1, at=now)
    failed = "；".join(str(SelfCheck(k).label) for k, v in answers.items() if v == CheckAnswer.NO)
    record_event(
        review,
        action="submit",
        action_label="送审",
        actor=actor,
        unit=unit,
        to_status=review.status,
        data={"reviewer": review.reviewer_id, "due_on": review.due_on.isoformat()},
        reason=f"自查不符合项：{failed}" if failed else "",
        at=now,
    )
    _notify(
        [review.reviewer] if review.reviewer else _holders_of("review_review", unit),
        review,
        kind=NotificationKind.NOTICE,
        title=f"消保审查待办：{review.number}",
        body=f"{review.get_object_type_display()}“{review.title}”已送审，请于{review.due_on:%Y-%m-%d}前出具审查意见。",
        now=now,
    )
    return review


@transaction.atomic
def review_add_document(*, actor: Any, review: Review, document: Any) -> ReviewDocument:
    """A new version of the documents (e.g. revised after opinions), while the review is open."""
    _require(actor, "add_review", review.unit)
    review = _locked(review)
    if not review.is_open:
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能再上传送审文件。",
            params={"status": choice_label(review, "status")},
            code="invalid_transition",
        )
    now = clock_now()
    last = review.documents.order_by("-version").values_list("version", flat=True).first() or 0
    doc = _add_document(actor=actor, review=review, document=document, version=last + 1, at=now)
    record_event(
        review,
        action="add_document",
        action_label="上传新版本",
        actor=actor,
        unit=review.unit,
        data={"version": doc.version, "sha256": doc.sha256, "name": doc.name},
        at=now,
    )
    return doc


@transaction.atomic
def opinion_issue(
    *,
    actor: Any,
    review: Review,
    location: str,
    issue: str,
    basis: str,
    kind: str,
    severity: str = Severity.MEDIUM,
    at: datetime | None = None,
) -> Opinion:
    """The reviewer's opinion: where, what, on which rule, and whether it must be adopted."""
    _require(actor, "review_review", review.unit)
    for name, value in (("location", location), ("issue", issue), ("basis", basis)):
        if not (value or "").strip():
            label = {"location": "文件位置", "issue": "问题", "basis": "依据条款"}[name]
            raise DomainError(
                "请填写%(label)s。", params={"label": lazy_text(label)}, code="required", field=name
            )
    if kind not in OpinionKind.values:
        raise DomainError("请选择意见类型（必须采纳或建议采纳）。", code="invalid", field="kind")
    if severity not in Severity.values:
        raise DomainError("请选择严重程度。", code="invalid", field="severity")
    review = _locked(review)
    now = at or clock_now()
    before = review.status
    if review.status != ReviewStatus.OPINIONS:
        _move(review, ReviewStatus.OPINIONS, "出具审查意见")
    if review.reviewer_id is None:
        review.reviewer = actor
    review.save(update_fields=["status", "reviewer"])
    number = (review.opinions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    opinion = Opinion.objects.create(
        review=review,
        number=number,
        location=location.strip()[:200],
        issue=issue.strip(),
        basis=basis.strip()[:300],
        kind=kind,
        severity=severity,
        issued_by=actor,
        issued_at=now,
    )
    record_event(
        review,
        action="opinion_issue",
        action_label="出具审查意见",
        actor=actor,
        unit=review.unit,
        from_status=before if before != review.status else "",
        to_status=review.status if before != review.status else "",
        reason=f"第{number}条（{opinion.get_kind_display()}）：{opinion.issue}",
        data={"opinion": opinion.pk, "kind": kind},
        at=now,
    )
    _notify(
        [review.submitted_by],
        review,
        kind=NotificationKind.NOTICE,
        title=f"消保审查意见待答复：{review.number}",
        body=f"“{review.title}”收到第{number}条审查意见（{opinion.get_kind_display()}），请逐条答复。",
        now=now,
    )
    return opinion


def _settle(review: Review, *, actor: Any, now: datetime) -> None:
    """When every opinion has an answer and no escalation is pending, the review is answered."""
    opinions = list(review.opinions.all())
    if any(o.awaits_decision for o in opinions):
        target = ReviewStatus.ESCALATED
    elif all(o.response for o in opinions):
        target = ReviewStatus.ANSWERED
    else:
        target = ReviewStatus.OPINIONS
    if target == review.status:
        return
    before = _move(review, target, "变更状态")
    review.save(update_fields=["status"])
    labels = {
        ReviewStatus.ESCALATED: ("escalate", "不采纳必须采纳意见，升级至分管行领导"),
        ReviewStatus.ANSWERED: ("answered", "意见全部答复"),
        ReviewStatus.OPINIONS: ("reopen_opinions", "待重新答复"),
    }
    action, label = labels[ReviewStatus(target)]
    record_event(
        review,
        action=action,
        action_label=label,
        actor=actor,
        unit=review.unit,
        from_status=before,
        to_status=target,
        at=now,
    )


@transaction.atomic
def opinion_answer(
    *,
    actor: Any,
    opinion: Opinion,
    response: str,
    reason: str = "",
    approver: Any = None,
    at: datetime | None = None,
) -> Opinion:
    """The business's answer; rejecting a mandatory opinion escalates it to the 分管行领导."""
    review = opinion.review
    _require(actor, "answer_opinion", review.unit)
    if response not in Response.values:
        raise DomainError(
            "请选择答复（采纳、部分采纳或不采纳）。", code="invalid", field="response"
        )
    reason = (reason or "").strip()
    if response != Response.ADOPTED and not reason:
        raise DomainError("部分采纳或不采纳须说明理由。", code="required", field="reason")
    if response == Response.NOT_ADOPTED:
        if approver is None:
            raise DomainError("不采纳须填写审批人。", code="required", field="approver")
        if not getattr(approver, "is_active", False):
            raise DomainError("审批人账号已停用。", code="invalid", field="approver")
    review = _locked(review)
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if review.status not in (ReviewStatus.OPINIONS, ReviewStatus.ESCALATED, ReviewStatus.ANSWERED):
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能答复审查意见。",
            params={"status": choice_label(review, "status")},
            code="invalid_transition",
        )
    if opinion.response:
        raise InvalidTransitionError("该意见已答复。", code="invalid_transition")
    if opinion.decision == Decision.UPHELD and response == Response.NOT_ADOPTED:
        raise DomainError(
            "分管行领导已决定维持该意见，须采纳或部分采纳。", code="invalid", field="response"
        )
    now = at or clock_now()
    opinion.response = response
    opinion.response_reason = reason
    opinion.response_approver = approver if response == Response.NOT_ADOPTED else None
    opinion.responded_by = actor
    opinion.responded_at = now
    escalate = response == Response.NOT_ADOPTED and opinion.kind == OpinionKind.MANDATORY
    if escalate:
        opinion.escalated = True
    opinion.save()
    record_event(
        review,
        action="opinion_answer",
        action_label="答复审查意见",
        actor=actor,
        unit=review.unit,
        reason=f"第{opinion.number}条：{opinion.get_response_display()}"
        + (f"，{reason}" if reason else ""),
        data={
            "opinion": opinion.pk,
            "response": response,
            "approver": getattr(approver, "pk", None),
        },
        at=now,
    )
    _settle(review, actor=actor, now=now)
    if escalate:
        _notify(
            _holders_of("decide_escalation", review.unit),
            review,
            kind=NotificationKind.ESCALATION,
            title=f"消保审查意见升级：{review.number}",
            body=f"“{review.title}”的第{opinion.number}条必须采纳意见未被采纳，请决定。",
            urgent=True,
            now=now,
        )
    return opinion


@transaction.atomic
def opinion_decide(
    *, actor: Any, opinion: Opinion, decision: str, note: str, at: datetime | None = None
) -> Opinion:
    """The 分管行领导 upholds the rejected mandatory opinion (it must be adopted) or waives it."""
    review = opinion.review
    _require(actor, "decide_escalation", review.unit)
    if decision not in Decision.values:
        raise DomainError("请选择决定。", code="invalid", field="decision")
    if not (note or "").strip():
        raise DomainError("请填写决定说明。", code="required", field="note")
    review = _locked(review)
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if not opinion.awaits_decision:
        raise InvalidTransitionError("该意见没有待决定的升级。", code="invalid_transition")
    now = at or clock_now()
    opinion.decision = decision
    opinion.decision_note = note.strip()
    opinion.decided_by = actor
    opinion.decided_at = now
    if decision == Decision.UPHELD:
        # The business answers again, and may no longer reject it.
        opinion.response = ""
    opinion.save()
    record_event(
        review,
        action="opinion_decide",
        action_label="分管行领导决定",
        actor=actor,
        unit=review.unit,
        reason=f"第{opinion.number}条：{opinion.get_decision_display()}，{opinion.decision_note}",
        data={"opinion": opinion.pk, "decision": decision},
        at=now,
    )
    _settle(review, actor=actor, now=now)
    return opinion


@transaction.atomic
def review_conclude(
    *,
    actor: Any,
    review: Review,
    conclusion: str,
    note: str = "",
    at: datetime | None = None,
) -> Review:
    """The reviewer's conclusion; the latest document version becomes the approved version."""
    _require(actor, "review_review", review.unit)
    if conclusion not in Conclusion.values:
        raise DomainError("请选择审查结论。", code="invalid", field="conclusion")
    note = (note or "").strip()
    if conclusion != Conclusion.PASSED and not note:
        raise DomainError("修改后通过或不通过须填写结论说明。", code="required", field="note")
    review = _locked(review)
    if review.status == ReviewStatus.SUBMITTED and review.opinions.exists():
        raise InvalidTransitionError("尚有审查意见未答复。", code="invalid_transition")
    if review.status in (ReviewStatus.OPINIONS, ReviewStatus.ESCALATED):
        raise InvalidTransitionError(
            "尚有审查意见未答复或升级待决定，不能出具结论。", code="invalid_transition"
        )
    now = at or clock_now()
    before = _move(review, ReviewStatus.CONCLUDED, "出具结论")
    latest = review.documents.order_by("-version", "-id").first()
    review.conclusion = conclusion
    review.conclusion_note = note
    review.concluded_at = now
    review.concluded_by = actor
    review.turnaround_days = working_days_between(_local(review.submitted_at), _local(now))
    if conclusion in LAUNCHABLE and latest is not None:
        review.approved_document = latest
        review.approved_sha256 = latest.sha256
    review.save()
    record_event(
        review,
        action="conclude",
        action_label="出具审查结论",
        actor=actor,
        unit=review.unit,
        from_status=before,
        to_status=review.status,
        reason=f"{review.get_conclusion_display()}" + (f"：{note}" if note else ""),
        data={"conclusion": conclusion, "approved_sha256": review.approved_sha256},
        at=now,
    )
    hooks.notify_concluded(review=review, subject=review.subject)
    _notify(
        [review.submitted_by],
        review,
        kind=NotificationKind.NOTICE,
        title=f"消保审查结论：{review.number}",
        body=f"“{review.title}”的审查结论为{review.get_conclusion_display()}。",
        now=now,
    )
    return review


@transaction.atomic
def review_withdraw(*, actor: Any, review: Review, reason: str) -> Review:
    _require(actor, "add_review", review.unit)
    if not (reason or "").strip():
        raise DomainError("请填写撤回原因。", code="required", field="reason")
    review = _locked(review)
    before = _move(review, ReviewStatus.WITHDRAWN, "撤回")
    review.save(update_fields=["status"])
    record_event(
        review,
        action="withdraw",
        action_label="撤回",
        actor=actor,
        unit=review.unit,
        from_status=before,
        to_status=review.status,
        reason=reason.strip(),
    )
    return review


def _sha256_of(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def review_register_launch(
    *,
    actor: Any,
    review: Review,
    launched_on: date,
    upload: Any = None,
    sha256: str = "",
    at: datetime | None = None,
) -> LaunchRegistration:
    """Register what went live. The launched document's hash must equal the approved version's:
    a mismatch is recorded and raises an alert, and the review stays unlaunched."""
    _require(actor, "register_launch", review.unit)
    if upload is None and not sha256:
        raise DomainError("请上传上线版本文件或填写其哈希。", code="required", field="file")
    sha = _sha256_of(upload) if upload is not None else sha256.strip().lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise DomainError("上线版本哈希应为64位十六进制SHA-256。", code="invalid", field="sha256")
    review = _locked(review)
    if review.status != ReviewStatus.CONCLUDED or review.conclusion not in LAUNCHABLE:
        raise InvalidTransitionError(
            "只有审查通过（或修改后通过）且尚未上线的事项可以登记上线。", code="invalid_transition"
        )
    if not review.approved_sha256:
        raise DomainError(
            "该审查没有审定的文件版本，无法核对上线版本。", code="invalid", field="file"
        )
    now = at or clock_now()
    if launched_on < _local(review.concluded_at or now):
        raise DomainError("实际上线日期早于审查结论日期。", code="invalid", field="launched_on")
    matches = sha == review.approved_sha256
    registration = LaunchRegistration.objects.create(
        review=review,
        launched_on=launched_on,
        sha256=sha,
        file_name=str(getattr(upload, "name", ""))[:200],
        matches=matches,
        registered_by=actor,
        registered_at=now,
    )
    if matches:
        before = _move(review, ReviewStatus.LAUNCHED, "登记上线")
        review.save(update_fields=["status"])
        record_event(
            review,
            action="launch",
            action_label="登记上线",
            actor=actor,
            unit=review.unit,
            from_status=before,
            to_status=review.status,
            data={"sha256": sha, "launched_on": launched_on.isoformat()},
            at=now,
        )
        if review.product_id:
            product = Product.objects.select_for_update().get(pk=review.product_id)
            if product.launched_on is None:
                product.launched_on = launched_on
            if product.status == ProductStatus.DESIGN:
                product.status = ProductStatus.ON_SALE
            product.save(update_fields=["launched_on", "status"])
        return registration
    record_event(
        review,
        action="launch_mismatch",
        action_label="上线版本与审定版本不一致",
        actor=actor,
        unit=review.unit,
        reason="上线文件的哈希与审定版本不一致，已告警。",
        data={"sha256": sha, "approved_sha256": review.approved_sha256},
        at=now,
    )
    recipients = [review.reviewer, *_holders_of("review_review", review.unit)]
    _notify(
        recipients,
        review,
        kind=NotificationKind.ESCALATION,
        title=f"上线版本与审定版本不一致：{review.number}",
        body=f"“{review.title}”登记上线的文件与审查通过的版本不一致，请核查。",
        urgent=True,
        now=now,
    )
    return registration


# --- product register -----------------------------------------------------------------------------


def _check_grade(value: str, field: str) -> None:
    if value not in Grade.values:
        raise DomainError("请选择风险等级（R1–R5）。", code="invalid", field=field)


@dataclass
class ProductData:
    code: str
    name: str
    kind: str
    issuer: str
    issuer_grade: str
    seller_grade: str
    target_class: str
    owner_department: Department | None = None
    status: str = ProductStatus.DESIGN
    launched_on: date | None = None


@transaction.atomic
def product_register(*, actor: Any, data: ProductData, at: datetime | None = None) -> Product:
    """Enter a product in the register; its effective grade is the higher of the two grades."""
    _require(actor, "add_product", None)
    code = data.code.strip()
    if not code:
        raise DomainError("请填写产品代码。", code="required", field="code")
    if not data.name.strip():
        raise DomainError("请填写产品名称。", code="required", field="name")
    if data.kind not in ProductKind.values:
        raise DomainError("请选择产品类型。", code="invalid", field="kind")
    if not data.issuer.strip():
        raise DomainError("请填写发行机构。", code="required", field="issuer")
    _check_grade(data.issuer_grade, "issuer_grade")
    _check_grade(data.seller_grade, "seller_grade")
    if data.target_class not in RiskClass.values:
        raise DomainError("请选择目标客户类别（C1–C5）。", code="invalid", field="target_class")
    if data.status not in ProductStatus.values:
        raise DomainError("请选择产品状态。", code="invalid", field="status")
    if Product.objects.filter(code=code).exists():
        raise DomainError("该产品代码已在产品库中。", code="duplicate", field="code")
    now = at or clock_now()
    effective = higher_grade(data.issuer_grade, data.seller_grade)
    product = Product.objects.create(
        code=code,
        name=data.name.strip(),
        kind=data.kind,
        issuer=data.issuer.strip(),
        issuer_grade=data.issuer_grade,
        seller_grade=data.seller_grade,
        effective_grade=effective,
        target_class=data.target_class,
        status=data.status,
        owner_department=data.owner_department,
        launched_on=data.launched_on,
        created_at=now,
    )
    GradeChange.objects.create(
        product=product,
        issuer_grade=data.issuer_grade,
        seller_grade=data.seller_grade,
        effective_grade=effective,
        reason="初始评级",
        changed_by=actor,
        changed_at=now,
    )
    _product_event(
        product, actor=actor, action="register", label="登记产品", to=product.status, at=now
    )
    return product


def _product_event(
    product: Product,
    *,
    actor: Any,
    action: str,
    label: str,
    to: str = "",
    before: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    root = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    record_event(
        product,
        action=action,
        action_label=label,
        actor=actor,
        unit=root,
        from_status=before,
        to_status=to,
        reason=reason,
        data=data,
        at=at,
    )


@transaction.atomic
def product_regrade(
    *,
    actor: Any,
    product: Product,
    issuer_grade: str,
    seller_grade: str,
    reason: str,
    at: datetime | None = None,
) -> GradeChange:
    """Re-grade a product (dynamic grading). When the effective grade rises, every holder sold it
    at the lower grade is owed new advice (a `ReadviceNotice` per customer and selling unit)."""
    _require(actor, "change_product", None)
    _check_grade(issuer_grade, "issuer_grade")
    _check_grade(seller_grade, "seller_grade")
    if not (reason or "").strip():
        raise DomainError("请填写调整原因。", code="required", field="reason")
    product = Product.objects.select_for_update().get(pk=product.pk)
    now = at or clock_now()
    previous = product.effective_grade
    effective = higher_grade(issuer_grade, seller_grade)
    product.issuer_grade, product.seller_grade = issuer_grade, seller_grade
    product.effective_grade = effective
    product.save(update_fields=["issuer_grade", "seller_grade", "effective_grade"])
    change = GradeChange.objects.create(
        product=product,
        issuer_grade=issuer_grade,
        seller_grade=seller_grade,
        effective_grade=effective,
        previous_grade=previous,
        reason=reason.strip()[:300],
        changed_by=actor,
        changed_at=now,
    )
    owed = 0
    if level(effective) > level(previous):
        holders = (
            SaleCheck.objects.filter(product=product)
            .exclude(result=CheckResult.BLOCKED)
            .values_list("customer_key", "unit_id")
            .distinct()
        )
        notices = [
            ReadviceNotice(
                product=product,
                grade_change=change,
                customer_key=key,
                unit_id=unit_id,
                created_at=now,
            )
            for key, unit_id in dict(holders).items()
        ]
        owed = len(ReadviceNotice.objects.bulk_create(notices, ignore_conflicts=True))
    _product_event(
        product,
        actor=actor,
        action="regrade",
        label="调整风险等级",
        reason=f"{previous}→{effective}：{reason.strip()}",
        data={"readvice_owed": owed},
        at=now,
    )
    return change


@transaction.atomic
def product_set_status(*, actor: Any, product: Product, status: str, reason: str) -> Product:
    """Put a product on sale, suspend or withdraw it. Going on sale needs a launched review."""
    _require(actor, "change_product", None)
    if status not in ProductStatus.values:
        raise DomainError("请选择产品状态。", code="invalid", field="status")
    if not (reason or "").strip():
        raise DomainError("请填写原因。", code="required", field="reason")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if status == product.status:
        raise InvalidTransitionError("产品已是该状态。", code="invalid_transition")
    if (
        status == ProductStatus.ON_SALE
        and not product.reviews.filter(status=ReviewStatus.LAUNCHED).exists()
    ):
        raise InvalidTransitionError(
            "该产品没有通过消保审查并登记上线的记录，不能在售。", code="invalid_transition"
        )
    before = product.status
    product.status = status
    product.save(update_fields=["status"])
    _product_event(
        product,
        actor=actor,
        action="status",
        label="变更产品状态",
        before=before,
        to=status,
        reason=reason.strip(),
    )
    return product


@transaction.atomic
def readvice_mark_sent(*, actor: Any, notice: ReadviceNotice) -> ReadviceNotice:
    _require(actor, "change_readvicenotice", notice.unit)
    notice = ReadviceNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.sent_at:
        raise InvalidTransitionError("已告知。", code="invalid_transition")
    notice.sent_at = clock_now()
    notice.save(update_fields=["sent_at"])
    return notice


# --- suitability ----------------------------------------------------------------------------------


def customer_key(customer_id: str) -> str:
    """The keyed hash (HMAC, `privacy.crypto`) that stands for a customer: never the ID itself."""
    key = blind_index(customer_id or "", kind="id_number")
    if not key:
        raise DomainError("请填写客户证件号码。", code="required", field="customer_id")
    return key


@transaction.atomic
def profile_record(
    *,
    actor: Any,
    customer_id: str,
    risk_class: str,
    questionnaire_version: str,
    unit: Unit,
    channel: str = Channel.COUNTER,
    age_band: str = AgeBand.FROM_40,
    investor_type: str = InvestorType.ORDINARY,
    assessed_at: datetime | None = None,
) -> RiskProfile:
    """Record one risk assessment, keyed by the hash of the customer's ID number."""
    _require(actor, "add_riskprofile", unit)
    key = customer_key(customer_id)
    if risk_class not in RiskClass.values:
        raise DomainError("请选择风险承受能力（C1–C5）。", code="invalid", field="risk_class")
    if not (questionnaire_version or "").strip():
        raise DomainError("请填写问卷版本。", code="required", field="questionnaire_version")
    if channel not in Channel.values:
        raise DomainError("请选择测评渠道。", code="invalid", field="channel")
    if age_band not in AgeBand.values:
        raise DomainError("请选择年龄段。", code="invalid", field="age_band")
    if investor_type not in InvestorType.values:
        raise DomainError("请选择投资者类型。", code="invalid", field="investor_type")
    at = assessed_at or clock_now()
    day = _local(at)
    same_day = [
        p
        for p in RiskProfile.objects.filter(
            customer_key=key, assessed_at__date__gte=day - timedelta(days=1)
        )
        if _local(p.assessed_at) == day
    ]
    return RiskProfile.objects.create(
        customer_key=key,
        risk_class=risk_class,
        questionnaire_version=questionnaire_version.strip()[:20],
        assessed_at=at,
        expires_on=day + timedelta(days=conf.profile_valid_days()),
        attempt=len(same_day) + 1,
        channel=channel,
        age_band=age_band,
        investor_type=investor_type,
        unit=unit,
        assessor=actor,
    )


def _flags(
    *, product: Product, key: str, at: datetime, dual_recording_ref: str
) -> tuple[RiskProfile | None, list[str]]:
    profile = (
        RiskProfile.objects.filter(customer_key=key, assessed_at__lte=at)
        .order_by("-assessed_at", "-id")
        .first()
    )
    flags: list[str] = []
    if product.status != ProductStatus.ON_SALE:
        flags.append(Flag.PRODUCT_NOT_ON_SALE)
    if profile is None:
        flags.append(Flag.NO_PROFILE)
    else:
        if profile.expires_on < _local(at):
            flags.append(Flag.EXPIRED_PROFILE)
        if level(product.effective_grade) > level(profile.risk_class):
            flags.append(Flag.GRADE_ABOVE_CLASS)
        day = _local(profile.assessed_at)
        that_day = [
            p
            for p in RiskProfile.objects.filter(
                customer_key=key, assessed_at__lte=profile.assessed_at
            ).order_by("assessed_at", "id")
            if _local(p.assessed_at) == day
        ]
        retests = len(that_day) - 1
        if retests >= conf.retest_threshold() and level(that_day[-1].risk_class) > level(
            that_day[0].risk_class
        ):
            flags.append(Flag.RETEST_ANOMALY)
        if (
            profile.age_band == conf.elderly_age_band()
            and product.effective_grade in conf.top_grades()
        ):
            flags.append(Flag.ELDERLY_TOP_GRADE)
    if product.kind in DUAL_RECORDED_KINDS and not (dual_recording_ref or "").strip():
        flags.append(Flag.NO_DUAL_RECORDING)
    return profile, [str(f) for f in flags]


def _result(flags: Sequence[str]) -> str:
    if any(f in BLOCKING_FLAGS for f in flags):
        return CheckResult.BLOCKED
    return CheckResult.WARNED if flags else CheckResult.MATCHED


@transaction.atomic
def sale_check(
    *,
    actor: Any,
    product: Product,
    customer_id: str,
    unit: Unit,
    seller: Any = None,
    seller_qualification: str = "",
    dual_recording_ref: str = "",
    external_ref: str = "",
    source: str = CheckSource.API,
    at: datetime | None = None,
) -> SaleCheck:
    """Answer matched / warned / blocked for selling `product` to the customer, and record it.

    Blocked: no profile, an expired one, a product grade above the customer's class, or a product
    not on sale. Warned: re-tests ending higher the same day, a top grade for an elderly customer,
    no 双录 reference. Only the customer's keyed hash is stored.
    """
    _require(actor, "add_salecheck", unit)
    key = customer_key(customer_id)
    if seller is not None and not unit_in_scope(seller, unit):
        # A seller belongs to the selling unit or one above it.
        raise DomainError("销售人员不属于销售机构。", code="invalid", field="seller")
    now = at or clock_now()
    profile, flags = _flags(product=product, key=key, at=now, dual_recording_ref=dual_recording_ref)
    check = SaleCheck.objects.create(
        product=product,
        customer_key=key,
        profile=profile,
        unit=unit,
        seller=seller,
        seller_qualification=(seller_qualification or "").strip()[:40],
        checked_at=now,
        product_grade=product.effective_grade,
        customer_class=profile.risk_class if profile else "",
        result=_result(flags),
        flags=flags,
        dual_recording_ref=(dual_recording_ref or "").strip()[:60],
        elderly=bool(profile and profile.age_band == conf.elderly_age_band()),
        source=source,
        external_ref=(external_ref or "").strip()[:60],
        checked_by=actor,
    )
    return check


IMPORT_COLUMNS = (
    "product_code",
    "customer_id",
    "unit_code",
    "sold_at",
    "seller",
    "seller_qualification",
    "dual_recording_ref",
    "external_ref",
)


@transaction.atomic
def sales_import(*, actor: Any, upload: Any) -> list[SaleCheck]:
    """Import a CSV of sales made in the sales system and audit each one like a sale check.

    All or nothing: the first bad line refuses the whole file, naming the line and the column.
    """
    if actor is None or not actor.has_perm("products.import_sales"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    raw = upload.read() if hasattr(upload, "read") else upload
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(
                "文件须为UTF-8编码的CSV。", code="invalid_file", field="file"
            ) from exc
    reader = csv.DictReader(io.StringIO(raw))
    missing = [c for c in IMPORT_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(
            "CSV缺少列：%(columns)s。",
            params={"columns": lazy_list(missing)},
            code="invalid_file",
            field="file",
        )
    User = get_user_model()
    products = {p.code: p for p in Product.objects.all()}
    units = {u.code: u for u in Unit.objects.filter(is_active=True)}
    checks: list[SaleCheck] = []
    for line, row in enumerate(reader, start=2):

        def bad(message: str, column: str, line: int = line) -> DomainError:
            return DomainError(
                "第%(line)s行“%(column)s”：%(message)s",
                params={"line": line, "column": column, "message": lazy_text(message)},
                code="invalid",
                field="file",
            )

        product = products.get((row.get("product_code") or "").strip())
        if product is None:
            raise bad("产品代码不在产品库中。", "product_code")
        unit = units.get((row.get("unit_code") or "").strip())
        if unit is None or not unit_in_scope(actor, unit):
            raise bad("机构代码不存在或不在您的管辖范围内。", "unit_code")
        try:
            sold_at = datetime.fromisoformat((row.get("sold_at") or "").strip())
        except ValueError as exc:
            raise bad("销售时间格式应为 YYYY-MM-DD HH:MM。", "sold_at") from exc
        if timezone.is_naive(sold_at):
            sold_at = timezone.make_aware(sold_at)
        if sold_at > clock_now():
            raise bad("销售时间晚于当前时间。", "sold_at")
        seller = None
        if (row.get("seller") or "").strip():
            seller = User.objects.filter(username=row["seller"].strip()).first()
            if seller is None:
                raise bad("销售人员账号不存在。", "seller")
        if not (row.get("customer_id") or "").strip():
            raise bad("请填写客户证件号码。", "customer_id")
        checks.append(
            sale_check(
                actor=actor,
                product=product,
                customer_id=row["customer_id"],
                unit=unit,
                seller=seller,
                seller_qualification=row.get("seller_qualification") or "",
                dual_recording_ref=row.get("dual_recording_ref") or "",
                external_ref=row.get("external_ref") or "",
                source=CheckSource.IMPORT,
                at=sold_at,
            )
        )
    if not checks:
        raise DomainError("文件中没有销售记录。", code="required", field="file")
    return checks


# --- complaints naming a product ------------------------------------------------------------------


@transaction.atomic
def product_link_complaint(*, actor: Any, product: Product, complaint: Any) -> ProductComplaint:
    """Record that a complaint concerns a product (the CP office's own judgement)."""
    _require(actor, "add_productcomplaint", complaint.unit)
    link, created = ProductComplaint.objects.get_or_create(
        product=product,
        complaint=complaint,
        defaults={
            "received_at": complaint.received_at,
            "complaint_status": complaint.status,
            "linked_at": clock_now(),
            "linked_by": actor,
        },
    )
    if not created:
        raise DomainError("该投诉已关联此产品。", code="duplicate", field="complaint")
    _product_event(
        product,
        actor=actor,
        action="link_complaint",
        label="关联投诉",
        reason=complaint.registry_no,
        data={"complaint": complaint.pk},
    )
    return link


def _product_codes() -> list[str]:
    """Codes long enough to be recognised in a case's text."""
    return [c for c in Product.objects.values_list("code", flat=True) if len(c) >= 4]


def complaint_event_followed(event: Any) -> None:
    """Complaint hook: link a case whose title or narrative names a product code, and keep the
    links' copy of the case status current. Runs inside the complaint's transaction.

    A case being registered has no links yet, and a bulk import reads the product codes once
    (`lib.memo`): its registrations ask nothing of the database unless a code is named."""
    complaint = event.complaint
    if event.action != "register":
        ProductComplaint.objects.filter(complaint=complaint).exclude(
            complaint_status=complaint.status
        ).update(complaint_status=complaint.status)
    if event.action not in ("register", "edit", "update"):
        return
    text = f"{complaint.title}\n{complaint.narrative}".upper()
    codes = memo.remembered("product_codes", _product_codes, stamp=memo.PRODUCTS)
    named = [c for c in codes if c.upper() in text]
    if not named:
        return
    now = clock_now()
    for product in Product.objects.filter(code__in=named):
        ProductComplaint.objects.get_or_create(
            product=product,
            complaint=complaint,
            defaults={
                "received_at": complaint.received_at,
                "complaint_status": complaint.status,
                "linked_at": now,
                "automatic": True,
            },
        )


# --- reminders ------------------------------------------------------------------------------------


def review_remind_overdue(*, now: datetime) -> int:
    """Tell the reviewer (or the reviewers on duty) of every open review past its due day, once
    per review and day; returns the notices written."""
    today = _local(now)
    written = 0
    for review in Review.objects.filter(
        status__in=(ReviewStatus.SUBMITTED, ReviewStatus.ANSWERED), due_on__lt=today
    ).select_related("reviewer", "unit"):
        with transaction.atomic():
            recipients = (
                [review.reviewer] if review.reviewer else _holders_of("review_review", review.unit)
            )
            people = [u for u in recipients if u is not None and u.is_active]
            if not people:
                continue
            from django.urls import reverse

            from xiaobao.watch.notify import notify_record

            written += len(
                notify_record(
                    recipients=people,
                    target=review,
                    unit=review.unit,
                    kind=NotificationKind.REMINDER,
                    title=f"消保审查已超期：{review.number}",
                    body=f"“{review.title}”的审查期限为{review.due_on:%Y-%m-%d}，请尽快出具意见或结论。",
                    url=reverse("products:review", args=[review.pk]),
                    dedupe_key=f"products.review_overdue:{review.pk}:{today.isoformat()}",
                    now=now,
                )
            )
    return written
