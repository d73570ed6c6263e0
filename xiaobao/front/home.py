"""Role homes: what the signed-in person must act on, most urgent first, each list bounded.

A home is a list of panels. Each panel is shown only to those who can act on it (an unassigned
list only to those who may assign, approvals only to approvers), holds at most `LIMIT` rows with
the total and a link to the full list, and panels come in a fixed order of urgency: approvals
waiting, overdue work, work falling due, then the rest. Panels with nothing in them shrink to one
line at the bottom ("nothing waiting"), so the first screen of a phone shows what to do now.

Complaints are read through `xiaobao.complaints.selectors`, tasks through `xiaobao.plans.selectors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaobao.deadlines.engine import TZ

LIMIT = 5


@dataclass
class Row:
    href: str
    ref: str
    title: str
    meta: str = ""
    when: str = ""
    state: str = ""  # "overdue", "due_soon" or ""


@dataclass
class Panel:
    key: str
    title: str
    count: int
    rows: list[Row]
    more_url: str = ""
    hint: str = ""
    # 0 approvals, 1 overdue, 2 due soon, 3 to act on, 4 to keep an eye on
    urgency: int = 3
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _days(n: int) -> str:
    return _("%(n)d日") % {"n": n}


def _case_when(c: Any, now: Any) -> tuple[str, str]:
    if c.due_at is None:
        return "", ""
    due = c.due_at.astimezone(TZ).date()
    today = now.astimezone(TZ).date()
    if c.due_at < now:
        return _("逾期%(days)s") % {"days": _days(max((today - due).days, 1))}, "overdue"
    if due == today:
        return _("今日到期"), "due_soon"
    return _("剩%(days)s") % {"days": _days((due - today).days)}, "due_soon" if (
        due - today
    ).days <= 3 else ""


def _case_rows(qs: QuerySet[Any], now: Any) -> list[Row]:
    rows = []
    for c in qs.select_related("unit")[:LIMIT]:
        when, state = _case_when(c, now)
        rows.append(
            Row(
                href=reverse("complaints:detail", args=[c.pk]),
                ref=c.registry_no,
                title=c.title,
                meta=c.unit.name,
                when=when,
                state=state,
            )
        )
    return rows


def _task_rows(qs: QuerySet[Any], today: date) -> list[Row]:
    from xiaobao.plans.selectors import due_state

    rows = []
    for t in qs.select_related("owner_unit", "owner_department")[:LIMIT]:
        state = due_state(t, today)
        if state == "overdue":
            when = _("逾期%(days)s") % {"days": _days((today - t.due_date).days)}
        else:
            when = _("%(date)s到期") % {"date": t.due_date.isoformat()}
        rows.append(
            Row(
                href=reverse("plans:task", args=[t.pk]),
                ref=t.get_status_display(),
                title=t.title,
                meta=f"{t.owner_unit.name}{t.owner_department.name if t.owner_department else ''}",
                when=when,
                state=state,
            )
        )
    return rows


def _registry(**params: str) -> str:
    return f"{reverse('complaints:registry')}?{urlencode(params)}"


def _complaint_panels(user: Any, now: Any) -> Iterable[Panel]:
    from xiaobao.complaints import selectors

    if user.has_perm("complaints.approve_extension_30") or user.has_perm(
        "complaints.approve_extension_60"
    ):
        ext = selectors.extensions_awaiting(user=user).order_by("requested_at")
        yield Panel(
            key="extensions",
            title=_("待我审批的延期申请"),
            count=ext.count(),
            rows=[
                Row(
                    href=reverse("complaints:detail", args=[e.complaint_id]),
                    ref=e.complaint.registry_no,
                    title=e.complaint.title,
                    meta=_("%(who)s申请延期%(days)s")
                    % {
                        "who": e.requested_by,
                        "days": _days(e.target_days),
                    },
                    when=timezone.localtime(e.requested_at).strftime("%Y-%m-%d"),
                    state="due_soon",
                )
                for e in ext[:LIMIT]
            ],
            urgency=0,
        )
    soon = selectors.due_soon(user=user, at=now)
    if user.has_perm("complaints.handle_complaint"):
        mine = selectors.my_cases(user=user)
        overdue = mine.filter(due_at__lt=now).order_by("due_at")
        yield Panel(
            key="my_overdue",
            title=_("我办理的投诉：已超期"),
            count=overdue.count(),
            rows=_case_rows(overdue, now),
            more_url=_registry(handler=user.username, due="overdue"),
            urgency=1,
        )
        falling = mine.filter(pk__in=soon.values("pk"), due_at__gte=now).order_by("due_at")
        yield Panel(
            key="my_due_soon",
            title=_("我办理的投诉：3日内到期"),
            count=falling.count(),
            rows=_case_rows(falling, now),
            more_url=_registry(handler=user.username, due="soon"),
            urgency=2,
        )
        rest = mine.exclude(pk__in=soon.values("pk")).order_by("due_at")
        yield Panel(
            key="my_cases",
            title=_("我办理的投诉：其他在办"),
            count=rest.count(),
            rows=_case_rows(rest, now),
            more_url=_registry(handler=user.username, due="open"),
            urgency=4,
        )
    if user.has_perm("complaints.assign_complaint"):
        unassigned = selectors.unassigned(user=user).order_by("due_at")
        yield Panel(
            key="unassigned",
            title=_("待分派的投诉"),
            count=unassigned.count(),
            rows=_case_rows(unassigned, now),
            more_url=_registry(due="open"),
            urgency=3,
        )
    # Those who oversee (officers, unit heads, senior managers, auditors) see their scope's
    # overdue cases; a handler already sees their own, an administrator reads cases only to
    # support their users and gets no case lists.
    administrator = user.has_perm("organisation.change_user")
    if (
        user.has_perm("complaints.view_complaint")
        and not administrator
        and (
            user.has_perm("complaints.assign_complaint")
            or not user.has_perm("complaints.handle_complaint")
        )
    ):
        overdue_all = (
            selectors.complaint_list(user=user)
            .filter(pk__in=soon.values("pk"), due_at__lt=now)
            .order_by("due_at")
        )
        yield Panel(
            key="scope_overdue",
            title=_("辖内超期未办结投诉"),
            count=overdue_all.count(),
            rows=_case_rows(overdue_all, now),
            more_url=_registry(due="overdue"),
            urgency=1,
        )
    if user.has_perm("complaints.handle_complaint"):
        follow = selectors.follow_up_worklist(user=user, limit=LIMIT)
        if follow:
            yield Panel(
                key="follow_ups",
                title=_("待回访"),
                count=len(follow),
                rows=[
                    Row(
                        href=reverse("complaints:detail", args=[c.pk]),
                        ref=c.registry_no,
                        title=c.title,
                        meta=c.unit.name,
                    )
                    for c, _reason in follow
                ],
                more_url=reverse("complaints:follow_ups"),
                urgency=3,
            )


def _task_panels(user: Any, today: date) -> Iterable[Panel]:
    from xiaobao.plans import selectors

    if user.has_perm("plans.verify_task"):
        verify = selectors.to_verify(user).order_by("submitted_at", "id")
        yield Panel(
            key="tasks_to_verify",
            title=_("待我验收的任务"),
            count=verify.count(),
            rows=_task_rows(verify, today),
            more_url=reverse("plans:mine"),
            urgency=0,
        )
    if user.has_perm("plans.view_task"):
        mine = selectors.my_tasks(user)
        overdue = mine.filter(due_date__lt=today).order_by("due_date", "id")
        yield Panel(
            key="my_tasks_overdue",
            title=_("本人或本部门的逾期任务"),
            count=overdue.count(),
            rows=_task_rows(overdue, today),
            more_url=reverse("plans:mine"),
            urgency=1,
        )
        ahead = mine.filter(due_date__gte=today).order_by("due_date", "id")
        yield Panel(
            key="my_tasks",
            title=_("本人或本部门的待办任务"),
            count=ahead.count(),
            rows=_task_rows(ahead, today),
            more_url=reverse("plans:mine"),
            urgency=2 if ahead.filter(due_date__lte=today + timedelta(days=7)).exists() else 3,
        )
    if user.has_perm("plans.approve_plan"):
        from xiaobao.plans.choices import PlanStatus

        plans = selectors.plans_visible(user).filter(status=PlanStatus.SUBMITTED)
        yield Panel(
            key="plans_to_approve",
            title=_("待我审批的工作计划"),
            count=plans.count(),
            rows=[
                Row(
                    href=reverse("plans:plan", args=[p.pk]),
                    ref=str(p.year),
                    title=p.title,
                    meta=p.unit.name,
                )
                for p in plans.select_related("unit")[:LIMIT]
            ],
            more_url=reverse("plans:list"),
            urgency=0,
        )


def _programme_panels(user: Any, today: date) -> Iterable[Panel]:
    if user.has_perm("outreach.approve_activity"):
        from xiaobao.outreach.choices import ActivityStatus
        from xiaobao.outreach.selectors import activities_for

        waiting = (
            activities_for(user)
            .filter(status=ActivityStatus.SUBMITTED)
            .exclude(created_by=user)
            .select_related("unit")
            .order_by("id")
        )
        yield Panel(
            key="activities_to_approve",
            title=_("待我审核的宣传活动"),
            count=waiting.count(),
            rows=[
                Row(
                    href=reverse("outreach:activity", args=[a.pk]),
                    ref=a.get_status_display(),
                    title=a.title,
                    meta=a.unit.name,
                )
                for a in waiting[:LIMIT]
            ],
            more_url=reverse("outreach:index"),
            urgency=0,
        )
    if user.has_perm("governance.change_internalrule"):
        from xiaobao.governance.selectors import rules_review_overdue

        rules = rules_review_overdue(user, today=today).order_by("next_review_on")
        yield Panel(
            key="rules_review",
            title=_("逾期未评估的内部制度"),
            count=rules.count(),
            rows=[
                Row(
                    href=reverse("governance:rule", args=[r.pk]),
                    ref=r.doc_number,
                    title=r.title,
                    when=_("应于%(date)s评估") % {"date": r.next_review_on.isoformat()},
                    state="overdue",
                )
                for r in rules[:LIMIT]
            ],
            more_url=reverse("governance:rules"),
            urgency=3,
        )


def _admin_panels(user: Any) -> Iterable[Panel]:
    if not user.has_perm("organisation.change_user"):
        return
    from django.conf import settings

    rows: list[Row] = []
    count = 0
    if user.has_perm("axes.view_accessattempt"):
        from axes.models import AccessAttempt

        locked = AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).order_by("-attempt_time")
        count = locked.count()
        rows = [
            Row(
                href=reverse("admin:axes_accessattempt_change", args=[a.pk]),
                ref=a.username or "—",
                title=_("登录失败%(n)d次，已锁定") % {"n": a.failures_since_start},
                meta=a.ip_address or "",
                when=timezone.localtime(a.attempt_time).strftime("%Y-%m-%d %H:%M"),
                state="overdue",
            )
            for a in locked[:LIMIT]
        ]
    yield Panel(
        key="locked_accounts",
        title=_("被锁定的登录"),
        count=count,
        rows=rows,
        more_url=reverse("admin:axes_accessattempt_changelist") if count else "",
        urgency=1,
        links=[
            (_("员工与角色"), reverse("front:staff_list")),
            (_("机构"), reverse("front:unit_list")),
            (_("工作日历"), reverse("complaints:calendar")),
            (_("管理后台"), reverse("admin:index")),
        ],
    )


def panels_for(user: Any) -> tuple[list[Panel], list[Panel]]:
    """(panels with something to act on, most urgent first; panels with nothing waiting)."""
    now = timezone.now()
    today = now.astimezone(TZ).date()
    found: list[Panel] = [
        *_complaint_panels(user, now),
        *_task_panels(user, today),
        *_programme_panels(user, today),
        *_admin_panels(user),
    ]
    order = {p.key: i for i, p in enumerate(found)}
    busy = sorted((p for p in found if p.count or p.links), key=lambda p: (p.urgency, order[p.key]))
    idle = [p for p in found if not p.count and not p.links]
    return busy, idle
