"""Duplicate and repeat detection: same complainant by keyed hash, same story by text."""

from __future__ import annotations

import pytest

from xiaobao.language.duplicates import cluster_texts, find_duplicates, shingles, similarity

from .conftest import PHONE, VALID_ID, person

NEW_TITLE = "信用卡年费未告知即扣收"
NEW_NARRATIVE = "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。"


def test_same_phone_finds_the_open_case(register, people):
    first = register(
        title="手机银行转账失败",
        narrative="客户通过手机银行转账，款项被扣但对方未收到。",
        complainants=[person(id_number="")],
    )
    found = find_duplicates(
        user=people.handler_a, title="另一件事", narrative="完全不同的内容。", phone=PHONE
    )
    assert [c.complaint.pk for c in found] == [first.pk]
    assert found[0].reasons == ["same_phone"] and found[0].can_merge


def test_same_id_number_scores_highest(register, people):
    case = register()
    found = find_duplicates(
        user=people.handler_a, title="x", narrative="y", id_number=VALID_ID, phone=PHONE
    )
    assert found[0].complaint.pk == case.pk
    assert found[0].reasons == ["same_id_number", "same_phone"]
    assert found[0].score == 1.0


def test_near_identical_text_is_found(register, people):
    case = register(complainants=[person(id_number="", phone="0571-87654321")])
    register(
        title="理财产品亏损",
        narrative="客户购买理财产品亏损，要求赔偿。",
        complainants=[person(id_number="", phone="0571-87654322")],
    )
    found = find_duplicates(
        user=people.handler_a,
        title=NEW_TITLE,
        narrative="12345转办：" + NEW_NARRATIVE.replace("600元", "六百元"),
    )
    assert [c.complaint.pk for c in found] == [case.pk]
    assert found[0].reasons == ["similar_text"] and found[0].text_similarity >= 0.5


def test_unindexed_recent_cases_are_still_compared(register, people):
    case = register(index=False, complainants=[person(id_number="", phone="0571-87654321")])
    found = find_duplicates(user=people.handler_a, title=NEW_TITLE, narrative=NEW_NARRATIVE)
    assert [c.complaint.pk for c in found] == [case.pk]


def test_other_branches_are_never_revealed(register, people, org):
    register(actor=people.handler_b, unit=org.sub_b)
    found = find_duplicates(
        user=people.handler_a,
        title=NEW_TITLE,
        narrative=NEW_NARRATIVE,
        id_number=VALID_ID,
        phone=PHONE,
    )
    assert found == []


def test_similarity_measures():
    a = shingles(NEW_NARRATIVE)
    assert similarity(a, a) == 1.0
    assert similarity(a, shingles("客户购买理财产品亏损，要求赔偿。")) < 0.1
    wrapped = shingles("市民来电反映：" + NEW_NARRATIVE + "请按时答复。")
    assert similarity(a, wrapped) >= 0.85
    assert shingles("Annual FEE charged") == shingles("annual fee  charged!")


@pytest.mark.parametrize("threshold", [0.5, 0.6])
def test_cluster_texts_groups_known_duplicates(threshold):
    items = [
        (1, NEW_TITLE + NEW_NARRATIVE),
        (2, "客户购买理财产品亏损，理财经理未揭示风险，要求赔偿全部本金损失。"),
        (3, NEW_TITLE + NEW_NARRATIVE.replace("600元", "600.00元")),
        (4, "My credit card was charged an annual fee I was never told about; refund it."),
        (5, "ATM swallowed my debit card at the branch and nobody helped me."),
        (6, "my credit card was charged an annual fee I was never told about, please refund it"),
        (7, "客户购买理财产品亏损，理财经理未揭示风险，要求赔偿全部本金损失！！"),
        (8, ""),
    ]
    assert cluster_texts(items, threshold=threshold) == [[1, 3], [2, 7], [4, 6]]


def test_find_duplicates_command(tmp_path):
    import io
    import json

    from django.core.management import call_command

    path = tmp_path / "texts.csv"
    path.write_text(
        "编号,标题,内容\n"
        f"A1,{NEW_TITLE},{NEW_NARRATIVE}\n"
        "A2,理财产品亏损,客户购买理财产品亏损，理财经理未揭示风险，要求赔偿。\n"
        f'A3,"12345转办：{NEW_TITLE}","{NEW_NARRATIVE}"\n'
        "A4,ATM吞卡,客户在自助机具取款时银行卡被吞。\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command(
        "find_duplicates",
        str(path),
        "--text-col=标题",
        "--text-col=内容",
        "--id-col=编号",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {"n": 4, "groups": [["A1", "A3"]]}
