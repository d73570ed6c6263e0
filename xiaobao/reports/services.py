"""Writes of the reports app: typical cases, alerts and background report files.

Reports read complaints and never change them; whatever leaves a case (a typical case, an
export) passes through privacy's `redact()` and the masking of the case's own people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.timezone import localtime

from xiaobao.audit.services import audit_record
from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError, PermissionDeniedError, choice_label
from xiaobao.lib.officialdoc import chinese_date
from xiaobao.organisation.choices import DepartmentFunction
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.privacy.masking import mask_address, mask_name
from xiaobao.privacy.redaction import redact
from xiaobao.reports.choices import ALERT_TRANSITIONS, AlertKind, RunKind, RunStatus, TemplateKey
from xiaobao.reports.models import Alert, ReportRun, TypicalCase

TYPICAL_STATUSES = (Status.NOTIFIED, Status.CLOSED)


def _require(actor: Any, perm: str, unit: Unit | None) -> None:
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not actor.has_perm(f"reports.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。")
    if unit is not None and not unit_in_scope(actor, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _need(value: str, message: str, field: str) -> str:
    if not value or not value.strip():
        raise DomainError(message, code="required", field=field)
    return value.strip()


# --- redaction -----------------------------------------------------------------------------------


def _known_personal_values(complaint: Complaint) -> list[tuple[str, str]]:
    """(value, mask) for the names and addresses the case itself holds, longest first."""
    pairs: list[tuple[str, str]] = []
    for person in complaint.complainants.all():
        for name in (person.name, person.represents, person.legal_representative):
            if name and len(name.strip()) >= 2:
                pairs.append((name.strip(), mask_name(name.strip())))
        if person.address and len(person.address.strip()) >= 4:
            pairs.append((person.address.strip(), mask_address(person.address.strip())))
    staff = complaint.complained_staff_name.strip()
    if len(staff) >= 2:
        pairs.append((staff, mask_name(staff)))
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def scrub(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """`redact()` (ID, phone, card, e-mail), then the case's own names and addresses masked."""
    text = redact(text or "")
    for value, masked in known:
        text = text.replace(value, masked)
    return text


def typical_case_draft(complaint: Complaint) -> tuple[str, str]:
    """A title and write-up pre-filled from the case, personal data removed."""
    known = _known_personal_values(complaint)
    decision = getattr(complaint, "decision", None)
    demands = "、".join(complaint.demands.values_list("name", flat=True))
    local = localtime(complaint.received_at)
    parts = [
        "【基本案情】",
        f"{local:%Y年%m月}，客户通过{complaint.intake_channel.name}反映：{complaint.narrative}",
    ]
    if demands or complaint.demand_text:
        parts.append(
            f"客户诉求：{demands}{'；' if demands and complaint.demand_text else ''}{complaint.demand_text}"
        )
    if decision is not None:
        parts += ["【调查核实】", decision.verified_facts, "【处理结果】"]
        result = f"{decision.get_outcome_display()}。{decision.reasons}"
        if decision.text:
            result += decision.text
        if decision.compensation:
            result += f"（补偿金额{decision.compensation}元）"
        parts.append(result)
    if complaint.root_cause:
        parts += ["【原因分析】", complaint.root_cause]
    write_up = "\n".join(scrub(p, known) for p in parts)
    return scrub(complaint.title, known), write_up


@transaction.atomic
def typical_case_mark(
    *, actor: Any, complaint: Complaint, title: str = "", lessons: str = "", tags: str = ""
) -> TypicalCase:
    """Mark an answered case as typical, with a redacted write-up to edit before publishing."""
    _require(actor, "add_typicalcase", complaint.unit)
    complaint = Complaint.objects.select_related("unit", "intake_channel").get(pk=complaint.pk)
    if complaint.status not in TYPICAL_STATUSES:
        raise DomainError("只有已告知处理决定或已办结的投诉可以作为典型案例。", code="not_answered")
    if TypicalCase.objects.filter(complaint=complaint).exists():
        raise DomainError("该投诉已是典型案例。", code="already_typical")
    draft_title, write_up = typical_case_draft(complaint)
    known = _known_personal_values(complaint)
    case = TypicalCase.objects.create(
        complaint=complaint,
        title=scrub(title.strip(), known)[:120] or draft_title[:120],
        write_up=write_up,
        lessons=scrub(lessons.strip(), known),
        tags=tags.strip()[:200],
        author=actor,
    )
    audit_record(
        actor=actor,
        action="typical_case.mark",
        obj=case,
        unit=complaint.unit,
        summary=f"{complaint.registry_no} {case.title}",
    )
    return case


@transaction.atomic
def typical_case_update(
    *, actor: Any, case: TypicalCase, title: str, write_up: str, lessons: str = "", tags: str = ""
) -> TypicalCase:
    """Edit the write-up; whatever is typed in is redacted again, so no ID or phone survives."""
    case = TypicalCase.objects.select_for_update().select_related("complaint__unit").get(pk=case.pk)
    _require(actor, "change_typicalcase", case.complaint.unit)
    known = _known_personal_values(case.complaint)
    case.title = scrub(_need(title, "请填写案例标题。", "title"), known)[:120]
    case.write_up = scrub(_need(write_up, "请填写案例内容。", "write_up"), known)
    case.lessons = scrub(lessons.strip(), known)
    case.tags = tags.strip()[:200]
    case.save()
    audit_record(
        actor=actor,
        action="typical_case.update",
        obj=case,
        unit=case.complaint.unit,
        summary=case.title,
    )
    return case


@transaction.atomic
def typical_case_publish(*, actor: Any, case: TypicalCase, publish: bool = True) -> TypicalCase:
    case = TypicalCase.objects.select_for_update().select_related("complaint__unit").get(pk=case.pk)
    _require(actor, "change_typicalcase", case.complaint.unit)
    if publish == (case.published_at is not None):
        raise DomainError("案例已发布。" if publish else "案例尚未发布。", code="unchanged")
    case.published_at = now() if publish else None
    case.save(update_fields=["published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="typical_case.publish" if publish else "typical_case.unpublish",
        obj=case,
        unit=case.complaint.unit,
        summary=case.title,
    )
    return case


# --- alerts --------------------------------------------------------------------------------------


@transaction.atomic
def alert_transition(*, actor: Any, alert: Alert, action: str, note: str = "") -> Alert:
    """Acknowledge, close or reopen an alert; each change leaves an audit row."""
    alert = Alert.objects.select_for_update().select_related("unit").get(pk=alert.pk)
    _require(actor, "change_alert", alert.unit)
    if action not in ALERT_TRANSITIONS:
        raise DomainError("未知的操作。", code="unknown_action")
    sources, target = ALERT_TRANSITIONS[action]
    if alert.status not in sources:
        raise DomainError(
            "预警当前状态为“%(status)s”，不能执行该操作。",
            params={"status": choice_label(alert, "status")},
            code="invalid_transition",
        )
    if action == "close":
        note = _need(note, "关闭预警须说明处理情况。", "note")
    before = alert.status
    alert.status = target
    alert.handled_by = actor
    alert.handled_at = now()
    if note:
        alert.note = note.strip()
    alert.save(update_fields=["status", "handled_by", "handled_at", "note"])
    audit_record(
        actor=actor,
        action=f"alert.{action}",
        obj=alert,
        unit=alert.unit,
        summary=str(alert),
        data={"from": before, "to": target, "note": note},
    )
    return alert


@transaction.atomic
def alert_update_notice(*, actor: Any, alert: Alert, text: str) -> Alert:
    """Save the officer's edit of the drafted consumer risk alert (消费风险提示)."""
    alert = Alert.objects.select_for_update().select_related("unit").get(pk=alert.pk)
    _require(actor, "change_alert", alert.unit)
    alert.risk_notice = redact(_need(text, "请填写风险提示内容。", "risk_notice"))
    alert.save(update_fields=["risk_notice"])
    audit_record(actor=actor, action="alert.notice", obj=alert, unit=alert.unit, summary=str(alert))
    return alert


# --- documents built in the background -----------------------------------------------------------

RUN_PERMISSIONS = {
    RunKind.REGULATOR_WORKBOOK: "view_regulator_report",
    RunKind.WORK_SUMMARY: "view_work_summary",
}


@transaction.atomic
def report_run_request(*, actor: Any, kind: str, unit: Unit, params: dict[str, Any]) -> ReportRun:
    """Queue a document for `unit`'s subtree; a worker builds it (`reports.build`)."""
    from xiaobao.jobs.services import enqueue

    if kind not in RUN_PERMISSIONS:
        raise DomainError("未知的报告类型。", code="unknown_kind")
    _require(actor, "add_reportrun", unit)
    _require(actor, RUN_PERMISSIONS[RunKind(kind)], unit)
    run = ReportRun.objects.create(kind=kind, unit=unit, params=params, requested_by=actor)
    enqueue("reports.build", {"run": run.pk})
    audit_record(actor=actor, action="report.request", obj=run, unit=unit, summary=str(run))
    return run


def report_build(*, kind: str, unit: Unit, params: dict[str, Any]) -> tuple[str, bytes]:
    """Build one document (file name, content) for `unit`'s subtree, in Chinese whatever the
    requester's interface language: these documents go to the regulator or are sent out."""
    with translation.override("zh-hans"):
        return _report_build(kind=kind, unit=unit, params=params)


def _report_build(*, kind: str, unit: Unit, params: dict[str, Any]) -> tuple[str, bytes]:
    from xiaobao.reports.selectors import UnitViewer

    viewer = UnitViewer(unit=unit)
    if kind == RunKind.REGULATOR_WORKBOOK:
        from xiaobao.reports.workbook import ReportPeriod, regulator_workbook

        period = ReportPeriod.parse(str(params["period"]))
        return f"{unit.code}-{period.code}-投诉统计.xlsx", regulator_workbook(
            viewer=viewer, period=period
        )
    if kind == RunKind.WORK_SUMMARY:
        from xiaobao.reports.summary import work_summary_docx, work_summary_pdf

        first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        name = f"{unit.code}-{first:%Y%m%d}-{last:%Y%m%d}-工作总结"
        if params.get("format") == "pdf":
            return f"{name}.pdf", work_summary_pdf(viewer=viewer, first=first, last=last)
        return f"{name}.docx", work_summary_docx(viewer=viewer, first=first, last=last)
    raise DomainError("未知的报告类型。", code="unknown_kind")


def report_run_build(*, run_id: int) -> ReportRun:
    """Build a queued document (idempotent: a finished run is left as it is)."""
    run = ReportRun.objects.select_related("unit").get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    try:
        name, content = report_build(kind=run.kind, unit=run.unit, params=run.params)
    except DomainError as exc:
        run.status, run.error, run.finished_at = RunStatus.FAILED, str(exc), now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    run.file.save(re.sub(r"[^\w.\-]", "_", name), ContentFile(content), save=False)
    run.status, run.error, run.finished_at = RunStatus.DONE, "", now()
    run.save(update_fields=["file", "status", "error", "finished_at"])
    return run


# --- early warning -------------------------------------------------------------------------------


def risk_notice_draft(*, finding: Any, institution: str, today: date) -> str:
    """A 消费风险提示 drafted from the template with the finding's figures ("" when none fits)."""
    from xiaobao.reports.texts import (
        GENERAL_TIPS,
        HEADLINES,
        TIPS,
        ordinal_list,
        render_text,
    )
    from xiaobao.reports.warning import METHOD

    ctx = finding.notice_context
    if not ctx:
        return ""
    if ctx["dimension"] == "cluster":
        cause_code, subject = ctx["cause_code"], f"“{ctx['category']}”业务“{ctx['cause']}”方面"
    elif ctx["dimension"] == "cause":
        cause_code, subject = ctx["code"], f"“{ctx['label']}”方面"
    else:
        cause_code, subject = "", f"“{ctx['label']}”业务"
    tips = TIPS.get(cause_code, GENERAL_TIPS)
    return render_text(
        TemplateKey.RISK_NOTICE,
        {
            "headline": HEADLINES.get(cause_code, "理性消费，依法维权"),
            "institution": institution,
            "subject": subject,
            "count": finding.count,
            "mean": finding.evidence.get("mean"),
            "history_windows": METHOD.history_windows,
            "period_start": f"{finding.period_start:%Y年%m月%d日}",
            "period_end": f"{finding.period_end:%Y年%m月%d日}",
            "tips": ordinal_list(list(tips)),
            "today": chinese_date(today),
        },
    )


def _already_raised(finding: Any) -> bool:
    earlier = Alert.objects.filter(kind=finding.kind, subject_key=finding.subject_key)
    if finding.kind == AlertKind.REPEAT:
        # A repeat complainant alerts again only when a new case has come in.
        cases = {c["registry_no"] for c in finding.evidence.get("cases", [])}
        for alert in earlier.order_by("-raised_at")[:1]:
            known = {c["registry_no"] for c in alert.evidence.get("cases", [])}
            return cases <= known
        return False
    # A surge or cluster alerts once while its observation windows overlap.
    return earlier.filter(period_end__gte=finding.period_start).exists()


def consumer_protection_office(unit: Unit) -> Department | None:
    """The consumer-protection department of `unit`, or of its nearest ancestor that has one."""
    chain = [*unit.ancestors(), unit]
    offices = Department.objects.filter(
        unit__in=chain, function=DepartmentFunction.CONSUMER_PROTECTION, is_active=True
    ).select_related("unit")
    return max(offices, key=lambda d: (d.unit.depth, -d.pk), default=None)


def alert_notify(*, alert: Alert) -> int:
    """Tell the consumer-protection officers of the unit concerned that an alert was raised
    (the nearest unit at or above it with officers, else head office), once per alert. The
    text names the kind, unit, window and count only: a repeat complainant's name stays on
    the alert's page, behind its scope."""
    from django.urls import reverse

    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import alert_texts, notify_record
    from xiaobao.watch.selectors import consumer_protection_officers

    officers = consumer_protection_officers(unit=alert.unit)
    title, body = alert_texts(alert)
    notices = notify_record(
        recipients=officers,
        target=alert,
        unit=alert.unit,
        kind=NotificationKind.ALERT,
        title=title,
        body=body,
        url=reverse("reports:alert_detail", args=[alert.pk]),
        dedupe_key=f"alert:{alert.pk}",
    )
    return len(notices)


def early_warning_run(
    *, as_of: date | None = None, unit_code: str | None = None, dry_run: bool = False
) -> list[Any]:
    """Look for surges, repeat complainants and clusters; store each new one as an Alert.

    Idempotent: a second run on the same day raises nothing new. With `dry_run`, returns the
    findings without storing them.
    """
    from django.utils.timezone import localdate

    from xiaobao.reports.selectors import viewer_for
    from xiaobao.reports.warning import find_all

    viewer = viewer_for(unit_code)
    as_of = as_of or localdate(now())
    findings = [f for f in find_all(viewer=viewer, as_of=as_of) if not _already_raised(f)]
    if dry_run:
        return findings
    institution = Unit.objects.filter(parent__isnull=True).order_by("pk").first() or viewer.unit
    raised = []
    for finding in findings:
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    kind=finding.kind,
                    unit=finding.unit,
                    department=consumer_protection_office(finding.unit),
                    subject_key=finding.subject_key,
                    subject=finding.subject[:200],
                    period_start=finding.period_start,
                    period_end=finding.period_end,
                    count=finding.count,
                    evidence=finding.evidence,
                    risk_notice=risk_notice_draft(
                        finding=finding, institution=institution.name, today=as_of
                    ),
                    raised_at=now(),
                )
                alert_notify(alert=alert)
        except IntegrityError:
            continue  # another run stored it first
        audit_record(
            actor=None,
            action="alert.raise",
            obj=alert,
            unit=alert.unit,
            summary=str(alert),
            data={"count": alert.count},
        )
        raised.append(alert)
    return raised
