"""seed_demo: a year of complaints in every state, written through the real services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint, ComplaintEvent, Decision, Notice

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_year_of_complaints_in_every_state(settings):
    settings.XIAOBAO_DEMO_CASES = 160
    out = StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    by_status = dict(Complaint.objects.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == set(Status.values), by_status
    assert "跳过" not in out.getvalue() and "skipped" not in out.getvalue()
    # Every case has its registration event and the history its state implies.
    assert not Complaint.objects.annotate(n=Count("events")).filter(n=0).exists()
    answered = Complaint.objects.filter(status__in=[Status.NOTIFIED, Status.CLOSED])
    assert Notice.objects.filter(complaint__in=answered).count() == answered.count()
    assert Decision.objects.filter(complaint__in=answered).count() == answered.count()
    assert ComplaintEvent.objects.filter(action="escalate").exists()  # the group complaint
    # Texts are the product's own, varied and Chinese.
    titles = set(Complaint.objects.values_list("title", flat=True))
    assert len(titles) > 60
    span = Complaint.objects.order_by("received_at")
    assert (span.last().received_at - span.first().received_at).days > 300
    # A second run adds nothing.
    count = Complaint.objects.count()
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Complaint.objects.count() == count


def test_the_demo_bank_handles_reviews_on_time_and_has_little_overdue_work(settings):
    from django.utils import timezone

    from xiaobao.complaints.choices import OPEN_STATUSES, Kind

    settings.XIAOBAO_DEMO_CASES = 420  # the shipped size: enough reviews and stuck cases to judge
    out = StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    now = timezone.now()
    reviews = Complaint.objects.filter(kind=Kind.REVIEW)
    assert reviews.exists()
    # Reviews are accepted and answered within their 30 days; none lies waiting.
    assert not reviews.filter(
        status=Status.REGISTERED, received_at__lt=now - timezone.timedelta(days=2)
    ).exists()
    assert all(
        r.timely is not False for r in reviews if r.status in (Status.NOTIFIED, Status.CLOSED)
    )
    # Overdue open work is a small share and days or weeks late, never months.
    open_cases = Complaint.objects.filter(status__in=OPEN_STATUSES)
    overdue = [c for c in open_cases if c.due_at is not None and c.due_at < now]
    assert overdue, "the overdue views have something to show"
    assert len(overdue) <= 0.05 * Complaint.objects.count()
    assert max((now - c.due_at).days for c in overdue) < 45
    # The summary speaks Chinese: status labels, not codes.
    summary = out.getvalue()
    assert "已办结" in summary and "处理中" in summary
    for code in ("closed", "accepted", "notified", "review", "withdrawn", "declined", "overdue"):
        assert code not in summary, code
