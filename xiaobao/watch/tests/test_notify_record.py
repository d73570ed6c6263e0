"""Notices about any record: scope, timing, digest and idempotency; the officers' ladder."""

from __future__ import annotations

import pytest
from django.core import mail

from xiaobao.organisation.models import Unit
from xiaobao.watch import selectors
from xiaobao.watch.choices import NotificationKind
from xiaobao.watch.models import Delivery, Notification
from xiaobao.watch.notify import notify_record
from xiaobao.watch.services import preference_update

from .conftest import at

pytestmark = pytest.mark.django_db


def _notify(recipients, unit: Unit, **extra):
    # Any model instance is a record; a unit is a handy one that every test has.
    options = {
        "target": unit,
        "unit": unit,
        "kind": NotificationKind.REMINDER,
        "title": "【到期提醒】整改任务 T-1 将于2026年4月10日到期",
        "body": "任务：柜面服务整改",
        "url": f"/org/units/{unit.code}/",
        **extra,
    }
    return notify_record(recipients=recipients, **options)


def test_a_record_notice_is_scoped_to_its_unit_and_links_to_the_record(staff, org, frozen):
    frozen(at(2026, 4, 7, 10))
    [notice] = _notify([staff.handler_a], org.sub_a)
    assert notice.unit == org.sub_a and notice.target == org.sub_a and notice.complaint is None
    assert notice.link == "/org/units/SUB-a/"
    assert "https://xiaobao.test/org/units/SUB-a/" in notice.body
    # In the recipient's inbox while the unit is in their scope; nobody else's.
    assert list(selectors.inbox(user=staff.handler_a)) == [notice]
    assert selectors.unread_count(user=staff.handler_b) == 0


def test_record_notices_follow_working_hours_across_a_holiday(staff, org, frozen, send_at):
    frozen(at(2026, 4, 3, 22))  # Friday night before Qingming (4–6 April)
    [notice] = _notify([staff.handler_a], org.sub_a)
    assert notice.deliver_after == at(2026, 4, 7, 9)
    assert send_at(at(2026, 4, 6, 23)) == 0
    # An urgent notice on the holiday goes at once.
    [urgent] = _notify([staff.officer_a], org.branch_a, urgent=True)
    assert urgent.deliver_after == at(2026, 4, 6, 23)
    assert Delivery.objects.get(notification=urgent).deliver_after == at(2026, 4, 6, 23)
    assert send_at(at(2026, 4, 6, 23, 1)) == 1
    assert send_at(at(2026, 4, 7, 9)) == 1
    assert [m.to for m in mail.outbox] == [["officer_a@bank.test"], ["handler_a@bank.test"]]


def test_a_digest_user_gets_record_notices_in_one_message(staff, org, frozen, send_at):
    preference_update(user=staff.officer_a, channels=["email"], daily_digest=True)
    frozen(at(2026, 4, 7, 10))
    for n in range(3):
        _notify([staff.officer_a], org.branch_a, title=f"任务{n}将到期", dedupe_key=f"t{n}")
    assert send_at(at(2026, 4, 7, 12)) == 0
    from xiaobao.watch.notify import digest_queue_due

    frozen(at(2026, 4, 8, 9))
    assert digest_queue_due(now=at(2026, 4, 8, 9)) == 1
    assert send_at(at(2026, 4, 8, 9, 1)) == 1
    [message] = mail.outbox
    assert "（3条）" in message.subject
    assert all(f"任务{n}将到期" in message.body for n in range(3))


def test_a_dedupe_key_tells_each_recipient_once(staff, org, frozen):
    frozen(at(2026, 4, 7, 10))
    first = _notify([staff.handler_a], org.sub_a, dedupe_key="task:1:due:7")
    again = _notify([staff.handler_a, staff.officer_a], org.sub_a, dedupe_key="task:1:due:7")
    assert len(first) == 1 and [n.recipient for n in again] == [staff.officer_a]
    assert Notification.objects.filter(dedupe_key="task:1:due:7").count() == 2


def test_inactive_recipients_are_skipped(staff, org, frozen):
    frozen(at(2026, 4, 7, 10))
    staff.handler_a.is_active = False
    staff.handler_a.save(update_fields=["is_active"])
    assert _notify([staff.handler_a], org.sub_a) == []


def test_the_ladder_climbs_from_the_units_officers_to_head_office(staff, org, make_user):
    def names(unit: Unit) -> list[tuple[str, list[str]]]:
        rungs = selectors.escalation_ladder(unit=unit)
        return [(u.code, [p.username for p in people]) for u, people in rungs]

    # Outlet A has no officer: its branch's officer, then head office.
    assert names(org.outlet_a) == [("BR-a", ["officer_a"]), ("HQ", ["hq_officer"])]
    make_user("officer_sub_a", org.sub_a, "branch_cp_officer")
    assert names(org.outlet_a) == [
        ("SUB-a", ["officer_sub_a"]),
        ("BR-a", ["officer_a"]),
        ("HQ", ["hq_officer"]),
    ]
    assert names(org.hq) == [("HQ", ["hq_officer"])]
    # Branch B's matters never climb through branch A.
    assert names(org.sub_b) == [("BR-b", ["officer_b"]), ("HQ", ["hq_officer"])]
