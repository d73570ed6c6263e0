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
