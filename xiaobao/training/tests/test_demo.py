"""The demo: a year of sessions and exams with coverage gaps, a contest, expiring qualifications;
idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from xiaobao.lib import metrics
from xiaobao.organisation.models import Unit, User
from xiaobao.training import selectors
from xiaobao.training.models import Attempt, Contest, Qualification, Session

pytestmark = pytest.mark.django_db


def test_demo_builds_a_realistic_year_and_runs_twice(settings):
    call_command("seed_demo", "--quiet-logins")
    sessions, attempts = Session.objects.count(), Attempt.objects.count()
    assert sessions >= 12 and attempts > 50
    assert User.objects.get(username="trainer").groups.exists()
    assert Contest.objects.count() == 1
    today = date.today()
    hq = Unit.objects.get(code="JC0001")
    first = today - timedelta(days=365)
    coverage = metrics.get("training.coverage").value(unit=hq, first=first, last=today)
    assert coverage is not None and 60 < coverage < 100  # honest gaps
    rows = {r.category: r for r in selectors.coverage(hq, first, last=today)}
    assert rows["agency"].rate is not None and rows["agency"].rate < rows["frontline"].rate
    pass_rate = metrics.get("training.pass_rate").value(unit=hq, first=first, last=today)
    assert pass_rate is not None and 60 < pass_rate < 100
    assert selectors.expiring(hq, today, 30).exists()
    assert selectors.expiring(hq, today, 60).count() > selectors.expiring(hq, today, 30).count()
    assert selectors.unqualified_sellers(hq, today).exists()
    assert selectors.not_yet_trained(hq, first, today).filter(hire_date__gte=first).exists()
    call_command("seed_demo", "--quiet-logins")
    assert (Session.objects.count(), Attempt.objects.count()) == (sessions, attempts)
    assert Qualification.objects.filter(valid_to__lt=today).exists()
