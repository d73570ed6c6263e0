"""Duplicates by containment, and the registration form's check weighing shared facts."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.language.duplicates import (
    MIN_TEXT_WITH_FACTS,
    SIMILAR_TEXT,
    cluster_texts,
    find_duplicates,
    shingles,
    similarity,
)

from .conftest import person

pytestmark = pytest.mark.django_db

SHORT = "客户信用卡被扣年费六百元未告知"
WRAPPED = (
    "12345政务服务便民热线转办单：市民来电反映，" + SHORT + "，要求银行核实后退还并给予书面答复，"
    "请承办单位在十五个工作日内办结并回复办理结果。来电人情绪激动，多次强调已向网点反映无果。"
)
ORIGINAL = "客户张先生称3月5日在网点办理的信用卡被扣收年费600元，办卡时柜员未告知年费，要求退还。"
REWORDED = "张先生来电：3月5日信用卡被扣年费600元，办卡时没人告知，要求退钱。"


def test_a_short_text_inside_a_long_one_is_a_duplicate():
    short, long = shingles(SHORT), shingles(WRAPPED)
    assert len(short) < 20  # under the old containment floor
    assert similarity(short, long) >= 0.85
    groups = cluster_texts([("a", WRAPPED), ("b", "理财产品亏损要求赔偿"), ("c", SHORT)])
    assert groups == [["a", "c"]]


def test_containment_is_found_at_registration(register, people):
    wrapped = register(title="转办：信用卡年费", narrative=WRAPPED)
    found = find_duplicates(user=people.handler_a, title="", narrative=SHORT)
    assert [c.complaint.pk for c in found] == [wrapped.pk]
    assert found[0].reasons == ["similar_text"]


def _check(client, **fields):
    response = client.post(reverse("language:duplicates"), fields)
    assert response.status_code == 200
    return json.loads(response.content)["candidates"]


def test_a_reworded_story_with_the_same_facts_is_flagged(client, register, people, org):
    card = TaxonomyTerm.objects.get(axis="business_category", code="CARD_CREDIT")
    text = similarity(shingles(ORIGINAL), shingles(REWORDED))
    assert MIN_TEXT_WITH_FACTS <= text < SIMILAR_TEXT  # the words alone would not tell
    original = register(
        title="信用卡年费",
        narrative=ORIGINAL,
        complainants=[person(name="张三", id_number="", phone="13911112222")],
    )
    client.force_login(people.handler_a)
    base = {"title": "", "narrative": REWORDED, "unit": str(org.sub_a.pk)}
    [candidate] = _check(client, **base, amount="600", business_category=str(card.pk))
    assert candidate["id"] == original.pk
    assert set(candidate["facts"]) >= {"amount", "date", "product", "outlet"}
    assert any("金额" in reason and "相同" in reason for reason in candidate["reasons"])
    # Another amount and day, no product given: the same words are not enough.
    other = REWORDED.replace("600", "80").replace("3月5日", "7月9日")
    assert _check(client, title="", narrative=other, unit=str(org.sub_a.pk)) == []


def test_bad_amount_is_refused_with_the_field(client, people):
    client.force_login(people.handler_a)
    response = client.post(reverse("language:duplicates"), {"narrative": "x", "amount": "abc"})
    assert response.status_code == 400
    assert "amount" in json.loads(response.content)["fields"]
