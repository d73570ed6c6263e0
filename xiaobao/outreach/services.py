"""Writes of outreach: campaigns and activities through their transition tables.

Every service reads the same way: check the actor's right and scope → lock the row → check the
transition → change → write one append-only `RecordEvent` (who, when, from, to, why) in the same
transaction. A refused request writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.audit.services import record_event
from xiaobao.evidence.models import EvidenceFile
from xiaobao.evidence.selectors import evidence_for
from xiaobao.evidence.services import evidence_add
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    choice_label,
    lazy_text,
)
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.outreach import conf, report_form
from xiaobao.outreach.choices import (
    ACTIVITY_TRANSITIONS,
    CAMPAIGN_OPEN,
    CAMPAIGN_TRANSITIONS,
    EDITABLE,
    ONLINE_FORMS,
    ActivityForm,
    ActivityStatus,
    CampaignKind,
    CampaignStatus,
    CountingMethod,
    KeyGroup,
)
from xiaobao.outreach.models import (
    Activity,
    ActivityAudience,
    ActivityComplaint,
    ActivityMaterial,
    Campaign,
    Material,
    Topic,
)


def _require(user: Any, perm: str, unit: Unit | None) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not user.has_perm(f"outreach.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if unit is not None and not unit_in_scope(user, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _move(
    obj: Campaign | Activity, table: Mapping[str, frozenset[str]], to: str, label: str
) -> str:
    current = obj.status
    if to not in table.get(current, frozenset()):
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(obj, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    obj.status = to
    return current


# --- materials ------------------------------------------------------------------------------------


@transaction.atomic
def material_create(
    *,
    actor: Any,
    code: str,
    title: str,
    version: str = "1",
    format: str = "",
    topics: Sequence[Topic] = (),
    key_groups: Sequence[str] = (),
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Material:
    """Add one material (or a new version of one) to the shared library."""
    from xiaobao.audit.services import audit_record

    _require(actor, "add_material", None)
    if not code.strip() or not title.strip():
        raise DomainError(
            "请填写资料编号和名称。", code="required", field="code" if not code.strip() else "title"
        )
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError("有效期止不能早于有效期起。", code="invalid", field="valid_to")
    version = version.strip() or "1"
    if Material.objects.filter(code=code.strip(), version=version).exists():
        raise DomainError("该编号的此版本已在资料库中。", code="duplicate", field="version")
    material = Material.objects.create(
        code=code.strip(),
        title=title.strip(),
        version=version,
        format=format.strip(),
        key_groups=_check_groups(key_groups, "key_groups"),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    material.topics.set(topics)
    audit_record(actor=actor, action="material_create", obj=material, summary=str(material))
    return material


# --- campaigns ------------------------------------------------------------------------------------


@dataclass
class CampaignData:
    """What HQ fills in when it creates a campaign."""

    name: str
    kind: str
    unit: Unit
    starts_on: date
    ends_on: date
    report_deadline: date
    theme: str = ""
    notice_issuer: str = ""
    notice_no: str = ""
    key_groups: Sequence[str] = ()
    required_topics: Sequence[Topic] = ()
    report_columns: Sequence[str] | None = None


def _check_groups(groups: Iterable[str], field: str) -> list[str]:
    groups = list(dict.fromkeys(groups))
    unknown = [g for g in groups if g not in KeyGroup.values]
    if unknown:
        raise DomainError(
            "未知的重点人群：%(unknown)s。",
            params={"unknown": unknown[0]},
            code="invalid",
            field=field,
        )
    return groups


@transaction.atomic
def campaign_create(*, actor: Any, data: CampaignData, notice: Any = None) -> Campaign:
    """A new campaign in draft; `notice` (the issuing document) is kept as its evidence."""
    _require(actor, "add_campaign", data.unit)
    if not data.name.strip():
        raise DomainError("请填写活动名称。", code="required", field="name")
    if data.kind not in CampaignKind.values:
        raise DomainError("请选择活动类型。", code="invalid", field="kind")
    if data.ends_on < data.starts_on:
        raise DomainError("结束日期不能早于开始日期。", code="invalid", field="ends_on")
    if data.report_deadline < data.starts_on:
        raise DomainError("报送截止日不能早于开始日期。", code="invalid", field="report_deadline")
    try:
        columns = report_form.clean_columns(
            list(data.report_columns) if data.report_columns else report_form.preset_for(data.kind)
        )
    except ValueError as exc:
        raise DomainError(
            "未知的报表栏目：%(column)s。",
            params={"column": exc},
            code="invalid",
            field="report_columns",
        ) from exc
    if not columns:
        raise DomainError("报表至少需要一个栏目。", code="required", field="report_columns")
    now = clock_now()
    campaign = Campaign.objects.create(
        name=data.name.strip(),
        kind=data.kind,
        unit=data.unit,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        report_deadline=data.report_deadline,
        theme=data.theme.strip(),
        notice_issuer=data.notice_issuer.strip(),
        notice_no=data.notice_no.strip(),
        key_groups=_check_groups(data.key_groups, "key_groups"),
        report_columns=columns,
        created_by=actor,
        created_at=now,
    )
    campaign.required_topics.set(data.required_topics)
    record_event(
        campaign,
        action="create",
        action_label="创建",
        actor=actor,
        unit=campaign.unit,
        to_status=campaign.status,
        at=now,
    )
    if notice is not None:
        evidence_add(actor=actor, target=campaign, unit=campaign.unit, upload=notice, label="通知")
    return campaign


_CAMPAIGN_LABELS = {
    CampaignStatus.PUBLISHED: ("publish", "发布"),
    CampaignStatus.REPORTING: ("open_reporting", "开始报送"),
    CampaignStatus.LOCKED: ("lock", "锁定"),
}


@transaction.atomic
def campaign_advance(*, actor: Any, campaign: Campaign, to: str, reason: str = "") -> Campaign:
    """Publish, open reporting, or lock a campaign; locking locks its approved activities."""
    _require(actor, "change_campaign", campaign.unit)
    campaign = Campaign.objects.select_for_update().select_related("unit").get(pk=campaign.pk)
    action, label = _CAMPAIGN_LABELS.get(to, ("", "变更状态"))  # type: ignore[call-overload]
    before = _move(campaign, CAMPAIGN_TRANSITIONS, to, label)
    campaign.save(update_fields=["status"])
    now = clock_now()
    record_event(
        campaign,
        action=action,
        action_label=label,
        actor=actor,
        unit=campaign.unit,
        from_status=before,
        to_status=to,
        reason=reason,
        at=now,
    )
    if to == CampaignStatus.LOCKED:
        for activity in campaign.activities.select_for_update().filter(
            status=ActivityStatus.APPROVED
        ):
            activity.status = ActivityStatus.LOCKED
            activity.save(update_fields=["status"])
            record_event(
                activity,
                action="lock",
                action_label="随活动方案锁定",
                actor=actor,
                unit=activity.unit,
                from_status=ActivityStatus.APPROVED,
                to_status=ActivityStatus.LOCKED,
                at=now,
            )
    return campaign


# --- activities -----------------------------------------------------------------------------------


@dataclass
class ActivityData:
    """What the outlet records about one event (figures are 人次, copies or counts)."""

    title: str
    form: str
    unit: Unit
    starts_at: datetime
    campaign: Campaign | None = None
    ends_at: datetime | None = None
    co_units: Sequence[Unit] = ()
    place: str = ""
    division_code: str = ""
    topics: Sequence[Topic] = ()
    key_groups: Sequence[str] = ()
    staff_count: int = 0
    audience_count: int = 0
    counting_method: str = ""
    audience_by_group: Mapping[str, int] | None = None
    materials: Mapping[Material, int] | None = None
    sms_sent: int = 0
    posts: int = 0
    reads: int = 0
    media_reports: int = 0
    consultations: int = 0
    narrative: str = ""
    no_marketing: bool = False


def _clean_activity(data: ActivityData, current: Activity | None = None) -> bool:
    """Check the record; returns whether it is an online activity. A reopened activity keeps its
    (possibly locked) campaign; only a new or moved activity needs an open one."""
    if not data.title.strip():
        raise DomainError("请填写活动标题。", code="required", field="title")
    if data.form not in ActivityForm.values:
        raise DomainError("请选择活动形式。", code="invalid", field="form")
    if data.starts_at is None:
        raise DomainError("请填写开始时间。", code="required", field="starts_at")
    if data.ends_at is not None and data.ends_at < data.starts_at:
        raise DomainError("结束时间不能早于开始时间。", code="invalid", field="ends_at")
    if data.starts_at > clock_now():
        raise DomainError("不能登记尚未开展的活动。", code="invalid", field="starts_at")
    if data.division_code and not (
        data.division_code.isdigit() and len(data.division_code) in (6, 9, 12)
    ):
        raise DomainError(
            "行政区划代码应为6位（县）、9位（乡镇）或12位（村）数字。",
            code="invalid",
            field="division_code",
        )
    online = data.form in ONLINE_FORMS
    if online and data.audience_count and data.counting_method != CountingMethod.PLATFORM:
        raise DomainError(
            "线上活动的参与人次只能按平台统计填写；阅读量请填在“阅读/观看量”。",
            code="invalid",
            field="counting_method",
        )
    if not online and data.counting_method == CountingMethod.PLATFORM:
        raise DomainError(
            "线下活动的受众人次须按签到或估算统计，平台阅读量不计入受众。",
            code="invalid",
            field="counting_method",
        )
    if data.audience_count and not data.counting_method:
        raise DomainError("请选择受众统计方式。", code="required", field="counting_method")
    if data.counting_method and data.counting_method not in CountingMethod.values:
        raise DomainError("未知的受众统计方式。", code="invalid", field="counting_method")
    by_group = dict(data.audience_by_group or {})
    _check_groups(by_group, "audience_by_group")
    if any(n < 0 for n in by_group.values()):
        raise DomainError("人次不能为负数。", code="invalid", field="audience_by_group")
    if sum(by_group.values()) > data.audience_count:
        raise DomainError(
            "各重点人群人次之和不能超过受众人次。", code="invalid", field="audience_by_group"
        )
    numbers = ("staff_count", "audience_count", "sms_sent", "posts", "reads", "media_reports")
    for name in (*numbers, "consultations"):
        if getattr(data, name) < 0:
            raise DomainError("数量不能为负数。", code="invalid", field=name)
    if any(q <= 0 for q in (data.materials or {}).values()):
        raise DomainError("发放数量须大于零。", code="invalid", field="materials")
    held_on = timezone.localdate(data.starts_at)
    for material in data.materials or {}:
        if (material.valid_from and held_on < material.valid_from) or (
            material.valid_to and held_on > material.valid_to
        ):
            raise DomainError(
                "宣传资料“%(material)s”（v%(version)s）在活动当天不在有效期内。",
                params={"material": material.title, "version": material.version},
                code="material_expired",
                field="materials",
            )
    if any(u.pk == data.unit.pk for u in data.co_units):
        raise DomainError("牵头机构不必再列为协办机构。", code="invalid", field="co_units")
    campaign = data.campaign
    if campaign is not None:
        # The caller's copy may be stale: the campaign may have been locked meanwhile.
        campaign = data.campaign = Campaign.objects.select_related("unit").get(pk=campaign.pk)
        moved = current is None or current.campaign_id != campaign.pk
        if moved and campaign.status not in CAMPAIGN_OPEN:
            raise DomainError(
                "该活动方案未发布或已锁定，不能登记活动。", code="campaign_closed", field="campaign"
            )
        if not data.unit.path.startswith(campaign.unit.path):
            raise DomainError(
                "牵头机构不在该活动方案的范围内。", code="out_of_campaign", field="unit"
            )
    return online


def _write_details(activity: Activity, data: ActivityData) -> None:
    activity.co_units.set(data.co_units)
    activity.topics.set(data.topics)
    activity.audiences.all().delete()
    ActivityAudience.objects.bulk_create(
        ActivityAudience(activity=activity, group=g, count=n)
        for g, n in (data.audience_by_group or {}).items()
        if n
    )
    activity.materials.all().delete()
    ActivityMaterial.objects.bulk_create(
        ActivityMaterial(activity=activity, material=m, quantity=q)
        for m, q in (data.materials or {}).items()
    )


_FIELDS = (
    "campaign",
    "title",
    "form",
    "starts_at",
    "ends_at",
    "place",
    "division_code",
    "staff_count",
    "audience_count",
    "counting_method",
    "sms_sent",
    "posts",
    "reads",
    "media_reports",
    "consultations",
    "narrative",
    "no_marketing",
)


def _apply(activity: Activity, data: ActivityData, online: bool) -> None:
    for name in _FIELDS:
        value = getattr(data, name)
        setattr(activity, name, value.strip() if isinstance(value, str) else value)
    activity.online = online
    activity.key_groups = _check_groups(data.key_groups, "key_groups")


@transaction.atomic
def activity_create(*, actor: Any, data: ActivityData, photos: Iterable[Any] = ()) -> Activity:
    """Record an activity in draft for the actor's unit (or a unit below), with its photos."""
    _require(actor, "add_activity", data.unit)
    online = _clean_activity(data)
    now = clock_now()
    activity = Activity(unit=data.unit, created_by=actor, created_at=now)
    _apply(activity, data, online)
    activity.save()
    _write_details(activity, data)
    record_event(
        activity,
        action="create",
        action_label="录入",
        actor=actor,
        unit=activity.unit,
        to_status=activity.status,
        at=now,
    )
    for upload in photos:
        evidence_add(actor=actor, target=activity, unit=activity.unit, upload=upload)
    return activity


def _lock(activity: Activity) -> Activity:
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign")
        .get(pk=activity.pk)
    )


@transaction.atomic
def activity_update(*, actor: Any, activity: Activity, data: ActivityData) -> Activity:
    """Change a draft or returned activity (the lead unit stays the same)."""
    _require(actor, "change_activity", activity.unit)
    activity = _lock(activity)
    if activity.status not in EDITABLE:
        raise InvalidTransitionError(
            "活动状态为“%(status)s”，不能修改；如需更正请先申请重新打开。",
            params={"status": choice_label(activity, "status")},
            code="invalid_transition",
        )
    data.unit = activity.unit
    online = _clean_activity(data, current=activity)
    _apply(activity, data, online)
    activity.save()
    _write_details(activity, data)
    record_event(activity, action="update", action_label="修改", actor=actor, unit=activity.unit)
    return activity


@transaction.atomic
def activity_add_evidence(
    *, actor: Any, activity: Activity, upload: Any, label: str = ""
) -> EvidenceFile:
    """Add a photo, screenshot or platform export to an activity that is still being prepared."""
    _require(actor, "change_activity", activity.unit)
    activity = _lock(activity)
    if activity.status not in EDITABLE:
        raise InvalidTransitionError("已提交的活动不能再添加材料。", code="invalid_transition")
    return evidence_add(
        actor=actor, target=activity, unit=activity.unit, upload=upload, label=label
    )


def _was_reopened(activity: Activity) -> bool:
    """A correction after approval (reopened with a reason) may be resubmitted to a locked
    campaign; a first report after the lock may not."""
    from xiaobao.audit.selectors import timeline

    return timeline(activity).filter(action="reopen").exists()


def _evidence_problem(activity: Activity) -> Any:
    """What evidence is missing (a message shown in the reader's language), or ""."""
    files = list(evidence_for(activity))
    if activity.online:
        if not files:
            return lazy_text("线上活动须上传截图或平台导出数据后才能提交。")
        return ""
    photos = sum(1 for f in files if f.is_image)
    need = conf.min_photos()
    if photos < need:
        return lazy_text(
            "线下活动须至少上传%(need)s张现场照片后才能提交（现有%(photos)s张）。",
            {"need": need, "photos": photos},
        )
    return ""


@transaction.atomic
def activity_submit(*, actor: Any, activity: Activity) -> Activity:
    """Send the activity to the branch officer: evidence and the no-marketing attestation needed."""
    _require(actor, "change_activity", activity.unit)
    activity = _lock(activity)
    if (
        activity.campaign is not None
        and activity.campaign.status not in CAMPAIGN_OPEN
        and not _was_reopened(activity)
    ):
        raise InvalidTransitionError("该活动方案已锁定，不能再提交。", code="campaign_closed")
    if ActivityStatus.SUBMITTED not in ACTIVITY_TRANSITIONS[activity.status]:
        _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.SUBMITTED, "提交")
    problem = _evidence_problem(activity)
    if problem:
        raise DomainError(problem, code="evidence_required", field="evidence")
    if not activity.no_marketing:
        raise DomainError(
            "请确认“本活动未开展产品营销”后再提交。", code="required", field="no_marketing"
        )
    before = _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.SUBMITTED, "提交")
    now = clock_now()
    activity.submitted_at = now
    activity.save(update_fields=["status", "submitted_at"])
    record_event(
        activity,
        action="submit",
        action_label="提交审核",
        actor=actor,
        unit=activity.unit,
        from_status=before,
        to_status=activity.status,
        data={"late": activity.is_late},
        at=now,
    )
    return activity


@transaction.atomic
def activity_approve(*, actor: Any, activity: Activity) -> Activity:
    """The branch officer accepts the activity: from now on it counts in every total."""
    _require(actor, "approve_activity", activity.unit)
    activity = _lock(activity)
    if activity.created_by_id == actor.pk:
        raise PermissionDeniedError("不能审核自己录入的活动。", code="own_record")
    before = _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.APPROVED, "审核通过")
    activity.return_reason = ""
    activity.save(update_fields=["status", "return_reason"])
    record_event(
        activity,
        action="approve",
        action_label="审核通过",
        actor=actor,
        unit=activity.unit,
        from_status=before,
        to_status=activity.status,
    )
    if activity.campaign is not None and activity.campaign.status == CampaignStatus.LOCKED:
        # A corrected activity of a closed campaign is locked again at once.
        _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.LOCKED, "锁定")
        activity.save(update_fields=["status"])
        record_event(
            activity,
            action="lock",
            action_label="随活动方案锁定",
            actor=actor,
            unit=activity.unit,
            from_status=ActivityStatus.APPROVED,
            to_status=ActivityStatus.LOCKED,
        )
    return activity


@transaction.atomic
def activity_return(*, actor: Any, activity: Activity, reason: str) -> Activity:
    """The branch officer sends the activity back with the reason the outlet must fix."""
    _require(actor, "approve_activity", activity.unit)
    if not reason.strip():
        raise DomainError("请填写退回原因。", code="required", field="reason")
    activity = _lock(activity)
    before = _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.RETURNED, "退回")
    activity.return_reason = reason.strip()
    activity.save(update_fields=["status", "return_reason"])
    record_event(
        activity,
        action="return",
        action_label="退回",
        actor=actor,
        unit=activity.unit,
        from_status=before,
        to_status=activity.status,
        reason=activity.return_reason,
    )
    return activity


@transaction.atomic
def activity_reopen(*, actor: Any, activity: Activity, reason: str) -> Activity:
    """Take an approved or locked activity back to draft so it can be corrected (reason kept)."""
    _require(actor, "approve_activity", activity.unit)
    if not reason.strip():
        raise DomainError("请填写重新打开的原因。", code="required", field="reason")
    activity = _lock(activity)
    before = _move(activity, ACTIVITY_TRANSITIONS, ActivityStatus.DRAFT, "重新打开")
    activity.save(update_fields=["status"])
    record_event(
        activity,
        action="reopen",
        action_label="重新打开",
        actor=actor,
        unit=activity.unit,
        from_status=before,
        to_status=activity.status,
        reason=reason.strip(),
    )
    return activity


@transaction.atomic
def activity_link_complaint(
    *,
    actor: Any,
    activity: Activity,
    title: str,
    narrative: str,
    complainant_name: str,
    phone: str = "",
    received_at: datetime | None = None,
) -> ActivityComplaint:
    """Register a complaint received on the spot through the complaint intake (counter channel,
    the activity's lead unit) and link it to the activity; the complaint core never sees outreach."""
    from xiaobao.complaints.services import ComplainantData, complaint_register

    _require(actor, "change_activity", activity.unit)
    if activity.status == ActivityStatus.LOCKED:
        raise InvalidTransitionError("活动已锁定，不能再登记现场投诉。", code="invalid_transition")
    try:
        registered = complaint_register(
            actor=actor,
            unit=activity.unit,
            received_at=received_at or clock_now(),
            intake_channel="COUNTER",
            title=title,
            narrative=narrative,
            complainants=[ComplainantData(name=complainant_name, phone=phone)],
        )
    except DomainError as exc:
        # Name the field of this form, not the intake's nested one.
        if exc.field and exc.field.startswith("complainants.0."):
            last = exc.field.rsplit(".", 1)[-1]
            exc.field = "complainant_name" if last == "name" else last
        raise
    link = ActivityComplaint.objects.create(activity=activity, complaint=registered)
    record_event(
        activity,
        action="complaint",
        action_label="现场受理投诉",
        actor=actor,
        unit=activity.unit,
        data={"complaint": registered.pk, "registry_no": registered.registry_no},
    )
    return link


# --- reminders ------------------------------------------------------------------------------------


def _recorders(outlet: Unit) -> list[Any]:
    """Who should record the outlet's activities: its own staff who may, else the nearest
    consumer-protection officers above it (an outlet without accounts reports through them)."""
    from xiaobao.organisation.models import User
    from xiaobao.watch.selectors import escalation_ladder

    staff = [
        u
        for u in User.objects.filter(unit=outlet, is_active=True)
        if u.has_perm("outreach.add_activity")
    ]
    if staff:
        return staff
    ladder = escalation_ladder(unit=outlet)
    return list(ladder[0][1]) if ladder else []


@transaction.atomic
def campaign_remind_non_reporters(*, now: datetime) -> int:
    """Remind every outlet that has not reported to an open campaign whose deadline is near.

    Runs from the periodic scheduler (`outreach/periodic.py`); safe to run again: one notice per
    recipient, campaign and outlet (dedupe key). Returns how many notices were written.
    """
    from django.urls import reverse

    from xiaobao.outreach.selectors import non_reporters
    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    today = timezone.localdate(now)
    window = today + timedelta(days=conf.remind_days())
    written = 0
    campaigns = Campaign.objects.filter(
        status__in=CAMPAIGN_OPEN, report_deadline__gte=today, report_deadline__lte=window
    ).select_related("unit")
    for campaign in campaigns:
        for outlet in non_reporters(campaign, campaign.unit):
            recipients = _recorders(outlet)
            if not recipients:
                continue
            notices = notify_record(
                recipients=recipients,
                target=campaign,
                unit=outlet,
                kind=NotificationKind.REMINDER,
                title=f"宣传活动报送提醒：{campaign.name}"[:200],
                body=(
                    f"{outlet.name}尚未报送“{campaign.name}”的宣传活动，"
                    f"报送截止日为{campaign.report_deadline:%Y-%m-%d}。请及时录入活动并上传现场照片。"
                ),
                url=reverse("outreach:campaign", args=[campaign.pk]),
                dedupe_key=f"outreach.remind:{campaign.pk}:{outlet.pk}",
                now=now,
            )
            written += len(notices)
    return written
