"""Task reminders and escalation (督办提醒): the sweep over `Task.next_check_at`.

For every open task the sweep knows a list of steps for its current due date:

- `before_7`, `before_1` (days as a setting): remind the responsible person and the owning
  department that the task falls due;
- `due`: the same people, on the due day;
- `overdue_1`, `overdue_2`, … (days after the due day as a setting): the owners again, and the
  escalation ladder of the owning unit (`watch.selectors.escalation_ladder`: the unit's
  consumer-protection officers → the upper unit's → head office), one rung more per step.

A step fires once per task and due date (a `TaskReminder` row, unique); a moved due date is a
new set of steps, so they re-arm. When several steps have passed unseen (a task created late, a
sweeper that was down), only the highest notifies, the lower ones are recorded. A task waiting
for verification is not chased. Tasks are claimed with `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL and a conditional UPDATE of `next_check_at` everywhere, so sweepers on several
machines never remind twice. Notices go through `watch.notify.notify_record`: held to working
hours on the Chinese calendar, and grouped, so a person with twenty due tasks gets one e-mail
listing them (the inbox still has one row per task).

Services that create a task or move its due date set `next_check_at` to now (`arm`); the sweep
then works out the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from xiaobao.deadlines.engine import TZ
from xiaobao.organisation.models import Unit, User
from xiaobao.plans.choices import OPEN_TASK_STATUSES, TaskStatus
from xiaobao.plans.models import Task, TaskReminder
from xiaobao.privacy.redaction import redact
from xiaobao.watch import conf as watch_conf
from xiaobao.watch import notify
from xiaobao.watch.choices import LadderStep, NotificationKind
from xiaobao.watch.selectors import escalation_ladder

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # Reminders this many calendar days before the due day (and on it).
    "DAYS_BEFORE": [7, 1],
    # Escalations this many calendar days after the due day: the first reaches the owning unit's
    # consumer-protection officers, each further one a rung higher.
    "ESCALATE_AFTER_DAYS": [1, 5, 10],
}
BATCH = 200
RETRY_AFTER = timedelta(minutes=15)


def config(name: str) -> Any:
    """`XIAOBAO_TASK_REMINDERS` in settings, over the defaults above."""
    return {**DEFAULTS, **getattr(settings, "XIAOBAO_TASK_REMINDERS", {})}[name]


@dataclass(frozen=True)
class Step:
    """One moment at which a task's people are told something."""

    code: str
    moment: datetime
    kind: str  # "before", "due" or "overdue"
    days: int  # days before (before) or after (overdue) the due day
    reach: int = -1  # overdue: the highest ladder rung told (0 = the unit's officers)


def steps_for(due_date: date) -> list[Step]:
    """Every step for a due date, in time order (each at the start of working hours)."""
    start, _end = watch_conf.working_hours()

    def morning(day: date) -> datetime:
        return datetime.combine(day, start, tzinfo=TZ)

    steps = [
        Step(f"before_{n}", morning(due_date - timedelta(days=n)), "before", n)
        for n in sorted({int(n) for n in config("DAYS_BEFORE") if int(n) > 0}, reverse=True)
    ]
    steps.append(Step("due", morning(due_date), "due", 0))
    after = sorted({int(n) for n in config("ESCALATE_AFTER_DAYS") if int(n) > 0})
    steps += [
        Step(f"overdue_{n}", morning(due_date + timedelta(days=n)), "overdue", n, reach=i)
        for i, n in enumerate(after)
    ]
    return steps


def arm(task: Task, *, now: datetime) -> None:
    """Ask the sweep to look at `task` (call after creating it or moving its due date)."""
    Task.objects.filter(pk=task.pk).update(next_check_at=now)
    task.next_check_at = now


@dataclass
class TaskSweepReport:
    checked: int = 0
    fired: int = 0
    notices: int = 0
    errors: int = 0
    digests_queued: int = 0
    ladders: dict[int, list[tuple[Unit, list[User]]]] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return (
            f"tasks checked {self.checked}, fired {self.fired}, notices {self.notices}, "
            f"errors {self.errors}"
        )


# --- who and what --------------------------------------------------------------------------------


def owners(task: Task) -> list[User]:
    """The responsible person and the active staff of the owning department."""
    people = [task.responsible] if task.responsible and task.responsible.is_active else []
    if task.owner_department_id:
        people += list(
            User.objects.filter(department_id=task.owner_department_id, is_active=True).order_by(
                "pk"
            )
        )
    return list({u.pk: u for u in people}.values())


def recipients(
    task: Task, step: Step, *, ladders: dict[int, list[tuple[Unit, list[User]]]] | None = None
) -> list[tuple[int | None, User]]:
    """(ladder step, user) for a step: the owners, and for an escalation the rungs it reaches.

    Nobody may be lost: a task with no responsible person and no department staff goes to the
    owning unit's officers even before it is overdue.
    """
    people: list[tuple[int | None, User]] = [(None, u) for u in owners(task)]
    reach = step.reach if step.kind == "overdue" else (-1 if people else 0)
    if reach < 0:
        return people
    cache = ladders if ladders is not None else {}
    rungs = cache.get(task.owner_unit_id)
    if rungs is None:
        rungs = cache[task.owner_unit_id] = escalation_ladder(unit=task.owner_unit)
    for unit, users in rungs[: reach + 1]:
        level = LadderStep.HQ_OFFICE if unit.parent_id is None else LadderStep.BRANCH_OFFICER
        people += [(level, u) for u in users]
    return people


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def task_url(task: Task) -> str:
    return reverse("plans:task", args=[task.pk])


def texts(task: Task, step: Step) -> tuple[str, str]:
    """Title and body of a reminder: the task, its unit and dates only (no personal data)."""
    title = redact(task.title)
    with translation.override(settings.LANGUAGE_CODE):
        if step.kind == "before":
            head = _("【任务提醒】%(title)s 将于%(date)s到期") % {
                "title": title,
                "date": _day(task.due_date),
            }
        elif step.kind == "due":
            head = _("【任务到期】%(title)s 今日到期") % {"title": title}
        else:
            head = _("【任务逾期】%(title)s 已逾期%(n)d天") % {"title": title, "n": step.days}
        lines = [
            _("任务：%(title)s") % {"title": title},
            _("责任机构：%(unit)s") % {"unit": task.owner_unit.name},
        ]
        if task.owner_department_id and task.owner_department:
            lines.append(_("责任部门：%(dept)s") % {"dept": task.owner_department.name})
        lines += [
            _("完成期限：%(date)s") % {"date": _day(task.due_date)},
            _("当前状态：%(status)s，进度%(pct)d%%")
            % {"status": task.get_status_display(), "pct": task.progress_pct},
        ]
        if step.kind == "overdue":
            lines.append(_("该任务已逾期，已按督办规则逐级报告。"))
    return head, "\n".join(lines)


# --- the sweep -----------------------------------------------------------------------------------


def check(task: Task, *, now: datetime, timing: notify.Timing, report: TaskSweepReport) -> None:
    """Fire the passed steps of one claimed task and store when to look next."""
    next_at: datetime | None = None
    if task.status in OPEN_TASK_STATUSES:
        steps = steps_for(task.due_date)
        fired = set(
            TaskReminder.objects.filter(task=task, due_date=task.due_date).values_list(
                "step", flat=True
            )
        )
        passed = [s for s in steps if s.moment <= now and s.code not in fired]
        # Waiting for verification is the issuing office's move: nothing to chase meanwhile.
        if passed and task.status != TaskStatus.SUBMITTED:
            TaskReminder.objects.bulk_create(
                [
                    TaskReminder(task=task, step=s.code, due_date=task.due_date, fired_at=now)
                    for s in passed
                ]
            )
            top = passed[-1]
            title, body = texts(task, top)
            notices = notify.notify_record(
                recipients=recipients(task, top, ladders=report.ladders),
                target=task,
                unit=task.owner_unit,
                kind=NotificationKind.ESCALATION
                if top.kind == "overdue"
                else NotificationKind.REMINDER,
                title=title,
                body=body,
                url=task_url(task),
                dedupe_key=f"task:{task.pk}:{task.due_date.isoformat()}:{top.code}",
                grouped=True,
                timing=timing,
            )
            report.fired += len(passed)
            report.notices += len(notices)
            fired |= {s.code for s in passed}
        upcoming = [s.moment for s in steps if s.moment > now and s.code not in fired]
        next_at = min(upcoming) if upcoming else None
    # The claim left next_check_at empty; a service that re-armed the task meanwhile wins.
    Task.objects.filter(pk=task.pk, next_check_at__isnull=True).update(next_check_at=next_at)


def _batch(*, now: datetime, timing: notify.Timing, report: TaskSweepReport, size: int) -> int:
    with transaction.atomic():
        qs = Task.objects.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.select_related("owner_unit", "owner_department", "responsible")[:size])
        for task in rows:
            # The claim: exactly one sweeper empties this task's next_check_at.
            claimed = Task.objects.filter(pk=task.pk, next_check_at=task.next_check_at).update(
                next_check_at=None
            )
            if claimed != 1:
                continue
            try:
                with transaction.atomic():
                    check(task, now=now, timing=timing, report=report)
                report.checked += 1
            except IntegrityError:
                # Another sweeper fired this step a moment ago (the unique row): its notices
                # stand; look again later.
                Task.objects.filter(pk=task.pk).update(next_check_at=now + RETRY_AFTER)
            except Exception:
                logger.exception("task reminder check of task %s failed", task.pk)
                report.errors += 1
                Task.objects.filter(pk=task.pk).update(next_check_at=now + RETRY_AFTER)
        return len(rows)


def sweep_tasks(*, now: datetime, batch: int = BATCH) -> TaskSweepReport:
    """One pass over every due task; queue the grouped messages at the end."""
    from xiaobao.complaints.clock import current_calendar

    timing = notify.Timing(now=now, calendar=current_calendar())
    report = TaskSweepReport()
    while _batch(now=now, timing=timing, report=report, size=batch) == batch:
        pass
    report.digests_queued = notify.digest_queue_due(now=now)
    return report
