"""The periodic-job scheduler: registration, one run per period, errors, the sweeper, the admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from xiaobao.organisation.choices import Role
from xiaobao.watch import schedule
from xiaobao.watch.models import ScheduledRun

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def job_calls():
    """A test job registered for the test only; the list records each run's `now`."""
    calls: list = []
    names = ["test.counter", "test.broken"]

    @schedule.periodic("test.counter", every=timedelta(hours=1))
    def counter(*, now):
        calls.append(now)
        if len(calls) == 1:
            # A second sweeper asks while this run is still going: it must not run it again.
            assert schedule.run_due(now=now + timedelta(minutes=90), only={"test.counter"}) == []
        return len(calls)

    @schedule.periodic("test.broken", every=timedelta(minutes=5))
    def broken(*, now):
        raise RuntimeError("the mail server is down")

    yield calls
    for name in names:
        schedule._jobs.pop(name, None)


def test_the_product_jobs_are_discovered():
    names = set(schedule.registered())
    assert {
        "reports.early_warning",
        "privacy.retention",
        "language.classifier_retrain",
        "language.search_index_catch_up",
        "api.purge_idempotency_keys",
    } <= names


def test_a_job_runs_once_per_period(job_calls):
    t0 = at(2026, 3, 2, 9)
    first = schedule.run_due(now=t0, only={"test.counter"})
    assert [(o.name, o.result) for o in first] == [("test.counter", "1")]
    assert schedule.run_due(now=t0 + timedelta(minutes=59), only={"test.counter"}) == []
    assert len(job_calls) == 1
    again = schedule.run_due(now=t0 + timedelta(hours=1), only={"test.counter"})
    assert [o.result for o in again] == ["2"]
    row = ScheduledRun.objects.get(name="test.counter")
    assert row.runs == 2 and row.failures == 0 and row.last_result == "2"
    assert row.last_started_at == t0 + timedelta(hours=1)
    assert row.next_run_at == t0 + timedelta(hours=2) and row.lease_until is None


def test_an_error_is_recorded_and_tried_next_period(job_calls):
    t0 = at(2026, 3, 2, 9)
    [outcome] = schedule.run_due(now=t0, only={"test.broken"})
    assert "the mail server is down" in outcome.error
    row = ScheduledRun.objects.get(name="test.broken")
    assert row.failures == 1 and "RuntimeError" in row.last_error and row.lease_until is None
    assert schedule.run_due(now=t0 + timedelta(minutes=1), only={"test.broken"}) == []
    assert len(schedule.run_due(now=t0 + timedelta(minutes=5), only={"test.broken"})) == 1


def test_a_dead_runner_lease_expires(job_calls):
    t0 = at(2026, 3, 2, 9)
    schedule._ensure_rows(schedule.registered(), t0)
    # A sweeper claimed the job and died without recording anything.
    assert schedule._claim(schedule.registered()["test.counter"], t0)
    later = t0 + timedelta(hours=1)
    assert schedule.run_due(now=later, only={"test.counter"}) == []
    after_lease = t0 + schedule.LEASE + timedelta(seconds=1)
    assert len(schedule.run_due(now=after_lease, only={"test.counter"})) == 1


def test_a_changed_period_takes_effect(job_calls):
    t0 = at(2026, 3, 2, 9)
    schedule.run_due(now=t0, only={"test.counter"})
    schedule.periodic("test.counter", every=timedelta(minutes=10))(
        schedule._jobs["test.counter"].fn
    )
    schedule.run_due(now=t0, only={"test.counter"})
    assert ScheduledRun.objects.get(name="test.counter").every_seconds == 600


def test_registering_another_function_under_a_taken_name_fails(job_calls):
    with pytest.raises(ValueError, match="registered twice"):
        schedule.periodic("test.counter", every=timedelta(hours=1))(lambda *, now: None)


def test_the_sweeper_runs_the_due_jobs(job_calls, people):
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    text = out.getvalue()
    assert "periodic test.counter: 1" in text
    assert "periodic language.search_index_catch_up: indexed 0" in text
    assert "periodic api.purge_idempotency_keys: deleted 0" in text
    assert set(ScheduledRun.objects.values_list("name", flat=True)) >= set(schedule.registered())
    out = StringIO()
    call_command("sweep_deadlines", "--no-periodic", stdout=out)
    assert "periodic" not in out.getvalue() and len(job_calls) == 1


def test_celery_beat_task_runs_the_due_jobs(job_calls):
    from xiaobao.jobs.celery import run_periodic

    outcomes = run_periodic.apply().get()
    assert "test.counter: 1" in outcomes
    assert len(job_calls) == 1


def test_administrators_see_the_last_runs(client, org, make_user, job_calls):
    schedule.run_due(only={"test.counter", "test.broken"})
    admin = make_user("sysadmin", org.hq, Role.SYSADMIN, is_staff=True)
    client.force_login(admin)
    page = client.get(reverse("admin:watch_scheduledrun_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "test.counter" in html and "RuntimeError: the mail server is down" in html


def test_handlers_cannot_see_the_schedule(client, people):
    client.force_login(people.handler_a)
    page = client.get(reverse("admin:watch_scheduledrun_changelist"))
    assert page.status_code in (302, 403)
