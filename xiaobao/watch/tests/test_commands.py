"""`manage.py sweep_deadlines`: one pass sweeps and, on the embedded queue, sends."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from xiaobao.jobs.models import Job, JobStatus
from xiaobao.watch.models import Firing, WatchState

from .conftest import at

pytestmark = pytest.mark.django_db


def test_one_pass_sweeps_and_sends(accepted, staff, frozen):
    frozen(at(2026, 1, 13, 10))
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert Firing.objects.count() == 1 and len(mail.outbox) == 1
    # The index job queued with the registration runs too, beside the notice's delivery.
    assert "fired 1" in out.getvalue() and "jobs run 2" in out.getvalue()


def test_no_jobs_leaves_sending_to_the_workers(accepted, staff, frozen):
    frozen(at(2026, 1, 13, 10))
    call_command("sweep_deadlines", "--no-jobs", stdout=StringIO())
    assert Firing.objects.count() == 1 and mail.outbox == []
    assert Job.objects.get(name="watch.digest").status == JobStatus.QUEUED
    call_command("run_jobs", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_with_celery_the_sweeper_leaves_jobs_to_the_workers(settings, accepted, staff, frozen):
    # (The job ids go to Celery on commit; this test's transaction never commits.)
    # (Deadline notices of one pass go bundled per person: one digest job each.)
    settings.XIAOBAO_QUEUE = "celery"
    frozen(at(2026, 1, 13, 10))
    call_command("sweep_deadlines", stdout=StringIO())
    assert Firing.objects.count() == 1 and mail.outbox == []
    assert Job.objects.get(name="watch.digest").status == JobStatus.QUEUED


def test_reconcile_flag(accepted, staff, frozen):
    frozen(at(2026, 1, 6, 9))
    call_command("sweep_deadlines", stdout=StringIO())
    WatchState.objects.all().delete()
    call_command("sweep_deadlines", "--reconcile", stdout=StringIO())
    assert WatchState.objects.get(complaint=accepted).next_check_at == at(2026, 1, 13, 5)


def test_loop_runs_pass_after_pass(accepted, staff, frozen, monkeypatch):
    from xiaobao.watch.management.commands import sweep_deadlines

    class Stop(Exception):
        pass

    naps: list[float] = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise Stop
        frozen(at(2026, 1, 13, 10))  # the next pass happens later

    monkeypatch.setattr(sweep_deadlines.time, "sleep", sleep)
    monkeypatch.setattr(sweep_deadlines, "close_old_connections", lambda: None)
    frozen(at(2026, 1, 12, 10))
    with pytest.raises(Stop):
        call_command("sweep_deadlines", "--loop", "--interval", "30", stdout=StringIO())
    assert naps == [30, 30] and Firing.objects.count() == 1 and len(mail.outbox) == 1
