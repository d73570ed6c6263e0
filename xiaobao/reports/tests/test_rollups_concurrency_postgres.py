"""Rebuilds of the monthly rollups racing each other and the writers: PostgreSQL only."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections, transaction

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.conftest import at
from xiaobao.reports import rollups
from xiaobao.reports.models import MonthlyRollup

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

FEBRUARY = date(2026, 2, 1)


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


@pytest.fixture
def february(make_case, clock) -> list[Complaint]:
    cases = [
        make_case(received=at(2026, 2, 3 + n, 10), notified=at(2026, 2, 10 + n, 10))
        for n in range(3)
    ]
    cases.append(make_case(received=at(2026, 2, 20, 10)))  # still open
    clock(at(2026, 5, 10, 9))
    return cases


def _in_threads(n, target):
    errors: list[BaseException] = []
    results: list[object] = []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_readers_building_one_month_at_once_build_it_once(february):
    results, errors = _in_threads(4, lambda _i: rollups.ensure([FEBRUARY]))
    assert not errors
    assert sorted(results) == [0, 0, 0, 1]
    assert MonthlyRollup.objects.filter(month=FEBRUARY).count() == len(rollups.compute(FEBRUARY))
    assert rollups.reconcile() == 0


def test_a_change_committed_during_a_rebuild_leaves_the_month_stale(february, people, monkeypatch):
    open_case = february[-1]  # accepted, not yet decided
    rollups.ensure([FEBRUARY])
    written, built = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                services.complaint_decide(
                    actor=people.handler_a,
                    complaint=Complaint.objects.get(pk=open_case.pk),
                    verified_facts="经核实属实。",
                    outcome="upheld",
                    basis="合同",
                    reasons="理由",
                    routes=["mediation"],
                    compensation=Decimal("5"),
                )
                services.complaint_notify(
                    actor=people.handler_a,
                    complaint=Complaint.objects.get(pk=open_case.pk),
                    method="phone",
                    given_at=at(2026, 5, 10, 9),
                    evidence="录音 REC-2",
                )
                services.complaint_close(
                    actor=people.handler_a,
                    complaint=Complaint.objects.get(pk=open_case.pk),
                    root_cause="告知不到位",
                    at_fault=False,
                )
                written.set()
                built.wait(30)  # commits only after the rebuild below has recounted the facts
        except BaseException as exc:
            errors.append(exc)
            written.set()  # (the assertion on `errors` below reports it)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    recount = rollups.compute

    def compute_then_let_the_writer_commit(month: date) -> list[MonthlyRollup]:
        rows = recount(month)  # without the writer's change, not yet committed
        built.set()
        thread.join()  # committed now, with its mark, before the rebuild deletes marks
        return rows

    monkeypatch.setattr(rollups, "compute", compute_then_let_the_writer_commit)
    thread.start()
    assert written.wait(30)
    assert rollups.build(FEBRUARY, force=True)
    monkeypatch.setattr(rollups, "compute", recount)
    assert not errors
    key = rollups.referral_key()
    assert rollups.stale_months([FEBRUARY], key) == [FEBRUARY]  # the writer's mark survived
    assert rollups.ensure([FEBRUARY]) == 1
    assert rollups.reconcile() == 0
