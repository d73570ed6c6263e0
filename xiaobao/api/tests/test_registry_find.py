"""The API's registry list finds cases the way the workbench does: the complainant's name (by
keyed hash), numbers and references in `q`, units and handlers by name."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils.http import urlencode

from xiaobao.complaints import services
from xiaobao.complaints.tests.conftest import at, person

from .conftest import body

pytestmark = pytest.mark.django_db
LIST = "/api/v1/complaints/"


@pytest.fixture
def cases(org, people):
    people.handler_a.display_name = "张磊"
    people.handler_a.save(update_fields=["display_name"])

    def make(**extra):
        kwargs = {
            "actor": people.handler_a,
            "unit": org.sub_a,
            "received_at": at(2026, 1, 5, 10),
            "intake_channel": "COUNTER",
            "title": "信用卡年费未告知即扣收",
            "narrative": "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
            "complainants": [person(name="李娜", id_number="", phone="13911112222")],
            "demands": ["REFUND"],
            "business_channel": "COUNTER",
            "business_category": "CARD_CREDIT",
            "cause": "PRICING",
        }
        return services.complaint_register(**(kwargs | extra))

    named = make()
    referral = make(
        complainants=[person(name="王芳", id_number="", phone="13933334444")],
        intake_channel="R12315",
        external_ref="12315-2026-0456",
        referrer_received_on=date(2026, 1, 4),
    )
    services.complaint_assign(actor=people.officer_a, complaint=named, handler=people.handler_a)
    return named, referral


def _numbers(api, **params):
    response = api.get(f"{LIST}?{urlencode(params)}")
    assert response.status_code == 200
    return [row["registry_no"] for row in body(response)["results"]]


def test_the_api_finds_by_name_number_reference_unit_and_handler(client_for, people, cases):
    named, referral = cases
    api = client_for(people.officer_a)
    assert _numbers(api, q="李娜") == [named.registry_no]
    assert _numbers(api, q="王芳") == [referral.registry_no]
    assert _numbers(api, q="12315-2026-0456") == [referral.registry_no]
    assert _numbers(api, q=named.registry_no) == [named.registry_no]
    assert _numbers(api, handler="张磊") == [named.registry_no]
    assert set(_numbers(api, unit="A支行")) == {named.registry_no, referral.registry_no}
    assert _numbers(api, unit="不存在的支行") == []
    # Branch B's officer sees none of them, whatever the name.
    assert _numbers(client_for(people.officer_b), q="李娜") == []
