"""Segmentation: financial words stay whole, English is lower-cased, results are deterministic."""

from __future__ import annotations

import threading

import pytest

from xiaobao.language import segment
from xiaobao.language.segment import index_string, tokens_for_index, tokens_for_query


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("客户称信用卡年费未告知", "年费"),
        ("个人征信报告出现逾期", "征信"),
        ("购买理财产品后亏损", "理财"),
        ("申请账单分期被拒", "分期"),
        ("要求提前还款被收违约金", "提前还款"),
        ("第三方暴力催收", "催收"),
        ("要求退保并退还保费", "退保"),
        ("网点代销基金产品", "代销"),
        ("大额存单到期", "存单"),
        ("手机银行无法登录", "手机银行"),
        ("信用卡被盗刷", "信用卡"),
    ],
)
def test_financial_words_are_index_tokens(text, word):
    assert word in tokens_for_index(text)


def test_search_mode_adds_the_words_inside_long_words():
    tokens = tokens_for_index("信用卡年费")
    assert tokens[:3] == ["信用", "信用卡", "年费"]
    assert tokens_for_query("信用卡年费") == ["信用卡", "年费"]
    assert "理财" in tokens_for_index("理财产品") and "理财产品" in tokens_for_index("理财产品")


def test_english_words_are_lower_cased_and_full_width_folded():
    assert tokens_for_query("Annual FEE on my Credit-Card") == [
        "annual",
        "fee",
        "on",
        "my",
        "credit",
        "card",
    ]
    assert tokens_for_query("ＡＴＭ吞卡") == ["atm", "吞", "卡"]


def test_punctuation_never_reaches_the_index():
    text = '客户说："年费（600元）" & <b>不合理</b>！！ e-mail: a_b@x.cn'
    for token in tokens_for_index(text):
        assert token.isalnum(), token
    assert index_string("  ，。  ") == ""
    assert tokens_for_query("") == []


def test_deterministic_and_thread_safe_initialisation(monkeypatch):
    monkeypatch.setattr(segment, "_tokenizer", None)
    results: list[list[str]] = []

    def work():
        results.append(tokens_for_index("信用卡年费与征信异议、理财产品销售误导"))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r == results[0] for r in results)
    assert segment._tokenizer is not None


def test_query_terms_keep_unknown_stretches_together():
    from xiaobao.language.segment import loose_terms, query_terms

    assert query_terms("信用卡 年费") == [("信用卡",), ("年费",)]
    assert query_terms("學位") == [("学位",)]  # traditional → simplified
    assert query_terms("房") == [("房",)]
    # An unknown name falls apart into characters: the whole stretch is one phrase.
    assert query_terms("锦程银行信用卡") == [tuple("锦程银行信用卡")]
    assert query_terms("ＡＴＭ吞卡") == [("atm",), ("吞", "卡")]
    # The any-word fallback keeps the words of a phrase, never its single characters.
    assert loose_terms(query_terms("不存在的理财套餐")) == [("存在",), ("理财",), ("套餐",)]


def test_index_holds_words_then_bigrams_then_characters_in_order():
    from xiaobao.language.segment import BIGRAM

    assert tokens_for_index("學位房") == [
        "学位",
        "房",
        BIGRAM + "学位",
        BIGRAM + "位房",
        "学",
        "位",
        "房",
    ]
    # A bigram never spans punctuation: 卡。年 holds no 卡年.
    tokens = tokens_for_index("销卡。年费")
    assert BIGRAM + "销卡" in tokens and BIGRAM + "卡年" not in tokens
    # The marker cannot be smuggled in by the text itself: words never carry it.
    assert all(not t.startswith(BIGRAM) for t in tokens_for_index(BIGRAM + "销卡")[:1])


def test_a_phrase_is_matched_as_its_chain_of_bigrams():
    from xiaobao.language.segment import BIGRAM, lexemes

    assert lexemes(("销", "卡")) == (BIGRAM + "销卡",)
    assert lexemes(tuple("张三丰")) == (BIGRAM + "张三", BIGRAM + "三丰")
    assert lexemes(("房",)) == ("房",)  # a lone character: its unigram
    assert lexemes(("信用卡",)) == ("信用卡",)  # a word: itself
    assert lexemes(("ts2026", "000123")) == ("ts2026", "000123")  # an identifier's pieces
