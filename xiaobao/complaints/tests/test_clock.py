from __future__ import annotations

from datetime import date

import pytest

from xiaobao.complaints import clock, services
from xiaobao.complaints.models import CalendarDay, DeadlinePolicy

from .conftest import at

pytestmark = pytest.mark.django_db


def _edit_policy(**changes: object) -> None:
    # Saved, as the admin does: the save bumps the stamp that every process's copy is kept under.
    policy = DeadlinePolicy.objects.get(kind="complaint")
    for field, value in changes.items():
        setattr(policy, field, value)
    policy.save()


def test_editing_a_policy_changes_new_cases_not_promised_deadlines(register, frozen):
    frozen(at(2026, 3, 2, 11))
    before = register(received_at=at(2026, 3, 2, 9))
    _edit_policy(days=10)
    after = register(received_at=at(2026, 3, 2, 9))
    assert before.due_date == date(2026, 3, 17)
    assert after.due_date == date(2026, 3, 12)
    before.refresh_from_db()
    clock.apply_deadline(before)
    assert before.due_date == date(2026, 3, 17)


def test_roll_over_setting_moves_a_deadline_off_a_holiday(register, frozen):
    # Received 16 Sep 2026: day 15 is 1 October, National Day; first working day after is 8 Oct.
    frozen(at(2026, 9, 16, 11))
    strict = register(received_at=at(2026, 9, 16, 9))
    assert strict.due_date == date(2026, 10, 1)
    _edit_policy(roll_over_holidays=True)
    lenient = register(received_at=at(2026, 9, 16, 9))
    assert lenient.due_date == date(2026, 10, 8)
    assert any("顺延" in line for line in lenient.deadline_explanation)


def test_administrator_calendar_days_feed_working_day_policies():
    # 2027 is beyond the holiday package's table: an administrator enters the published days.
    received = at(2027, 2, 3, 10)  # a Wednesday
    assert (
        clock.forwarding_workdays(
            referrer_received_on=date(2027, 2, 3), received_at=at(2027, 2, 12, 9)
        )
        == 7
    )
    for day in range(6, 14):  # a Spring-Festival week off, with a make-up Saturday on the 13th
        CalendarDay.objects.create(
            date=date(2027, 2, day), is_workday=(day == 13), note="2027年春节"
        )
    assert (
        clock.forwarding_workdays(
            referrer_received_on=date(2027, 2, 3), received_at=at(2027, 2, 12, 9)
        )
        == 2
    )
    calendar = clock.current_calendar()
    assert calendar.is_workday(date(2027, 2, 13)) and not calendar.is_workday(date(2027, 2, 8))
    assert received.weekday() == 2


def test_service_level_pauses_never_shorten_the_deadline(accepted, people, frozen):
    due_before = accepted.due_at
    for start, end in [((2026, 1, 6, 9), (2026, 1, 6, 17)), ((2026, 1, 8, 9), (2026, 1, 9, 9))]:
        frozen(at(*start))
        services.complaint_pause(
            actor=people.handler_a, complaint=accepted, reason="testing", told_by="sms"
        )
        frozen(at(*end))
        services.complaint_resume(actor=people.handler_a, complaint=accepted)
        accepted.refresh_from_db()
        assert accepted.due_at >= due_before
        due_before = accepted.due_at
    assert accepted.due_date == date(
        2026, 1, 21
    )  # same-day pause costs nothing; the second one day
