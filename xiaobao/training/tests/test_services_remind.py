"""Qualification expiry reminders at 60 and 30 days, each sent once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from xiaobao.deadlines.engine import TZ
from xiaobao.training import services
from xiaobao.watch.models import Notification

pytestmark = pytest.mark.django_db


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=TZ)


def test_holder_and_training_admin_are_told_at_60_then_30_days_once_each(staff):
    expires = date(2026, 9, 30)
    q = services.qualification_add(
        actor=staff.trainer,
        user=staff.manager,
        kind="fund",
        number="JJ-7",
        issuer="基金业协会",
        valid_from=date(2023, 10, 1),
        valid_to=expires,
    )
    assert services.qualification_remind(now=_noon(expires - timedelta(days=70))) == 0
    first = services.qualification_remind(now=_noon(expires - timedelta(days=59)))
    assert first == 2  # the holder and branch A's training admin
    assert services.qualification_remind(now=_noon(expires - timedelta(days=50))) == 0
    second = services.qualification_remind(now=_noon(expires - timedelta(days=29)))
    assert second == 2
    assert services.qualification_remind(now=_noon(expires - timedelta(days=5))) == 0
    notices = Notification.objects.filter(recipient=staff.manager)
    assert notices.count() == 2
    assert all(q.number in n.body for n in notices)
    assert {n.recipient for n in Notification.objects.all()} == {staff.manager, staff.trainer}
