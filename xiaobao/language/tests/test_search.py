"""Full-text search: two-character words, English, ranking, scope, registry filters, escaping."""

from __future__ import annotations

import pytest

from xiaobao.language.search import search_complaints
from xiaobao.language.services import search_document_update
from xiaobao.lib.errors import DomainError


def _numbers(results):
    return [hit.complaint.registry_no for hit in results]


@pytest.fixture
def cases(register, org, people):
    """Three cases in branch A and one in branch B, each about a different product."""
    fee = register()
    credit = register(
        title="个人征信报告出现逾期记录",
        narrative="客户称其房贷按时还款，但征信报告显示逾期两次，要求更正征信记录。",
        business_category="LOAN_MORTGAGE",
        cause="RULES",
        demands=["CORRECT_RECORD"],
    )
    wealth = register(
        title="理财产品亏损，销售时未揭示风险",
        narrative="客户在网点购买理财产品，理财经理称保本保息，到期亏损8%，要求赔偿。",
        business_category="WEALTH",
        cause="MARKETING",
        demands=["COMPENSATION"],
    )
    other_branch = register(
        actor=people.handler_b,
        unit=org.sub_b,
        title="信用卡年费争议",
        narrative="B支行客户对信用卡年费收取标准有异议。",
    )
    return {"fee": fee, "credit": credit, "wealth": wealth, "b": other_branch}


@pytest.mark.parametrize(
    ("query", "key"), [("年费", "fee"), ("征信", "credit"), ("理财", "wealth")]
)
def test_two_character_words_are_found(cases, people, query, key):
    results = search_complaints(user=people.handler_a, query=query)
    assert _numbers(results) == [cases[key].registry_no]
    assert results.all_terms


def test_longer_and_mixed_queries(cases, people):
    assert _numbers(search_complaints(user=people.handler_a, query="信用卡年费")) == [
        cases["fee"].registry_no
    ]
    assert _numbers(search_complaints(user=people.handler_a, query="理财经理 保本")) == [
        cases["wealth"].registry_no
    ]


def test_english_words_case_insensitive(register, people):
    case = register(
        title="Annual fee charged on credit card",
        narrative="The customer says the ANNUAL FEE was never disclosed and asks for a refund.",
    )
    register(title="ATM kept my card", narrative="The machine swallowed the debit card.")
    results = search_complaints(user=people.handler_a, query="annual fee")
    assert _numbers(results) == [case.registry_no]
    assert "<mark>Annual</mark> <mark>fee</mark>" in results.hits[0].title_html
    # Whole words only: "fee" does not light up inside "feedback".
    assert _numbers(search_complaints(user=people.handler_a, query="fe")) == []


def test_mixed_chinese_and_english_query(register, people):
    case = register(
        title="手机银行APP转账失败", narrative="客户使用手机银行 APP 转账，提示 error 500。"
    )
    assert _numbers(search_complaints(user=people.handler_a, query="手机银行 app")) == [
        case.registry_no
    ]
    assert _numbers(search_complaints(user=people.handler_a, query="Error 转账")) == [
        case.registry_no
    ]


def test_better_match_ranks_first(register, people):
    passing = register(
        title="网点排队时间过长",
        narrative="客户在网点排队两小时，其间顺带咨询了年费问题，主要不满服务效率。",
        business_category="DEPOSIT",
    )
    focused = register(
        title="信用卡年费争议",
        narrative="客户认为年费收取不合理：年费标准未告知，年费减免条件也未说明。",
    )
    results = search_complaints(user=people.handler_a, query="年费")
    assert _numbers(results) == [focused.registry_no, passing.registry_no]
    assert results.hits[0].score > results.hits[1].score


def test_all_words_first_then_any_word(cases, people):
    results = search_complaints(user=people.handler_a, query="年费 征信")
    assert results.all_terms is False
    assert set(_numbers(results)) == {cases["fee"].registry_no, cases["credit"].registry_no}


def test_branch_b_never_sees_branch_a(cases, people):
    for user in (people.handler_b, people.officer_b):
        assert _numbers(search_complaints(user=user, query="年费")) == [cases["b"].registry_no]
        assert _numbers(search_complaints(user=user, query="征信")) == []
        assert _numbers(search_complaints(user=user, query="理财")) == []
    both = search_complaints(user=people.hq_officer, query="年费")
    assert set(_numbers(both)) == {cases["fee"].registry_no, cases["b"].registry_no}


def test_outlet_handler_sees_only_the_outlet(cases, people):
    assert _numbers(search_complaints(user=people.outlet_handler_a, query="年费")) == []


def test_registry_filters_combine(cases, people):
    hq = people.hq_officer
    assert _numbers(search_complaints(user=hq, query="年费", filters={"unit": "BR-b"})) == [
        cases["b"].registry_no
    ]
    assert (
        _numbers(search_complaints(user=hq, query="理财", filters={"business_category": ["LOAN"]}))
        == []
    )
    assert _numbers(
        search_complaints(user=hq, query="征信", filters={"business_category": ["LOAN"]})
    ) == [cases["credit"].registry_no]
    assert (
        _numbers(search_complaints(user=hq, query="年费", filters={"status": ["accepted"]})) == []
    )
    with pytest.raises(DomainError):
        search_complaints(user=hq, query="年费", filters={"status": ["no-such-status"]})


def test_decision_and_event_text_are_searchable(register, people):
    from xiaobao.complaints import services

    case = register()
    services.complaint_accept(actor=people.handler_a, complaint=case)
    services.complaint_add_new_facts(
        actor=people.handler_a,
        complaint=case,
        received_at=case.received_at,
        description="客户补充提交了短信截图。",
    )
    services.complaint_decide(
        actor=people.handler_a,
        complaint=case,
        verified_facts="经调取双录视频核实，客户经理未履行告知义务。",
        outcome="upheld",
        basis="《信用卡领用合约》第五条",
        reasons="告知义务未履行，年费应予退还。",
        routes=["review", "mediation"],
    )
    search_document_update(complaint_id=case.pk)
    results = search_complaints(user=people.handler_a, query="双录")
    assert _numbers(results) == [case.registry_no]
    assert "<mark>双录</mark>" in results.hits[0].snippet_html
    for words in ("领用合约", "短信截图"):
        assert _numbers(search_complaints(user=people.handler_a, query=words)) == [case.registry_no]


def test_snippets_and_titles_are_escaped(register, people):
    register(
        title="<script>alert(1)</script>年费",
        narrative='客户写道：<img src=x onerror="alert(2)"> 年费 & 利息 "不合理"。',
    )
    hit = search_complaints(user=people.handler_a, query="年费").hits[0]
    assert "<script>" not in hit.title_html and "<img" not in hit.snippet_html
    assert hit.title_html == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>年费</mark>"
    assert "onerror=&quot;alert(2)&quot;&gt; <mark>年费</mark> &amp; 利息" in hit.snippet_html


def test_personal_data_is_masked_in_the_index(register, people):
    register(narrative="客户手机号13912345678，信用卡年费被扣。")
    assert _numbers(search_complaints(user=people.handler_a, query="13912345678")) == []
    hit = search_complaints(user=people.handler_a, query="年费").hits[0]
    assert "13912345678" not in hit.snippet_html


def test_empty_or_punctuation_query_finds_nothing(cases, people):
    assert len(search_complaints(user=people.handler_a, query="  ，。！ ")) == 0


def test_any_word_fallback_ignores_single_characters(cases, people):
    # 的/不 alone would match nearly every case; only 理财 may carry the fallback.
    results = search_complaints(user=people.handler_a, query="不存在的理财套餐")
    assert results.all_terms is False
    assert _numbers(results) == [cases["wealth"].registry_no]
    assert "<mark>理财</mark>" in results.hits[0].snippet_html
    assert "<mark>的</mark>" not in results.hits[0].snippet_html


def test_many_matches_rank_only_the_newest_received_candidates_and_say_so(
    register, people, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from xiaobao.language import search

    monkeypatch.setattr(search, "CANDIDATES", 3)
    # The oldest case is the best match (年费 in the title and twice in the text) …
    best_but_old = register(
        title="年费年费年费", narrative="年费收取有异议，年费过高，年费不合理。"
    )
    newer = [register(title=f"第{i}件", narrative="客户对信用卡年费有异议。") for i in range(4)]
    # … and a case from an old ledger imported last (the highest id) is not "newest" either.
    imported = register(
        title="旧台账年费",
        narrative="历史台账：年费争议。",
        received_at=timezone.now() - timedelta(days=400),
    )
    results = search_complaints(user=people.handler_a, query="年费")
    # … only the three most recently received matches are ranked, and the results say so.
    assert results.truncated and results.total == 6 and not results.total_capped
    assert set(_numbers(results)) == {c.registry_no for c in newer[1:]}
    assert best_but_old.registry_no not in _numbers(results)
    assert imported.registry_no not in _numbers(results)
    monkeypatch.setattr(search, "CANDIDATES", 10)
    everything = search_complaints(user=people.handler_a, query="年费")
    assert not everything.truncated and everything.total == 6
    assert _numbers(everything)[0] == best_but_old.registry_no


def test_the_count_is_bounded_and_pages_cover_the_ranked_pool(register, people, monkeypatch):
    from xiaobao.language import search

    monkeypatch.setattr(search, "COUNT_CAP", 4)
    monkeypatch.setattr(search, "CANDIDATES", 5)
    cases = [register(title=f"年费第{i}件", narrative="年费争议。") for i in range(7)]
    first = search_complaints(user=people.handler_a, query="年费", limit=2)
    assert first.total == 4 and first.total_capped and first.truncated
    assert first.pages == 3 and first.has_next and not first.has_previous
    seen = []
    for page in (1, 2, 3):
        results = search_complaints(user=people.handler_a, query="年费", limit=2, page=page)
        assert results.page == page
        seen += _numbers(results)
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) <= {c.registry_no for c in cases}
    # A page past the end shows the last one.
    assert search_complaints(user=people.handler_a, query="年费", limit=2, page=99).page == 3
