"""Finding cases in the registry the way an officer used to an Excel ledger does: unit and
handler by name (with autocomplete), the complainant's name, registry and reference numbers
from the one box, and a total."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from xiaobao.complaints.models import Complainant, name_index_for
from xiaobao.complaints.services import complaint_assign

from .conftest import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(register, org, people):
    people.handler_a.display_name = "张磊"
    people.handler_a.save(update_fields=["display_name"])
    mine = register(complainants=[person(name="李 娜", id_number="", phone="13911112222")])
    other = register(
        title="理财产品亏损",
        complainants=[person(name="王芳", id_number="", phone="13933334444")],
        intake_channel="R12315",
        external_ref="12315-2026-0456",
        referrer_received_on=date(2026, 1, 4),
    )
    far = register(
        actor=people.handler_b,
        unit=org.sub_b,
        complainants=[person(name="李娜", id_number="", phone="13955556666")],
    )
    return {"mine": mine, "other": other, "far": far}


def _rows(client, **params):
    page = client.get(reverse("complaints:registry"), params)
    assert page.status_code == 200
    return page.content.decode()


def test_the_name_index_holds_no_name(ledger):
    row = Complainant.objects.get(complaint=ledger["mine"])
    assert row.name_index == name_index_for("李娜") == name_index_for("李娜 ")
    assert "李" not in row.name_index and len(row.name_index) == 64


def test_find_by_complainant_name_number_or_reference_from_one_box(client, people, ledger):
    client.force_login(people.officer_a)
    page = _rows(client, q="李娜")
    assert ledger["mine"].registry_no in page
    assert ledger["other"].registry_no not in page
    assert ledger["far"].registry_no not in page  # branch B: out of officer A's scope
    assert "共 1 件" in page
    page = _rows(client, q="12315-2026-0456")
    assert ledger["other"].registry_no in page and ledger["mine"].registry_no not in page
    page = _rows(client, q=ledger["mine"].registry_no)
    assert ledger["mine"].registry_no in page and "共 1 件" in page
    page = _rows(client, q="王芳")
    assert ledger["other"].registry_no in page and ledger["mine"].registry_no not in page
    # A part of a name is not a name: nothing is matched by halves of hashes.
    assert "共 0 件" in _rows(client, q="李")


def test_unit_and_handler_filters_take_names(client, people, org, ledger):
    client.force_login(people.hq_officer)
    page = _rows(client, unit="A支行")
    assert ledger["mine"].registry_no in page and ledger["far"].registry_no not in page
    assert "共 2 件" in page
    assert "共 3 件" in _rows(client, unit="测试银行总行")
    assert ledger["far"].registry_no in _rows(client, unit="BR-b")  # codes still work
    assert "共 0 件" in _rows(client, unit="不存在的分行")
    complaint_assign(actor=people.officer_a, complaint=ledger["mine"], handler=people.handler_a)
    page = _rows(client, handler="张磊")
    assert ledger["mine"].registry_no in page and "共 1 件" in page
    assert "共 1 件" in _rows(client, handler="handler_a")


def test_the_filters_offer_names_in_scope(client, people, org):
    people.handler_b.display_name = "赵强"
    people.handler_b.save(update_fields=["display_name"])
    client.force_login(people.officer_a)
    page = _rows(client)
    assert 'list="unit-options"' in page and 'list="handler-options"' in page
    assert '<option value="A支行">SUB-a</option>' in page
    assert "B支行" not in page and "赵强" not in page  # branch B is not in officer A's scope


def test_the_total_is_bounded(client, people, ledger, monkeypatch):
    from xiaobao.complaints import views

    monkeypatch.setattr(views, "REGISTRY_COUNT_CAP", 1)
    client.force_login(people.hq_officer)
    assert "共超过 1 件" in _rows(client)
