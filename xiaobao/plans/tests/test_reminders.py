"""Task reminders and escalation: grouped messages, once per step, re-arm, working hours."""

# The watch's fixtures (staff with e-mail addresses, frozen time, sending jobs) are imported
# here and used as arguments, which pyflakes reads as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from xiaobao.organisation.models import Department
from xiaobao.plans.choices import TaskStatus
from xiaobao.plans.models import Task, TaskReminder
from xiaobao.plans.reminders import arm, sweep_tasks
from xiaobao.watch import schedule
from xiaobao.watch.choices import NotificationKind
from xiaobao.watch.models import Notification
from xiaobao.watch.tests.conftest import (  # noqa: F401 - fixtures for pytest
    _locmem_mail,
    at,
    frozen,
    send_at,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_task(org, staff):
    def make(*, due: date, owner=None, responsible=None, **extra) -> Task:
        task = Task.objects.create(
            issuing_unit=org.hq,
            owner_unit=owner or org.sub_a,
            responsible=responsible if responsible is not None else staff.handler_a,
            title=extra.pop("title", "柜面服务流程整改"),
            due_date=due,
            created_at=at(2026, 3, 1, 9),
            **extra,
        )
        arm(task, now=at(2026, 3, 1, 9))
        return task

    return make


def _sweep(frozen, moment):
    frozen(moment)
    return sweep_tasks(now=moment)


def test_many_due_tasks_give_each_recipient_one_message(make_task, staff, frozen, send_at):
    for n in range(6):
        make_task(due=date(2026, 4, 14), title=f"整改任务{n}")
    report = _sweep(frozen, at(2026, 4, 7, 10))  # seven days before, a Tuesday
    assert report.checked == 6 and report.notices == 6
    # One inbox row per task, linked to it …
    notices = Notification.objects.filter(recipient=staff.handler_a)
    assert notices.count() == 6
    assert {n.target for n in notices} == set(Task.objects.all())
    assert {n.link for n in notices} == {f"/plans/tasks/{t.pk}/" for t in Task.objects.all()}
    assert all(n.kind == NotificationKind.REMINDER for n in notices)
    # … and one e-mail listing all of them.
    assert send_at(at(2026, 4, 7, 10, 1)) == 1
    [message] = mail.outbox
    assert message.to == ["handler_a@bank.test"]
    assert all(f"整改任务{n}" in message.body for n in range(6))
    assert "2026年4月14日" in message.body


def test_a_step_fires_once_and_the_next_waits_for_its_day(make_task, staff, frozen):
    task = make_task(due=date(2026, 4, 14))
    _sweep(frozen, at(2026, 4, 7, 10))
    again = _sweep(frozen, at(2026, 4, 7, 10))
    assert again.checked == 0  # nothing due: the task waits for its next step
    task.refresh_from_db()
    assert task.next_check_at == at(2026, 4, 13, 9)
    # Even if something looks again (re-armed), the fired step is not sent twice.
    arm(task, now=at(2026, 4, 8, 10))
    assert _sweep(frozen, at(2026, 4, 8, 10)).notices == 0
    assert _sweep(frozen, at(2026, 4, 13, 9, 5)).notices == 1
    steps = list(TaskReminder.objects.filter(task=task).values_list("step", flat=True))
    assert sorted(steps) == ["before_1", "before_7"]
    assert Notification.objects.filter(recipient=staff.handler_a).count() == 2


def test_a_moved_due_date_re_arms_the_steps(make_task, frozen):
    task = make_task(due=date(2026, 4, 14))
    _sweep(frozen, at(2026, 4, 7, 10))
    Task.objects.filter(pk=task.pk).update(due_date=date(2026, 4, 24))
    arm(task, now=at(2026, 4, 8, 10))
    assert _sweep(frozen, at(2026, 4, 8, 10)).notices == 0  # 16 days left: nothing yet
    assert _sweep(frozen, at(2026, 4, 17, 9, 30)).notices == 1
    assert set(TaskReminder.objects.filter(step="before_7").values_list("due_date", flat=True)) == {
        date(2026, 4, 14),
        date(2026, 4, 24),
    }


def test_reminders_on_a_holiday_wait_for_the_next_working_morning(
    make_task,
    staff,
    frozen,
    send_at,
):
    make_task(due=date(2026, 4, 7))  # the Tuesday after Qingming (4–6 April 2026)
    _sweep(frozen, at(2026, 4, 6, 9, 1))  # the day before: Monday, a public holiday
    [notice] = Notification.objects.filter(recipient=staff.handler_a)
    assert notice.deliver_after == at(2026, 4, 7, 9)
    assert send_at(at(2026, 4, 6, 18)) == 0
    # The first pass of the working morning queues one message (with the due-day reminder).
    assert _sweep(frozen, at(2026, 4, 7, 9)).digests_queued == 1
    assert send_at(at(2026, 4, 7, 9, 1)) == 1


def test_overdue_tasks_escalate_up_their_own_branch_once_per_step(
    make_task,
    staff,
    org,
    frozen,
):
    task = make_task(due=date(2026, 4, 14), owner=org.outlet_a, responsible=staff.outlet_handler_a)
    told = Counter[str]()

    def sweep_and_count(moment):
        _sweep(frozen, moment)
        told.clear()
        told.update(n.recipient.username for n in Notification.objects.all())

    sweep_and_count(at(2026, 4, 14, 10))  # due today: the owner only
    assert told == {"outlet_handler_a": 1}
    sweep_and_count(at(2026, 4, 15, 10))  # one day late: and branch A's officer
    assert told == {"outlet_handler_a": 2, "officer_a": 1}
    sweep_and_count(at(2026, 4, 15, 16))
    assert told == {"outlet_handler_a": 2, "officer_a": 1}
    sweep_and_count(at(2026, 4, 19, 10))  # five days late: up to head office
    assert told == {"outlet_handler_a": 3, "officer_a": 2, "hq_officer": 1}
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION).count() == 5
    assert not Notification.objects.filter(recipient__in=[staff.officer_b, staff.handler_b])
    overdue = TaskReminder.objects.filter(task=task, step__startswith="overdue")
    assert sorted(overdue.values_list("step", flat=True)) == ["overdue_1", "overdue_5"]


def test_a_task_seen_late_sends_only_its_highest_step(make_task, staff, frozen):
    task = make_task(due=date(2026, 4, 14))
    _sweep(frozen, at(2026, 4, 20, 10))  # six days late, never looked at before
    assert set(TaskReminder.objects.filter(task=task).values_list("step", flat=True)) == {
        "before_7",
        "before_1",
        "due",
        "overdue_1",
        "overdue_5",
    }
    assert Notification.objects.filter(recipient=staff.handler_a).count() == 1
    [notice] = Notification.objects.filter(recipient=staff.hq_officer)
    assert "已逾期5天" in notice.title


def test_department_staff_are_told_and_finished_or_submitted_tasks_are_not_chased(
    make_task,
    staff,
    org,
    make_user,
    frozen,
):
    dept = Department.objects.create(unit=org.sub_a, code="RETAIL", name="零售金融部")
    clerk = make_user("clerk_a", org.sub_a, "business_dept", department=dept)
    make_task(due=date(2026, 4, 14), owner_department=dept)
    make_task(due=date(2026, 4, 14), status=TaskStatus.SUBMITTED)
    make_task(due=date(2026, 4, 14), status=TaskStatus.DONE)
    _sweep(frozen, at(2026, 4, 7, 10))
    assert Counter(n.recipient for n in Notification.objects.all()) == {
        staff.handler_a: 1,
        clerk: 1,
    }
    assert Task.objects.get(status=TaskStatus.DONE).next_check_at is None


def test_the_sweeper_loop_runs_the_task_sweep(make_task, staff, frozen):
    make_task(due=date(2026, 4, 14))
    frozen(at(2026, 4, 7, 10))
    call_command("sweep_deadlines", "--no-jobs")
    assert Notification.objects.filter(recipient=staff.handler_a).count() == 1
    assert "plans.task_reminders" in schedule.registered()
