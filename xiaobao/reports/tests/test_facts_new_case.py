"""A registration writes its case's facts and people from the objects it has just written,
without reading the case back: what it writes must equal the recount from the registry."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.conftest import at, person, register  # noqa: F401
from xiaobao.reports import facts
from xiaobao.reports.models import ComplaintFact, PersonFact
from xiaobao.reports.tests.conftest import someone

pytestmark = pytest.mark.django_db


def recounted(case: Complaint) -> tuple[object, ...]:
    row = facts.source(Complaint.objects.filter(pk=case.pk)).get()
    return tuple(row.values())


def stored(case: Complaint) -> tuple[object, ...]:
    return tuple(ComplaintFact.objects.filter(pk=case.pk).values_list(*facts.COLUMNS).get())


def test_new_cases_of_every_shape_are_written_as_the_registry_recounts_them(register):  # noqa: F811
    cases = [
        register(),
        # The same person again (same ID and phone): now a repeat complainant.
        register(complainants=[person()]),
        # No ID, the first phone: the same person's group.
        register(complainants=[person(id_number="", name="王五")]),
        # Without any hash (address only): a fact, no person.
        register(complainants=[person(id_number="", phone="")]),
        # Referrals forwarded in time and late (Art. 33: 7 working days).
        register(
            intake_channel="R12345",
            external_ref="12345-1",
            referrer_received_on=date(2026, 1, 5),
        ),
        register(
            intake_channel="R12345",
            external_ref="12345-2",
            referrer_received_on=date(2025, 12, 1),
        ),
        # A group of twenty: major, and a second (escalation) event refreshed from the registry.
        register(complainants=[someone(100 + n) for n in range(20)], level="NORMAL"),
        # No category, cause or business channel; a handler named at registration.
        register(business_channel=None, business_category=None, cause=None, demands=[]),
    ]
    assert [recounted(c) for c in cases] == [stored(c) for c in cases]
    assert stored(cases[5])[-1] is True and stored(cases[4])[-1] is False  # forwarded late
    assert ComplaintFact.objects.get(pk=cases[6].pk).is_major
    found = facts.reconcile()
    assert found.total == 0, found
    keys = dict(
        PersonFact.objects.values_list("fact_id", "person_key").filter(fact_id__lt=cases[3].pk)
    )
    assert keys[cases[0].pk] == keys[cases[1].pk] == keys[cases[2].pk]
    assert set(
        PersonFact.objects.filter(fact_id__in=[c.pk for c in cases[:3]]).values_list(
            "repeated", flat=True
        )
    ) == {True}
    assert not PersonFact.objects.filter(fact_id=cases[3].pk).exists()


def test_a_registration_does_not_read_its_case_back_for_the_store(register):  # noqa: F811
    register()
    with CaptureQueriesContext(connection) as queries:
        register(complainants=[person()])
    sql = [q["sql"] for q in queries.captured_queries]
    reads = [s for s in sql if s.startswith("SELECT") and "complaints_complain" in s]
    assert reads == []
    people = [s.split()[0] for s in sql if "reports_personfact" in s]
    # The neighbours in one read, and the first case's row updated: now a repeat complainant
    # (the new rows are inserted by COPY on PostgreSQL, by executemany on SQLite).
    assert [k for k in people if k in ("SELECT", "UPDATE", "DELETE")] == ["SELECT", "UPDATE"]
