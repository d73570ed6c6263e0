"""Notices: who gets what, when it may be pushed, and the jobs that push it.

A notice is written once per recipient in the sweeper's transaction, together with one delivery
row per push channel and the job that sends it (queued in the same transaction, so a crash
leaves either all of it or none). Non-urgent notices wait for the next working hour of the
Chinese working calendar; urgent ones go at once. Users who chose the daily digest get their
non-urgent notices in one e-mail on the next working morning (queued by the first sweep pass
after it begins).

The text never carries the complainant's personal data: registry number, case title (with any
ID, phone, card, e-mail or complainant name masked), unit and deadline only.

Other records (tasks, and later reviews, sessions, licences …) use `notify_record`, which writes
the same rows with the same timing and digest rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaobao.complaints.models import Complaint, complaint_known_names
from xiaobao.deadlines.engine import TZ
from xiaobao.deadlines.workcal import WorkCalendar
from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.services import enqueue, enqueue_many
from xiaobao.lib import bulk
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.models import Unit, User
from xiaobao.privacy.masking import mask_name
from xiaobao.privacy.redaction import redact
from xiaobao.watch import conf
from xiaobao.watch.choices import NotificationKind
from xiaobao.watch.models import (
    Delivery,
    Firing,
    Notification,
    NotificationPreference,
    Threshold,
)

DELIVER_JOB = "watch.deliver"
# A case event older than this when it is written was replayed, not lived (see notify_case_event).
REPLAYED_AFTER = timedelta(days=1)
DIGEST_JOB = "watch.digest"


class DigestRaceError(Exception):
    """Another runner claimed part of a digest at the same time; the job retries later."""


@dataclass(frozen=True)
class Timing:
    """The clock and calendar a batch of notices is scheduled with."""

    now: datetime
    calendar: WorkCalendar

    def working_moment(self, moment: datetime) -> datetime:
        start, end = conf.working_hours()
        return self.calendar.next_working_moment(moment.astimezone(TZ), start=start, end=end)

    def deliver_after(self, *, urgent: bool) -> datetime:
        return self.now if urgent else self.working_moment(self.now)

    def next_morning(self) -> datetime:
        """The start of the first working period that begins after now (the digest's time)."""
        start, _end = conf.working_hours()
        local = self.now.astimezone(TZ)
        day = local.date()
        if not (self.calendar.is_workday(day) and local.time() < start):
            day = self.calendar.next_workday(day + timedelta(days=1))
        return datetime.combine(day, start, tzinfo=TZ)


# --- text ----------------------------------------------------------------------------------------


def safe_title(complaint: Complaint) -> str:
    """The case title with personal data masked: staff type titles freely, and a complainant's
    name or phone number in a title must not travel by e-mail or SMS."""
    title = redact(complaint.title)
    # Read once per instance; a sweep prefetches the names of a whole batch of cases.
    for name in complaint_known_names(complaint):
        if name and len(name) > 1:
            title = title.replace(name, mask_name(name))
    return title


def case_url(complaint: Complaint) -> str:
    return conf.get("BASE_URL").rstrip("/") + reverse("complaints:detail", args=[complaint.pk])


def _due_text(complaint: Complaint) -> str:
    if complaint.due_date is None:
        return _("中止计时中")
    d = complaint.due_date
    return _("%(date)s（当日24时前）") % {"date": f"{d.year}年{d.month}月{d.day}日"}


def _body(complaint: Complaint, lines: Iterable[str]) -> str:
    head = [
        _("投诉编号：%(no)s") % {"no": complaint.registry_no},
        _("投诉标题：%(title)s") % {"title": safe_title(complaint)},
        _("责任机构：%(unit)s") % {"unit": complaint.unit.name},
        _("截止时间：%(due)s") % {"due": _due_text(complaint)},
    ]
    tail = [_("请登录消保平台处理：%(url)s") % {"url": case_url(complaint)}]
    return "\n".join([*head, *lines, "", *tail])


def overdue_days(complaint: Complaint, at: datetime) -> int:
    """Calendar days past the due date (0 when not overdue): a case found 298 days late is
    announced as such, not by the name of the threshold that fired ("逾期3日")."""
    if complaint.due_at is None or at <= complaint.due_at:
        return 0
    return math.ceil((at - complaint.due_at) / timedelta(days=1))


def deadline_texts(
    complaint: Complaint,
    threshold: Threshold,
    *,
    used: float,
    urgent: bool,
    at: datetime | None = None,
) -> tuple[str, str]:
    late = overdue_days(complaint, clock_now() if at is None else at)
    with translation.override(settings.LANGUAGE_CODE):
        tag = _("紧急") if urgent else _("期限提醒")
        what = _("逾期%(n)d日") % {"n": late} if late else threshold.name
        title = f"【{tag}】{complaint.registry_no} {what}"
        lines = [_("提醒事项：%(name)s") % {"name": threshold.name}]
        if late:
            lines.append(_("已逾期：%(n)d日") % {"n": late})
        else:
            lines.append(_("已用时：%(pct)d%%") % {"pct": round(used * 100)})
        body = _body(complaint, lines)
    return title, body


def major_texts(complaint: Complaint) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【重大投诉】%(no)s 已认定为重大投诉") % {"no": complaint.registry_no}
        body = _body(
            complaint,
            [
                _("认定原因：%(reason)s") % {"reason": complaint.get_major_reason_display()},
                _("请按重大投诉应急预案处置并逐级上报。"),
            ],
        )
    return title, body


def transfer_texts(complaint: Complaint, *, from_unit: str, reason: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【投诉移交】%(no)s 已移交贵机构办理") % {"no": complaint.registry_no}
        body = _body(
            complaint,
            [
                _("移出机构：%(unit)s") % {"unit": from_unit},
                _("移交原因：%(reason)s") % {"reason": redact(reason)},
                _("办理期限不因移交而改变，请尽快指定处理人。"),
            ],
        )
    return title, body


# --- creating notices ----------------------------------------------------------------------------


def _preferences(users: Iterable[User]) -> dict[int, NotificationPreference]:
    ids = [u.pk for u in users]
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}


def push_channels(preference: NotificationPreference | None) -> list[str]:
    """The user's push channels that are configured (the inbox is not a push channel)."""
    names = preference.channels if preference is not None else conf.get("DEFAULT_CHANNELS")
    configured = conf.channel_names()
    return [n for n in dict.fromkeys(names) if n in configured and conf.channel(n).push]


def _schedule(
    notifications: list[Notification],
    preferences: dict[int, NotificationPreference],
    timing: Timing,
    *,
    grouped: bool = False,
    digest_only: bool = False,
) -> None:
    """The notices' deliveries on their recipients' push channels, and the jobs that send the
    ones not held for a digest (one insert each, however many notices).

    `grouped` notices (e.g. many task reminders, or the deadline notices of one sweep) are
    bundled like a digest but at their own working moment, so a person with twenty due tasks
    or forty overdue cases gets one message listing them. `digest_only` notices (the daily
    reminders of overdue cases) travel only in such bundles: a channel that cannot bundle
    (SMS) is not used for them.
    """
    deliveries = []
    held: set[tuple[int, datetime]] = set()
    # A sweep schedules thousands of notices for a few dozen people: channels once per person.
    channels: dict[int, list[tuple[str, bool]]] = {}
    for notification in notifications:
        preference = preferences.get(notification.recipient_id)
        daily = preference is not None and preference.daily_digest and not notification.urgent
        mine = channels.get(notification.recipient_id)
        if mine is None:
            mine = [(n, conf.channel(n).digest) for n in push_channels(preference)]
            channels[notification.recipient_id] = mine
        for name, bundles in mine:
            if digest_only and not bundles:
                continue
            if daily or ((grouped or digest_only) and bundles):
                if not bundles:
                    continue  # the digest is one e-mail; other channels wait for urgent notices
                # No job yet: each sweep pass queues the digests that are due
                # (`digest_queue_due`), so concurrent sweepers never contend for one user's
                # digest job key.
                moment = timing.next_morning() if daily else notification.deliver_after
                deliveries.append(
                    Delivery(
                        notification_id=notification.pk,
                        recipient_id=notification.recipient_id,
                        channel=name,
                        digest=True,
                        deliver_after=moment,
                    )
                )
                if moment > timing.now:
                    held.add((notification.recipient_id, moment))
            else:
                deliveries.append(
                    Delivery(
                        notification_id=notification.pk,
                        recipient_id=notification.recipient_id,
                        channel=name,
                        deliver_after=notification.deliver_after,
                    )
                )
    # COPY on PostgreSQL: a sweep writes thousands of rows a batch (see `lib.bulk`).
    bulk.insert(deliveries, keys=True)
    sent = [d for d in deliveries if not d.digest]
    enqueue_many(
        DELIVER_JOB,
        [{"delivery": d.pk} for d in sent],
        run_after=[d.deliver_after for d in sent],
        unique_keys=[f"{DELIVER_JOB}:{d.pk}" for d in sent],
    )
    # Bundles held for a later working moment get their job now, keyed by that moment (one
    # per person and moment however many notices). Bundles due at once are queued by the
    # sweep pass's `digest_queue_due` after all its notices are written, so a pass sends one
    # message per person, not one per batch.
    keys = {
        f"{DIGEST_JOB}:{user_id}:{moment:%Y%m%d%H%M}": (user_id, moment)
        for user_id, moment in sorted(held)
    }
    if not keys:
        return
    # Every batch of a sweep holds notices for the same people and moment: one read finds the
    # bundles already queued instead of one failed insert each.
    queued = set(
        Job.objects.filter(
            unique_key__in=list(keys), status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).values_list("unique_key", flat=True)
    )
    for key, (user_id, moment) in keys.items():
        if key not in queued:
            enqueue(DIGEST_JOB, {"user": user_id}, run_after=moment, unique_key=key)


@dataclass
class Notice:
    """One notice about a case to some people, before it is written (see `create_many`)."""

    complaint: Complaint
    people: list[tuple[int, User]]
    kind: str
    urgent: bool
    title: str
    body: str
    firing: Firing | None = None
    grouped: bool = False
    digest_only: bool = False
    dedupe_key: str = ""


def create_many(notices: list[Notice], timing: Timing) -> list[list[Notification]]:
    """Write the notices of many cases with one insert per table (notices, deliveries, jobs);
    returns what each `Notice` wrote, in order. A recipient who already has a notice with the
    same case, kind and dedupe key gets nothing new."""
    keyed = [n for n in notices if n.dedupe_key]
    told: set[tuple[int, str, str, int]] = set()
    if keyed:
        told = set(
            Notification.objects.filter(
                recipient_id__in={user.pk for n in keyed for _step, user in n.people},
                dedupe_key__in={n.dedupe_key for n in keyed},
            ).values_list("complaint_id", "kind", "dedupe_key", "recipient_id")
        )
    deliver_after = {urgent: timing.deliver_after(urgent=urgent) for urgent in (False, True)}
    rows: list[Notification] = []
    spans: list[tuple[int, int]] = []
    users: dict[int, User] = {}
    for notice in notices:
        complaint = notice.complaint
        people = [
            (step, user)
            for step, user in notice.people
            if (complaint.pk, notice.kind, notice.dedupe_key, user.pk) not in told
        ]
        url = reverse("complaints:detail", args=[complaint.pk])
        first = len(rows)
        for step, user in sorted(people, key=lambda p: (p[0], p[1].pk)):
            users[user.pk] = user
            rows.append(
                Notification(
                    recipient_id=user.pk,
                    unit_id=complaint.unit_id,
                    complaint_id=complaint.pk,
                    url=url,
                    firing_id=notice.firing.pk if notice.firing else None,
                    dedupe_key=notice.dedupe_key,
                    kind=notice.kind,
                    step=step,
                    urgent=notice.urgent,
                    title=notice.title,
                    body=notice.body,
                    created_at=timing.now,
                    deliver_after=deliver_after[notice.urgent],
                )
            )
        spans.append((first, len(rows)))
    if not rows:
        return [[] for _notice in notices]
    created = bulk.insert(rows, keys=True)
    preferences = _preferences(users.values())
    # Deliveries and jobs per kind of bundling, each in one insert.
    kinds: dict[tuple[bool, bool], list[Notification]] = {}
    for notice, (first, last) in zip(notices, spans, strict=True):
        kinds.setdefault((notice.grouped, notice.digest_only), []).extend(created[first:last])
    for (grouped, digest_only), group in kinds.items():
        _schedule(group, preferences, timing, grouped=grouped, digest_only=digest_only)
    return [created[first:last] for first, last in spans]


def _create(*, timing: Timing, **notice: Any) -> list[Notification]:
    return create_many([Notice(**notice)], timing)[0]


def firing_notice(
    *,
    complaint: Complaint,
    firing: Firing,
    people: list[tuple[int, User]],
    urgent: bool,
    timing: Timing,
) -> Notice:
    title, body = deadline_texts(
        complaint, firing.threshold, used=firing.used, urgent=urgent, at=timing.now
    )
    return Notice(
        complaint=complaint,
        people=people,
        kind=NotificationKind.DEADLINE,
        urgent=urgent,
        title=title,
        body=body,
        firing=firing,
        # One sweep can find forty cases overdue: each person gets one message listing them
        # (sent by the digest job the same pass queues), not forty.
        grouped=bool(conf.get("BUNDLE_SWEEP")),
    )


def notify_firing(
    *,
    complaint: Complaint,
    firing: Firing,
    people: list[tuple[int, User]],
    urgent: bool,
    timing: Timing,
) -> list[Notification]:
    notice = firing_notice(
        complaint=complaint, firing=firing, people=people, urgent=urgent, timing=timing
    )
    return create_many([notice], timing)[0]


def major_notice(*, complaint: Complaint, people: list[tuple[int, User]]) -> Notice:
    """A major or group complaint goes to the top of the ladder at once (Art. 29)."""
    title, body = major_texts(complaint)
    return Notice(
        complaint=complaint,
        people=people,
        kind=NotificationKind.MAJOR,
        urgent=True,
        title=title,
        body=body,
        grouped=bool(conf.get("BUNDLE_SWEEP")),
    )


def notify_major(
    *, complaint: Complaint, people: list[tuple[int, User]], timing: Timing
) -> list[Notification]:
    return create_many([major_notice(complaint=complaint, people=people)], timing)[0]


def overdue_reminder_texts(complaint: Complaint, *, at: datetime) -> tuple[str, str]:
    late = overdue_days(complaint, at)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【逾期催办】%(no)s 已逾期%(n)d日") % {"no": complaint.registry_no, "n": late}
        body = _body(
            complaint,
            [
                _("已逾期：%(n)d日") % {"n": late},
                _("该投诉仍未办结，办结前每个工作日提醒一次。"),
            ],
        )
    return title, body


def overdue_reminder_notice(
    *, complaint: Complaint, people: list[tuple[int, User]], timing: Timing
) -> Notice:
    """The daily reminder of a case still open after its deadline: once per person and working
    day (the dedupe key is the day), in the digest bundle of that working morning, until the
    case is closed (a closed case leaves the watch and is never looked at again)."""
    day = timing.working_moment(timing.now).astimezone(TZ).date()
    title, body = overdue_reminder_texts(complaint, at=timing.now)
    return Notice(
        complaint=complaint,
        people=people,
        kind=NotificationKind.OVERDUE,
        urgent=False,
        title=title,
        body=body,
        digest_only=True,
        dedupe_key=f"overdue:{complaint.pk}:{day.isoformat()}",
    )


def notify_overdue_reminder(
    *, complaint: Complaint, people: list[tuple[int, User]], timing: Timing
) -> list[Notification]:
    notice = overdue_reminder_notice(complaint=complaint, people=people, timing=timing)
    return create_many([notice], timing)[0]


def assignment_texts(complaint: Complaint, *, by: str, reason: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【分派】%(no)s 已分派给您办理") % {"no": complaint.registry_no}
        lines = [_("分派人：%(name)s") % {"name": by}]
        if reason:
            lines.append(_("分派说明：%(reason)s") % {"reason": redact(reason)})
        body = _body(complaint, lines)
    return title, body


def extension_texts(complaint: Complaint, *, by: str, days: int, reason: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【延期待审批】%(no)s 申请延至%(days)d日") % {
            "no": complaint.registry_no,
            "days": days,
        }
        body = _body(
            complaint,
            [
                _("申请人：%(name)s") % {"name": by},
                _("申请理由：%(reason)s") % {"reason": redact(reason)},
                _("请在办理期限届满前审批；期满后不能再批准延期。"),
            ],
        )
    return title, body


def alert_texts(alert: Any) -> tuple[str, str]:
    """An early-warning alert (`reports.Alert`) told to officers: kind, unit, window and count.
    A repeat complainant's (masked) name stays on the alert's page, behind its scope."""
    from xiaobao.reports.choices import AlertKind

    with translation.override(settings.LANGUAGE_CODE):
        kind = alert.get_kind_display()
        what = kind if alert.kind == AlertKind.REPEAT else f"{kind}：{redact(alert.subject)}"
        title = _("【风险预警】%(unit)s %(what)s") % {"unit": alert.unit.name, "what": what}
        body = "\n".join(
            [
                _("预警类型：%(kind)s") % {"kind": kind},
                _("提示机构：%(unit)s") % {"unit": alert.unit.name},
                _("观察期：%(start)s 至 %(end)s")
                % {"start": alert.period_start.isoformat(), "end": alert.period_end.isoformat()},
                _("观察期投诉量：%(n)d件") % {"n": alert.count},
                _("请核实原因，并在预警页面记录处理情况。"),
            ]
        )
    return title, body


def _display_name(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def notify_case_event(event: Any) -> list[Notification]:
    """`complaints.hooks` listener: tell people what a case event asks of them, in the event's
    own transaction.

    - `assign`: the new handler learns the case is theirs (not when they assigned it to
      themselves);
    - `extension_request`: the people who may approve it (see `selectors.extension_approvers`).
    """
    if event.action not in ("assign", "extension_request"):
        return []
    if timezone.now() - event.occurred_at > REPLAYED_AFTER:
        # Replayed history (demo data, a ledger rebuilt with `clock.replay`): the moment to
        # act has long passed, and nobody should get a pile of stale notices.
        return []
    from xiaobao.complaints.clock import current_calendar
    from xiaobao.watch.selectors import extension_approvers

    complaint = Complaint.objects.select_related("unit", "handler").get(pk=event.complaint_id)
    timing = Timing(now=event.occurred_at, calendar=current_calendar())
    actor_id = event.actor_id
    if event.action == "assign":
        handler = complaint.handler
        if handler is None or handler.pk == actor_id or not handler.is_active:
            return []
        title, body = assignment_texts(
            complaint, by=_display_name(event.actor), reason=event.reason
        )
        return _create(
            complaint=complaint,
            people=[(1, handler)],
            kind=NotificationKind.ASSIGNED,
            urgent=False,
            title=title,
            body=body,
            timing=timing,
            dedupe_key=f"assign:{event.pk}",
        )
    days = int(event.data.get("target_days") or 0)
    people = [
        (step, user)
        for step, user in extension_approvers(complaint=complaint, target_days=days)
        if user.pk != actor_id
    ]
    title, body = extension_texts(
        complaint, by=_display_name(event.actor), days=days, reason=event.reason
    )
    return _create(
        complaint=complaint,
        people=people,
        kind=NotificationKind.EXTENSION,
        urgent=False,
        title=title,
        body=body,
        timing=timing,
        dedupe_key=f"extension:{event.data.get('extension')}",
    )


def notify_transfer(event: Any) -> list[Notification]:
    """`complaints.hooks` listener: a case moved to another unit; its heads and officers are told
    at once (the case has no handler there yet), in the transfer's own transaction."""
    if event.action != "transfer":
        return []
    from xiaobao.complaints.clock import current_calendar
    from xiaobao.watch.choices import LadderStep
    from xiaobao.watch.selectors import recipients

    complaint = Complaint.objects.select_related("unit").get(pk=event.complaint_id)
    people = recipients(complaint=complaint, reach=LadderStep.BRANCH_OFFICER)
    title, body = transfer_texts(
        complaint, from_unit=event.data.get("from_unit", {}).get("name", ""), reason=event.reason
    )
    return _create(
        complaint=complaint,
        people=people,
        kind=NotificationKind.TRANSFER,
        urgent=True,
        title=title,
        body=body,
        timing=Timing(now=event.occurred_at, calendar=current_calendar()),
    )


# --- notices about any record ----------------------------------------------------------------


def absolute_url(path: str) -> str:
    """A link for a message that leaves the product (e-mail): BASE_URL + the page's path."""
    return conf.get("BASE_URL").rstrip("/") + path if path.startswith("/") else path


Recipient = User | tuple[int | None, User]


def notify_record(
    *,
    recipients: Iterable[Recipient],
    target: Model,
    unit: Unit,
    kind: str,
    title: str,
    body: str,
    url: str,
    urgent: bool = False,
    dedupe_key: str | None = None,
    grouped: bool = False,
    now: datetime | None = None,
    timing: Timing | None = None,
) -> list[Notification]:
    """Tell staff about any record (a task, a review, a session …): the public entry point.

    Writes one inbox notice per recipient (each once, inactive users skipped), one delivery per
    push channel and the jobs that push them, with exactly the working-hour, holiday and daily-
    digest rules of complaint notices. Call it inside the caller's transaction: the jobs are
    queued with it. `recipients` are users or (ladder step, user) pairs. `dedupe_key` makes the
    call idempotent per recipient: a recipient who already has a notice with that key gets
    nothing new (a sweep that runs twice tells nobody twice). `title` and `body` must carry no
    personal data; the link to `url` is added to the body for e-mail readers. `grouped`
    notices are pushed bundled per recipient (one e-mail listing all of them) at their working
    moment, for callers that write many notices in one pass.
    """
    if timing is None:
        from xiaobao.complaints.clock import current_calendar

        timing = Timing(now=now or clock_now(), calendar=current_calendar())
    people: dict[int, tuple[int | None, User]] = {}
    for entry in recipients:
        step, user = entry if isinstance(entry, tuple) else (None, entry)
        if user.is_active:
            people.setdefault(user.pk, (step, user))
    if dedupe_key:
        told = set(
            Notification.objects.filter(
                recipient_id__in=list(people), dedupe_key=dedupe_key
            ).values_list("recipient_id", flat=True)
        )
        people = {pk: p for pk, p in people.items() if pk not in told}
    if not people:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        link = _("请登录消保平台查看：%(url)s") % {"url": absolute_url(url)} if url else ""
    full_body = f"{body}\n\n{link}" if link else body
    target_type = ContentType.objects.get_for_model(target)
    deliver_after = timing.deliver_after(urgent=urgent)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                unit=unit,
                target_type=target_type,
                target_id=target.pk,
                url=url,
                dedupe_key=dedupe_key or "",
                kind=kind,
                step=step,
                urgent=urgent,
                title=title[:200],
                body=full_body,
                created_at=timing.now,
                deliver_after=deliver_after,
            )
            for pk, (step, user) in sorted(people.items())
        ]
    )
    preferences = _preferences(u for _s, u in people.values())
    _schedule(notifications, preferences, timing, grouped=grouped)
    return notifications


# --- sending (job handlers call these) -----------------------------------------------------------


def delivery_send(*, delivery_id: int) -> dict[str, Any]:
    """Push one delivery through its channel, exactly once per successful commit.

    The claim is a conditional UPDATE that must change one row: a second runner of the same
    delivery changes none and stops. Sending happens inside the same transaction, so a channel
    error (or a crash) rolls the claim back and the job retries; a crash after the channel
    accepted the message but before the commit sends it again (at least once, never lost).
    """
    moment = clock_now()
    with transaction.atomic():
        claimed = Delivery.objects.filter(
            pk=delivery_id, delivered_at__isnull=True, digest=False
        ).update(delivered_at=moment)
        if claimed != 1:
            return {"delivery": delivery_id, "sent": False, "note": "already delivered"}
        delivery = Delivery.objects.select_related(
            "notification__recipient", "notification__unit"
        ).get(pk=delivery_id)
        note = conf.channel(delivery.channel).send(delivery.notification)
        Delivery.objects.filter(pk=delivery_id).update(note=note[:200])
    return {"delivery": delivery_id, "sent": True, "note": note}


def digest_send(*, user_id: int) -> dict[str, Any]:
    """Bundle the user's waiting digest deliveries (per channel) into one message each."""
    moment = clock_now()
    sent: dict[str, int] = {}
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(of=("self",))
            .filter(
                notification__recipient_id=user_id,
                digest=True,
                delivered_at__isnull=True,
                deliver_after__lte=moment,
            )
            .select_related("notification__unit", "notification__recipient")
            .order_by("notification__created_at", "pk")
        )
        if not rows:
            return {"user": user_id, "sent": sent}
        claimed = Delivery.objects.filter(
            pk__in=[r.pk for r in rows], delivered_at__isnull=True
        ).update(delivered_at=moment, note="digest")
        if claimed != len(rows):
            raise DigestRaceError(f"digest for user {user_id} claimed elsewhere")
        by_channel: dict[str, list[Notification]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row.notification)
        recipient = rows[0].notification.recipient
        for name, notifications in by_channel.items():
            channel = conf.channel(name)
            if len(notifications) == 1:
                # A bundle of one is just that notice, with its own subject.
                note = channel.send(notifications[0])
            else:
                note = channel.send_digest(recipient, notifications)
            Delivery.objects.filter(pk__in=[r.pk for r in rows if r.channel == name]).update(
                note=(note or "digest")[:200]
            )
            sent[name] = len(notifications)
    return {"user": user_id, "sent": sent}


def digest_queue_due(*, now: datetime) -> int:
    """Queue one digest job for every user whose digest deliveries are due (one per user while
    it is pending; the job sends whatever is due when it runs)."""
    from xiaobao.watch.selectors import pending_digest_users

    users = pending_digest_users(before=now)
    keys = {f"{DIGEST_JOB}:{user_id}": user_id for user_id in users}
    # Until a worker runs them, every pass finds the same people: one read instead of one
    # failed insert each.
    queued = set(
        Job.objects.filter(
            unique_key__in=list(keys), status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).values_list("unique_key", flat=True)
    )
    for key, user_id in keys.items():
        if key not in queued:
            enqueue(DIGEST_JOB, {"user": user_id}, unique_key=key)
    return len(users)
