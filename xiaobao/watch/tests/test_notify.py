"""Notices: working-hour delivery on the Chinese calendar, urgency, digest, channels, privacy."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from xiaobao.complaints import services as complaint_services
from xiaobao.complaints.models import Complaint
from xiaobao.jobs.models import Job, JobStatus
from xiaobao.jobs.services import run_pending
from xiaobao.watch import services
from xiaobao.watch.channels import Channel
from xiaobao.watch.models import Delivery, Notification
from xiaobao.watch.notify import Timing, delivery_send, digest_send

from .conftest import PHONE, VALID_ID, at, person

pytestmark = pytest.mark.django_db


def timing(*args: int) -> Timing:
    from xiaobao.complaints.clock import current_calendar

    return Timing(now=at(*args), calendar=current_calendar())


# --- working hours on the Chinese calendar -----------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday night before Qingming (4–6 April 2026): the next working day is Tuesday.
        ((2026, 4, 3, 22), (2026, 4, 7, 9)),
        # Friday night before a make-up working Saturday (14 Feb 2026, Spring Festival 调休).
        ((2026, 2, 13, 22), (2026, 2, 14, 9)),
        # New Year's Eve: 1–3 Jan 2026 are holidays, Sunday 4 Jan is a make-up working day.
        ((2025, 12, 31, 18), (2026, 1, 4, 9)),
        # Early on a working day: later the same morning; inside working hours: at once.
        ((2026, 4, 7, 7, 30), (2026, 4, 7, 9)),
        ((2026, 4, 7, 11, 15), (2026, 4, 7, 11, 15)),
        ((2026, 4, 7, 17, 30), (2026, 4, 8, 9)),
    ],
)
def test_non_urgent_notices_wait_for_the_next_working_hour(moment, expected):
    assert timing(*moment).deliver_after(urgent=False) == at(*expected)
    assert timing(*moment).deliver_after(urgent=True) == at(*moment)


@pytest.fixture
def qingming_case(register, staff, frozen) -> Complaint:
    """Received 25 March 2026 10:00: 50% used on 2 April 05:00, due 10 April 00:00."""
    frozen(at(2026, 3, 25, 11))
    return register(received_at=at(2026, 3, 25, 10), handler=staff.handler_a)


def test_a_warning_at_22_on_the_friday_before_qingming_is_emailed_on_tuesday_at_9(
    qingming_case, staff, sweep_at, send_at
):
    sweep_at(at(2026, 4, 3, 22))
    [notice] = Notification.objects.filter(recipient=staff.handler_a)
    assert not notice.urgent and notice.deliver_after == at(2026, 4, 7, 9)
    # The inbox shows it at once; nothing is pushed over the holiday.
    assert send_at(at(2026, 4, 3, 22, 1)) == 0
    assert send_at(at(2026, 4, 6, 23)) == 0
    assert send_at(at(2026, 4, 7, 9)) == 1
    assert mail.outbox[0].to == ["handler_a@bank.test"]
    assert Delivery.objects.get(notification=notice).delivered_at == at(2026, 4, 7, 9)


def test_urgent_and_overdue_notices_are_not_deferred(qingming_case, staff, sweep_at, send_at):
    sweep_at(at(2026, 4, 5, 1))  # a holiday night: the 50% notice is not urgent and waits
    assert send_at(at(2026, 4, 5, 1, 1)) == 0
    assert send_at(at(2026, 4, 7, 9)) == 1
    mail.outbox.clear()
    sweep_at(at(2026, 4, 10, 0, 0))  # the deadline passes at midnight: urgent, sent at once
    assert send_at(at(2026, 4, 10, 0, 1)) == 3
    assert {m.to[0] for m in mail.outbox} == {
        "handler_a@bank.test",
        "head_a@bank.test",
        "officer_a@bank.test",
    }
    assert all("【紧急】" in m.subject for m in mail.outbox)
    sweep_at(at(2026, 4, 13, 0, 0))  # three days overdue, a Monday night: head office, at once
    assert send_at(at(2026, 4, 13, 0, 1)) == 4
    assert "hq_officer@bank.test" in {m.to[0] for m in mail.outbox}


# --- the digest --------------------------------------------------------------------------------


def test_daily_digest_bundles_non_urgent_notices_into_one_morning_email(
    register, staff, frozen, sweep_at, send_at
):
    services.preference_update(user=staff.handler_a, channels=["email"], daily_digest=True)
    frozen(at(2026, 1, 5, 11))
    first = register(handler=staff.handler_a)
    second = register(handler=staff.handler_a, title="理财产品收益与宣传不符")
    sweep_at(at(2026, 1, 13, 10))  # 50% of both, during working hours
    assert send_at(at(2026, 1, 13, 10, 1)) == 0  # no single e-mails for digest users

    sweep_at(at(2026, 1, 14, 8, 59))
    assert send_at(at(2026, 1, 14, 8, 59)) == 0
    sweep_at(at(2026, 1, 14, 9))  # the first pass of the working morning queues the digest
    assert send_at(at(2026, 1, 14, 9)) == 1
    [digest] = mail.outbox
    assert digest.to == ["handler_a@bank.test"] and "（2条）" in digest.subject
    assert first.registry_no in digest.body and second.registry_no in digest.body
    sweep_at(at(2026, 1, 15, 9))
    assert send_at(at(2026, 1, 15, 9)) == 0  # sent once

    # Urgent notices still go at once, whatever the preference.
    sweep_at(at(2026, 1, 21, 0, 0))
    assert send_at(at(2026, 1, 21, 0, 1)) >= 1
    assert any(m.to == ["handler_a@bank.test"] and "【紧急】" in m.subject for m in mail.outbox)


def test_a_lost_digest_job_is_queued_again_by_the_next_pass(
    register, staff, frozen, sweep_at, send_at
):
    services.preference_update(user=staff.handler_a, channels=["email"], daily_digest=True)
    frozen(at(2026, 1, 5, 11))
    register(handler=staff.handler_a)
    sweep_at(at(2026, 1, 13, 10))
    sweep_at(at(2026, 1, 14, 9))
    Job.objects.filter(name="watch.digest").delete()
    assert send_at(at(2026, 1, 14, 9)) == 0
    sweep_at(at(2026, 1, 14, 9, 1))
    assert send_at(at(2026, 1, 14, 9, 1)) == 1


def test_a_digest_needs_email(staff):
    from xiaobao.lib.errors import DomainError

    with pytest.raises(DomainError):
        services.preference_update(user=staff.handler_a, channels=["sms"], daily_digest=True)


# --- channels ----------------------------------------------------------------------------------


class RecordingChannel(Channel):
    """A stand-in for an enterprise-chat channel."""

    label = "企业微信"
    sent: list[str] = []

    def send(self, notification):
        self.sent.append(notification.title)
        return "ok"


class FailingChannel(Channel):
    label = "故障渠道"

    def send(self, notification):
        raise ConnectionError("gateway down")


def test_a_channel_from_settings_is_used(settings, accepted, staff, sweep_at, send_at):
    settings.XIAOBAO_WATCH = {
        "CHANNELS": {
            "inbox": "xiaobao.watch.channels.InboxChannel",
            "email": "xiaobao.watch.channels.EmailChannel",
            "chat": "xiaobao.watch.tests.test_notify.RecordingChannel",
        }
    }
    RecordingChannel.sent.clear()
    services.preference_update(user=staff.handler_a, channels=["chat"], daily_digest=False)
    sweep_at(at(2026, 1, 13, 10))
    assert send_at(at(2026, 1, 13, 10, 1)) == 0  # this user chose chat instead of e-mail
    assert RecordingChannel.sent == [Notification.objects.get().title]


def test_a_failing_channel_is_retried_and_the_delivery_stays_open(
    settings, accepted, staff, sweep_at, frozen
):
    settings.XIAOBAO_WATCH = {
        "CHANNELS": {"flaky": "xiaobao.watch.tests.test_notify.FailingChannel"},
        "DEFAULT_CHANNELS": ["flaky"],
    }
    sweep_at(at(2026, 1, 13, 10))
    run_pending()
    delivery = Delivery.objects.get()
    assert delivery.delivered_at is None
    job = Job.objects.get(name="watch.deliver")
    assert job.status == JobStatus.QUEUED and "gateway down" in job.last_error


def test_the_sms_example_logs_only_masked_numbers(accepted, staff, sweep_at, send_at, caplog):
    services.preference_update(user=staff.handler_a, channels=["sms"], daily_digest=False)
    sweep_at(at(2026, 1, 13, 10))
    with caplog.at_level(logging.INFO, logger="xiaobao.watch.channels"):
        send_at(at(2026, 1, 13, 10, 1))
    phone = staff.handler_a.phone
    assert f"{phone[:3]}****{phone[-4:]}" in caplog.text and phone not in caplog.text


def test_a_bundle_is_sent_once(accepted, staff, sweep_at, frozen):
    sweep_at(at(2026, 1, 13, 10))
    delivery = Delivery.objects.get()
    assert delivery.digest  # a pass's deadline notices travel bundled per person
    assert digest_send(user_id=staff.handler_a.pk)["sent"] == {"email": 1}
    assert digest_send(user_id=staff.handler_a.pk)["sent"] == {}
    assert len(mail.outbox) == 1


def test_a_delivery_is_sent_once(register, staff, frozen):
    frozen(at(2026, 1, 5, 11))
    case = register(actor=staff.officer_a)
    complaint_services.complaint_assign(
        actor=staff.officer_a, complaint=case, handler=staff.handler_a
    )
    delivery = Delivery.objects.get()
    assert not delivery.digest
    assert delivery_send(delivery_id=delivery.pk)["sent"] is True
    assert delivery_send(delivery_id=delivery.pk)["sent"] is False
    assert len(mail.outbox) == 1


def test_staff_without_an_email_address_keep_the_notice_in_the_inbox(
    accepted, staff, sweep_at, send_at
):
    staff.handler_a.email = ""
    staff.handler_a.save()
    sweep_at(at(2026, 1, 13, 10))
    assert send_at(at(2026, 1, 13, 10, 1)) == 0
    assert Delivery.objects.get().note == "no address"
    assert Notification.objects.filter(recipient=staff.handler_a).exists()


# --- no personal data of complainants ----------------------------------------------------------


def test_notices_carry_no_personal_data_of_the_complainant(register, staff, frozen, sweep_at):
    frozen(at(2026, 1, 5, 11))
    complaint = register(
        handler=staff.handler_a,
        title=f"张伟（{PHONE}）信用卡年费争议",
        complainants=[person(email="zhangwei@example.com", card_number="6222021234567890128")],
    )
    sweep_at(at(2026, 1, 21, 0, 0))
    sweep_at(at(2026, 1, 21, 0, 1))  # also flag nothing new; then push everything
    run_pending(limit=1000)
    texts = [n.title + n.body for n in Notification.objects.filter(complaint=complaint)]
    texts += [m.subject + m.body for m in mail.outbox]
    assert texts and len(mail.outbox) == 3
    for text in texts:
        for secret in ("张伟", PHONE, VALID_ID, "zhangwei@example.com", "6222021234567890128"):
            assert secret not in text
        assert complaint.registry_no in text
    body = Notification.objects.filter(complaint=complaint).first().body
    assert "张*" in body and "138****8000" in body and "A支行" in body
    assert "2026年1月20日" in body and f"https://xiaobao.test/complaints/{complaint.pk}/" in body
