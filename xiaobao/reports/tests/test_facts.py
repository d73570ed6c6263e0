"""The statistics store equals a recount from the registry after every kind of change, the
reconciliation finds and repairs what differs, and the stored person keys count repeat
complainants exactly as linking their records by ID or phone does."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.complaints import services
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.complaints.retention import _anonymise
from xiaobao.complaints.tests.conftest import at
from xiaobao.intake.importing import import_complaints
from xiaobao.intake.tests.test_batched import MAP, varied_csv  # noqa: F401
from xiaobao.intake.tests.test_importing import shared_data  # noqa: F401
from xiaobao.portal.models import PortalTicket
from xiaobao.portal.services import portal_rate
from xiaobao.reports import facts
from xiaobao.reports.models import ComplaintFact, PersonFact
from xiaobao.reports.selectors import complaint_statistics, count_repeat_people
from xiaobao.reports.tests.conftest import someone

pytestmark = pytest.mark.django_db

EVERYTHING = {"received_from": "2000-01-01", "received_to": "2099-12-31"}


def assert_in_step() -> None:
    found = facts.reconcile()
    assert found.total == 0, found
    assert ComplaintFact.objects.count() == Complaint.objects.count()


def all_counted_records() -> list[tuple[int, str, str]]:
    return list(
        Complainant.objects.filter(complaint__kind="complaint")
        .exclude(complaint__status__in=facts.EXCLUDED_STATUSES)
        .exclude(id_number_hash="", phone_hash="")
        .values_list("complaint_id", "id_number_hash", "phone_hash")
    )


def test_every_lifecycle_step_keeps_the_store_in_step(quarter, make_case, people, clock):
    # The quarter: register, accept, extend, decide, notify, close, follow up, withdraw, review,
    # merge and decline, each through its service.
    assert_in_step()
    a1 = quarter.cases["a1"]
    fact = ComplaintFact.objects.get(pk=a1.pk)
    assert (fact.handling_days, fact.compensation, fact.surveyed, fact.satisfied) == (
        7,
        Decimal("600.00"),
        True,
        True,
    )
    a3 = ComplaintFact.objects.get(pk=quarter.cases["a3"].pk)
    assert a3.review_outcome == "upheld"  # written on the reviewed case by the review's decision
    # Pause and resume, a reclassification, a portal rating, and anonymisation by retention.
    case = make_case(received=at(2026, 4, 1, 10), people=[someone(1)])
    clock(at(2026, 4, 2, 10))
    services.complaint_pause(
        actor=people.handler_a, complaint=case, reason="appraisal", told_by="phone"
    )
    services.complaint_resume(actor=people.handler_a, complaint=case)
    ticket = PortalTicket.objects.create(
        complaint=quarter.cases["a4"], tracking_hash="x" * 64, verifier="v"
    )
    portal_rate(ticket=ticket, result="satisfied")
    assert ComplaintFact.objects.get(pk=quarter.cases["a4"].pk).surveyed
    assert_in_step()
    before = complaint_statistics(user=people.hq_officer, filters=EVERYTHING).total
    _anonymise(Complaint.objects.get(pk=a1.pk), at(2031, 1, 1, 0))
    assert_in_step()
    after = complaint_statistics(user=people.hq_officer, filters=EVERYTHING).total
    assert after.received == before.received
    # a1's complainant had P1's ID and phone: without them P1 is linked through fewer cases.
    assert after.repeat_complainants == count_repeat_people(all_counted_records())


def test_a_bulk_import_fills_the_store(varied_csv, people):  # noqa: F811
    result = import_complaints(
        actor=people.hq_officer, path=varied_csv, mapping=MAP, partial=True, batched=True
    )
    assert result.created > 40
    assert_in_step()
    assert PersonFact.objects.count() == len(set(all_counted_records()))
    total = complaint_statistics(user=people.hq_officer, filters=EVERYTHING).total
    assert total.received == result.created
    assert total.repeat_complainants == count_repeat_people(all_counted_records()) > 0


def test_reconcile_reports_and_fixes_every_kind_of_difference(quarter):
    a1, a2, a3 = (quarter.cases[k] for k in ("a1", "a2", "a3"))
    ComplaintFact.objects.filter(pk=a1.pk).update(status="closed", compensation=None)
    ComplaintFact.objects.filter(pk=a2.pk).delete()  # its people go with it
    PersonFact.objects.filter(fact_id=a3.pk).update(person_key="i:wrong")
    found = facts.reconcile()
    assert (found.stale, found.missing, found.orphans) == (1, 1, 0)
    assert found.people == 2  # a2's complainant missing, a3's under another key
    with pytest.raises(CommandError, match="4 difference"):
        call_command("reconcile_statistics", stdout=StringIO())
    fixed = facts.reconcile(fix=True)
    assert fixed.total == found.total
    assert_in_step()
    assert ComplaintFact.objects.get(pk=a1.pk).compensation == Decimal("600.00")


def test_the_rebuild_of_an_empty_store_equals_the_kept_one(quarter, people):
    kept = complaint_statistics(user=people.hq_officer, dimensions=["unit"], filters=EVERYTHING)
    ComplaintFact.objects.all().delete()
    assert facts.reconcile().missing == Complaint.objects.count()
    call_command("reconcile_statistics", "--fix", stdout=StringIO())
    assert_in_step()
    rebuilt = complaint_statistics(user=people.hq_officer, dimensions=["unit"], filters=EVERYTHING)
    assert rebuilt.total == kept.total
    assert [r.measures for r in rebuilt.rows] == [r.measures for r in kept.rows]


def test_person_keys_follow_registrations_that_join_and_split_people(make_case, people, clock):
    """Random people drawn from a few IDs and phones, so later cases link earlier groups
    together; anonymising some afterwards splits them again. After every step the stored keys
    equal a full recount and the SQL count equals the union-find over the records."""
    rng = random.Random(27)
    made = []
    for n in range(14):
        id_serial = rng.choice([0, 1, 2, 3, 4])
        person = someone(900 + n, id_serial=id_serial, phone_serial=rng.choice([1, 2, 3, 5, 6]))
        made.append(
            make_case(
                received=at(2026, 1, 5, 10) + timedelta(days=n),
                people=[person],
                accept=False,
            )
        )
        assert facts.reconcile().people == 0
    for case in rng.sample(made, 4):
        _anonymise(case, at(2031, 1, 1, 0))
        assert facts.reconcile().people == 0
    total = complaint_statistics(user=people.hq_officer, filters=EVERYTHING).total
    assert total.repeat_complainants == count_repeat_people(all_counted_records())


records = st.lists(
    st.tuples(
        st.integers(1, 12),
        st.sampled_from(["", "i1", "i2", "i3", "i4"]),
        st.sampled_from(["", "p1", "p2", "p3", "p4"]),
    ),
    max_size=25,
)


@given(records)
@settings(max_examples=300, deadline=None)
def test_person_keys_group_records_as_the_union_find_does(rows):
    key_of = facts.person_keys((i, p) for _c, i, p in rows)
    cases: dict[str, set[int]] = {}
    for c, i, p in rows:
        if i or p:
            cases.setdefault(key_of[(i, p)], set()).add(c)
    assert sum(1 for ids in cases.values() if len(ids) > 1) == count_repeat_people(rows)
    # The key is the group's smallest node, as the early warnings name people.
    for _c, i, p in rows:
        if i or p:
            assert key_of[(i, p)] <= (f"i:{i}" if i else f"p:{p}")
