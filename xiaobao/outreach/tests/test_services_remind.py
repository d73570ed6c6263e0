from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from xiaobao.outreach.services import campaign_remind_non_reporters
from xiaobao.watch import schedule
from xiaobao.watch.models import Notification


def test_outlets_that_have_not_reported_are_reminded_once_before_the_deadline(
    client, people, org, campaign, make_activity
):
    # Five days before the deadline is outside the three-day window.
    assert campaign_remind_non_reporters(now=timezone.now()) == 0
    make_activity(campaign=campaign, status="submitted")  # outlet A has reported
    soon = timezone.now() + timedelta(days=3)
    assert campaign_remind_non_reporters(now=soon) == 1
    [notice] = Notification.objects.all()
    # Outlet B has no accounts: its branch's consumer-protection officer is told.
    assert notice.recipient == people.officer_b
    assert notice.unit == org.outlet_b
    assert "B网点" in notice.body and campaign.name in notice.title
    # Running again (a second sweeper, the next hour) tells nobody twice.
    assert campaign_remind_non_reporters(now=soon + timedelta(hours=1)) == 0
    # After the deadline nobody is reminded.
    assert campaign_remind_non_reporters(now=timezone.now() + timedelta(days=6)) == 0
    assert client.login(username="officer_b", password=PASSWORD)
    inbox = client.get(reverse("watch:inbox")).content.decode()
    assert campaign.name in inbox


def test_the_outlets_own_staff_are_reminded_when_it_has_them(people, org, campaign):
    soon = timezone.now() + timedelta(days=4)
    assert campaign_remind_non_reporters(now=soon) == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "outlet_handler_a",
        "officer_b",
    }


def test_the_reminder_runs_from_the_scheduler(people, campaign):
    [outcome] = schedule.run_due(
        now=timezone.now() + timedelta(days=4), only={"outreach.remind_non_reporters"}
    )
    assert (outcome.name, outcome.result, outcome.error) == (
        "outreach.remind_non_reporters",
        "2",
        "",
    )
