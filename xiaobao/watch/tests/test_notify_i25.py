"""Grouped urgent notices, daily overdue reminders, assignment and extension notices, alerts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from xiaobao.complaints import services
from xiaobao.jobs.services import run_pending
from xiaobao.organisation.choices import Role
from xiaobao.reports.choices import AlertKind
from xiaobao.reports.models import Alert
from xiaobao.reports.services import alert_notify
from xiaobao.watch.choices import LadderStep, NotificationKind
from xiaobao.watch.models import Delivery, Notification
from xiaobao.watch.selectors import extension_approvers

from .conftest import at

pytestmark = pytest.mark.django_db


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


# --- urgent notices of one sweep, grouped per person ------------------------------------------


def test_a_sweep_over_40_overdue_cases_sends_each_recipient_one_message(
    register, staff, frozen, sweep_at, send_at
):
    frozen(at(2026, 3, 25, 11))
    cases = [
        register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a, title=f"信用卡年费{i}")
        for i in range(40)
    ]
    # 13 April 2026 00:00, a Monday night: every case is three days overdue, the ladder's
    # top rung (head office) is reached and the notices are urgent.
    report = sweep_at(at(2026, 4, 13, 0, 0))
    assert report.checked == 40
    recipients = {"handler_a", "head_a", "officer_a", "hq_officer"}
    for username in recipients:
        assert Notification.objects.filter(recipient__username=username).count() == 40
    assert send_at(at(2026, 4, 13, 0, 1)) == len(recipients)
    for username in recipients:
        [message] = _mails_to(f"{username}@bank.test")
        assert message.subject.startswith("[消保平台] 【紧急】40条紧急提醒")
        listed = set(re.findall(r"投诉编号：(\S+)", message.body))
        assert listed == {c.registry_no for c in cases}
    # Every delivery is claimed once; another pass and another runner send nothing more.
    assert not Delivery.objects.filter(delivered_at__isnull=True).exists()
    sweep_at(at(2026, 4, 13, 0, 5))
    assert send_at(at(2026, 4, 13, 0, 6)) == 0


def test_a_single_urgent_notice_keeps_its_own_subject(register, staff, frozen, sweep_at, send_at):
    frozen(at(2026, 3, 25, 11))
    case = register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a)
    sweep_at(at(2026, 4, 10, 0, 0))
    assert send_at(at(2026, 4, 10, 0, 1)) == 3
    [message] = _mails_to("handler_a@bank.test")
    assert message.subject == f"[消保平台] 【紧急】{case.registry_no} 已到办理期限，尚未答复"


def test_non_urgent_notices_of_one_pass_wait_for_working_hours_and_go_together(
    register, staff, frozen, sweep_at, send_at
):
    frozen(at(2026, 3, 25, 11))
    cases = [
        register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a, title=f"理财{i}")
        for i in range(3)
    ]
    sweep_at(at(2026, 4, 3, 22))  # 22:00 on the Friday before Qingming: not urgent
    assert Notification.objects.filter(recipient=staff.handler_a, urgent=False).count() == 3
    assert send_at(at(2026, 4, 3, 22, 1)) == 0
    sweep_at(at(2026, 4, 7, 9))  # the first working morning
    sent = send_at(at(2026, 4, 7, 9, 1))
    assert sent == len({m.to[0] for m in mail.outbox})  # one message per person
    [message] = _mails_to("handler_a@bank.test")
    assert "【紧急】" not in message.subject
    assert {c.registry_no for c in cases} <= set(re.findall(r"投诉编号：(\S+)", message.body))


# --- overdue cases are reminded every working day until they close -----------------------------


@pytest.fixture
def overdue_case(register, staff, frozen, sweep_at, send_at):
    """Due 10 April 2026 00:00; the sweep at the deadline sends the urgent notice."""
    frozen(at(2026, 3, 25, 11))
    case = register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a)
    sweep_at(at(2026, 4, 10, 0, 0))
    send_at(at(2026, 4, 10, 0, 1))
    mail.outbox.clear()
    return case


def _reminders(case, username: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            complaint=case, kind=NotificationKind.OVERDUE, recipient__username=username
        ).order_by("created_at")
    )


def test_an_overdue_case_is_reminded_each_working_morning_in_the_digest(
    overdue_case, staff, sweep_at, send_at
):
    sweep_at(at(2026, 4, 10, 9, 0))  # Friday morning
    assert send_at(at(2026, 4, 10, 9, 1)) == 2  # the handler and the unit head
    [message] = _mails_to("handler_a@bank.test")
    assert f"【逾期催办】{overdue_case.registry_no} 已逾期1日" in message.subject
    assert _mails_to("head_a@bank.test")
    assert not _mails_to("hq_officer@bank.test")
    # Once a working day: another pass on Friday tells nobody again.
    sweep_at(at(2026, 4, 10, 15, 0))
    assert len(_reminders(overdue_case, "handler_a")) == 1
    # Not over the weekend; Monday 13 April 00:00 the 3-days-overdue threshold fires (urgent),
    # and the Monday morning reminder still comes.
    sweep_at(at(2026, 4, 11, 9, 0))
    assert len(_reminders(overdue_case, "handler_a")) == 1
    sweep_at(at(2026, 4, 13, 0, 0))
    sweep_at(at(2026, 4, 13, 9, 0))
    reminders = _reminders(overdue_case, "handler_a")
    assert len(reminders) == 2 and "已逾期4日" in reminders[-1].title
    assert not reminders[-1].urgent


def test_reminders_stop_when_the_case_closes(overdue_case, staff, frozen, sweep_at):
    sweep_at(at(2026, 4, 10, 9, 0))
    frozen(at(2026, 4, 10, 10, 0))
    services.complaint_withdraw(
        actor=staff.handler_a, complaint=overdue_case, received_at=at(2026, 4, 10, 9, 30)
    )
    for day in (13, 14, 15):
        sweep_at(at(2026, 4, day, 9, 0))
    assert len(_reminders(overdue_case, "handler_a")) == 1


def test_reminders_go_only_by_channels_that_bundle(overdue_case, staff, sweep_at):
    from xiaobao.watch import services as watch_services

    watch_services.preference_update(
        user=staff.handler_a, channels=["email", "sms"], daily_digest=False
    )
    sweep_at(at(2026, 4, 10, 9, 0))
    [reminder] = _reminders(overdue_case, "handler_a")
    assert set(Delivery.objects.filter(notification=reminder).values_list("channel", "digest")) == {
        ("email", True)
    }


# --- assignment and extensions --------------------------------------------------------------


def test_the_new_handler_is_told_of_an_assignment(register, staff, frozen, send_at):
    frozen(at(2026, 1, 5, 11))
    case = register(actor=staff.officer_a)
    services.complaint_assign(
        actor=staff.officer_a, complaint=case, handler=staff.handler_a, reason="熟悉信用卡业务"
    )
    [notice] = Notification.objects.filter(kind=NotificationKind.ASSIGNED)
    assert notice.recipient == staff.handler_a and notice.complaint_id == case.pk
    assert notice.title == f"【分派】{case.registry_no} 已分派给您办理"
    assert "熟悉信用卡业务" in notice.body and not notice.urgent
    assert send_at(at(2026, 1, 5, 11, 1)) == 1
    assert mail.outbox[0].to == ["handler_a@bank.test"]


def test_an_extension_request_tells_those_who_may_approve_it(accepted, staff, frozen, send_at):
    frozen(at(2026, 1, 14, 10))
    services.extension_request(
        actor=staff.handler_a, complaint=accepted, target_days=30, reason="需调取境外交易记录"
    )
    notices = Notification.objects.filter(kind=NotificationKind.EXTENSION)
    assert {n.recipient.username for n in notices} == {"head_a", "officer_a"}
    notice = notices.first()
    assert notice is not None
    assert notice.title == f"【延期待审批】{accepted.registry_no} 申请延至30日"
    assert "需调取境外交易记录" in notice.body
    assert send_at(at(2026, 1, 14, 10, 1)) == 2


def test_a_60_day_extension_goes_to_the_upper_head_and_senior_managers(
    accepted, staff, make_user, org
):
    senior = make_user("senior", org.hq, Role.HQ_SENIOR_MANAGER)
    make_user("head_sub", org.sub_a, Role.UNIT_HEAD)  # the case's own unit: may not approve 60
    people = extension_approvers(complaint=accepted, target_days=60)
    assert [(step, u.username) for step, u in people] == [
        (LadderStep.UNIT_HEAD, "head_a"),
        (LadderStep.HQ_OFFICE, senior.username),
    ]
    nearer = extension_approvers(complaint=accepted, target_days=30)
    assert {u.username for _s, u in nearer} == {"head_sub", "officer_a"}


# --- early-warning alerts --------------------------------------------------------------------


def _alert(unit, kind=AlertKind.CLUSTER, subject="业务类别：信用卡") -> Alert:
    return Alert.objects.create(
        kind=kind,
        unit=unit,
        subject_key=f"{kind}:{unit.pk}",
        subject=subject,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        count=12,
        raised_at=at(2026, 4, 1, 8),
    )


def test_an_alert_is_told_to_the_officers_of_the_unit_concerned(org, staff, frozen, client):
    frozen(at(2026, 4, 1, 8))
    alert = _alert(org.sub_a)
    assert alert_notify(alert=alert) == 1
    [notice] = Notification.objects.filter(kind=NotificationKind.ALERT)
    assert notice.recipient == staff.officer_a
    assert notice.title == "【风险预警】A支行 同类投诉集中出现：业务类别：信用卡"
    assert "观察期投诉量：12件" in notice.body
    assert notice.link == reverse("reports:alert_detail", args=[alert.pk])
    assert alert_notify(alert=alert) == 0  # once per alert
    # A unit without officers of its own below head office: the head-office office.
    assert alert_notify(alert=_alert(org.hq)) == 1
    assert Notification.objects.filter(recipient=staff.hq_officer).exists()
    # The officer sees it on the notifications page.
    client.force_login(staff.officer_a)
    page = client.get(reverse("watch:inbox")).content.decode()
    assert "【风险预警】A支行" in page and "风险预警" in page


def test_a_repeat_complainant_is_not_named_in_the_notice(org, staff, frozen):
    frozen(at(2026, 4, 1, 8))
    alert_notify(alert=_alert(org.sub_a, kind=AlertKind.REPEAT, subject="重复投诉人：张*"))
    [notice] = Notification.objects.filter(kind=NotificationKind.ALERT)
    assert "张" not in notice.title + notice.body


def test_the_early_warning_run_notifies_for_each_new_alert(org, staff, frozen, monkeypatch):
    from xiaobao.reports import services as report_services
    from xiaobao.reports.warning import Finding

    frozen(at(2026, 4, 1, 8))
    finding = Finding(
        kind=AlertKind.SURGE,
        unit=org.branch_a,
        subject_key="unit:A",
        subject="机构：A分行",
        period_start=date(2026, 3, 25),
        period_end=date(2026, 3, 31),
        count=30,
        evidence={},
    )
    monkeypatch.setattr("xiaobao.reports.warning.find_all", lambda **kw: [finding])
    [raised] = report_services.early_warning_run(as_of=date(2026, 4, 1))
    [notice] = Notification.objects.filter(kind=NotificationKind.ALERT)
    assert notice.recipient == staff.officer_a and notice.target_id == raised.pk
    assert report_services.early_warning_run(as_of=date(2026, 4, 1)) == []
    assert Notification.objects.filter(kind=NotificationKind.ALERT).count() == 1
    run_pending(limit=100)


def test_replayed_history_tells_nobody(register, staff, frozen):
    from xiaobao.lib.clock import replay

    frozen(at(2026, 6, 1, 10))
    with replay(at(2026, 1, 5, 11)):  # a demo or a rebuilt ledger writing last winter's events
        case = register(actor=staff.officer_a)
        services.complaint_assign(actor=staff.officer_a, complaint=case, handler=staff.handler_a)
    assert not Notification.objects.filter(kind=NotificationKind.ASSIGNED).exists()
