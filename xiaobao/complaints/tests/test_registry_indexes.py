"""The registry's free-text box and 重大投诉 filter: the same cases as a plain containment test,
found through indexes on PostgreSQL (the character-pair index, the partial index of major
cases) instead of reading every row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.selectors import registry_rows

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's indexes and planner"
)


@pytest.fixture
def ledger(register, org, people):
    titles = [
        "信用卡年费未告知即扣收",
        "年度账单有误",
        "理财产品亏损",
        "费用年底扣收",  # 年 and 费, but never 年费
        "ETC Card fee dispute",
        "信用卡年费争议",
    ]
    cases = [register(title=title) for title in titles]
    cases.append(register(actor=people.handler_b, unit=org.sub_b, title="B支行年费争议"))
    Complaint.objects.filter(pk=cases[2].pk).update(external_ref="PBC-2026-0456")
    return Complaint.objects.filter(pk__in=[c.pk for c in cases])


def _found(user, value):
    qs = RegistryFilter({"q": value}, queryset=registry_rows(user=user)).qs
    return set(qs.values_list("registry_no", flat=True))


def _expected(ledger, user, value):
    visible = registry_rows(user=user)
    return {
        c.registry_no
        for c in ledger
        if visible.filter(pk=c.pk).exists()
        and any(value.upper() in text.upper() for text in (c.title, c.registry_no, c.external_ref))
    }


@pytest.mark.parametrize(
    "value", ["年费", "年", "年费争议", "信用卡年费", "card", "FEE DIS", "0456", "PBC-2026", "卡年"]
)
def test_the_text_box_finds_exactly_the_containing_cases_in_scope(ledger, people, value):
    for user in (people.handler_a, people.hq_officer):
        assert _found(user, value) == _expected(ledger, user, value)
    assert _found(people.handler_a, "年费") and "费用年底扣收" not in {
        c.title for c in ledger if c.registry_no in _found(people.handler_a, "年费")
    }


def test_a_piece_of_the_registry_number_finds_the_case(ledger, people):
    case = ledger.order_by("pk").first()
    assert _found(people.handler_a, case.registry_no[-6:].lower()) >= {case.registry_no}


def _plan(qs, *switched_off: str) -> str:
    with connection.cursor() as cursor:
        for method in ("seqscan", *switched_off):  # the test tables are tiny
            cursor.execute(f"SET LOCAL enable_{method} = off")
    return qs.explain()


@postgres_only
def test_the_text_box_uses_the_character_pair_index(ledger):
    # The filter's own condition, without the scope's join: on a table this small the planner
    # would otherwise start from the units.
    qs = RegistryFilter({"q": "年费"}, queryset=Complaint.objects.all()).qs.values("id")
    assert "complaint_text_grams_gin" in _plan(qs, "indexscan")


@postgres_only
def test_the_major_filter_uses_the_partial_index(ledger):
    Complaint.objects.filter(pk=ledger.first().pk).update(is_major=True)
    qs = RegistryFilter({"major": "true"}, queryset=Complaint.objects.all()).qs
    plan = _plan(qs.order_by("-received_at", "-id").values("id")[:51])
    assert "complaint_major_received_idx" in plan


def test_the_registry_page_reads_only_its_columns(client, ledger, people):
    client.force_login(people.hq_officer)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("complaints:registry"), {"q": "年费"})
    assert page.status_code == 200
    rows = page.context["rows"]
    assert {r.registry_no for r in rows} == _expected(ledger, people.hq_officer, "年费")
    selects = [q["sql"].partition(" FROM ")[0] for q in ctx.captured_queries]
    listing = [s for s in selects if '"complaints_complaint"."title"' in s]
    assert len(listing) == 1, selects
    assert "narrative" not in listing[0] and "deadline_policy" not in listing[0]
