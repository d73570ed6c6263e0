"""Overdue notices state the true number of days overdue, not the name of the threshold."""

from __future__ import annotations

import pytest

from xiaobao.watch.models import Notification

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_case(register, staff, frozen):
    """Received 25 March 2026 10:00, due 10 April 2026 00:00 (Qingming moves it)."""
    frozen(at(2026, 3, 25, 11))
    return register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a)


def test_three_days_overdue_reads_three_days(late_case, staff, sweep_at):
    sweep_at(at(2026, 4, 13, 0, 0))
    titles = set(
        Notification.objects.filter(recipient=staff.hq_officer).values_list("title", flat=True)
    )
    assert titles == {f"【紧急】{late_case.registry_no} 逾期3日"}


def test_a_case_first_swept_298_days_late_is_announced_298_days_late(late_case, staff, sweep_at):
    sweep_at(at(2027, 2, 2, 0, 0))  # 298 days after 10 April 2026 00:00
    notice = Notification.objects.filter(recipient=staff.hq_officer).get()
    assert notice.title == f"【紧急】{late_case.registry_no} 逾期298日"
    assert "已逾期：298日" in notice.body and "提醒事项：逾期3日" in notice.body
    assert "已用时" not in notice.body


def test_before_the_deadline_the_notice_says_how_much_time_is_used(late_case, staff, sweep_at):
    sweep_at(at(2026, 4, 3, 22))
    notice = Notification.objects.filter(recipient=staff.handler_a).get()
    assert "逾期" not in notice.title and "已用时：" in notice.body
