"""Races that only a real server can show: run on PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.lib.errors import InvalidTransitionError

from .conftest import at, person

# Decided at collection, so that SQLite runs never pay for (or get disturbed by) a flush.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


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


def test_concurrent_registrations_get_distinct_consecutive_numbers(org, people, frozen):
    frozen(at(2026, 1, 5, 11))

    def register(i):
        return services.complaint_register(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=at(2026, 1, 5, 10),
            intake_channel="HOTLINE",
            title=f"并发登记{i}",
            narrative="并发测试",
            complainants=[person()],
        ).registry_no

    numbers, errors = _in_threads(8, register)
    assert errors == []
    assert sorted(numbers) == [f"TS2026-{i:06d}" for i in range(1, 9)]


def test_two_people_accepting_at_once_one_wins_and_one_event_is_written(org, people, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=at(2026, 1, 5, 10),
        intake_channel="HOTLINE",
        title="并发受理",
        narrative="并发测试",
        complainants=[person()],
    )
    actors = [people.handler_a, people.officer_a, people.hq_officer, people.head_a]

    def accept(i):
        return services.complaint_accept(
            actor=actors[i], complaint=Complaint.objects.get(pk=complaint.pk)
        )

    results, errors = _in_threads(4, accept)
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, InvalidTransitionError) for e in errors)
    assert complaint.events.filter(action="accept").count() == 1


def test_an_import_in_progress_does_not_hold_up_other_registrations(tmp_path, people, register):
    """While a bulk import's transaction is open, a call centre registers a case of the same
    year from another connection: it must not wait for the import (which may run for many
    minutes). The import reserved its chunk's numbers before writing it, so the call centre's
    case takes the number after them (more in intake/tests/test_numbers_postgres.py)."""
    from xiaobao.complaints import hooks
    from xiaobao.intake.importing import import_complaints
    from xiaobao.intake.tests.test_importing import MAP, ROWS, write_csv

    meanwhile: list[object] = []

    def register_elsewhere() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            meanwhile.append(register(received_at=at(2019, 3, 5, 10)).registry_no)
        except BaseException as exc:
            meanwhile.append(exc)
        finally:
            connections.close_all()

    def during_import(event) -> None:
        if event.action == "register" and event.complaint.external_ref == "GD-002":
            other = threading.Thread(target=register_elsewhere)
            other.start()
            other.join(60)

    hooks.event_listeners.append(during_import)
    try:
        result = import_complaints(
            actor=people.officer_a,
            path=write_csv(tmp_path / "list.csv", ROWS),
            mapping=MAP,
            channel="R12345",
        )
    finally:
        hooks.event_listeners.remove(during_import)
    assert meanwhile == ["TS2019-000004"]
    assert result.committed and result.first_numbers == [
        "TS2019-000001",
        "TS2019-000002",
        "TS2019-000003",
    ]
