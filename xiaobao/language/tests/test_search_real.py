"""Search over real citizens' messages (../shared/data): traditional characters, single
characters inside words, unknown words as phrases, registry and reference numbers."""

from __future__ import annotations

import csv
from datetime import timedelta

import opencc
import pytest
from django.utils import timezone

from xiaobao.language.search import search_complaints
from xiaobao.language.segment import normalise, query_terms

from .conftest import GOV_MESSAGES, shared_file

pytestmark = pytest.mark.django_db


def _rows() -> list[dict[str, str]]:
    with shared_file(GOV_MESSAGES).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    picked, seen = [], set()
    # Every message about 学位 or 公积金, some about housing (房), and unrelated ones.
    for row in rows:
        text = row["留言主题"] + row["留言详情"]
        wanted = "学位" in text or "公积金" in text
        if (wanted or ("房" in text and len(picked) < 25) or len(picked) < 40) and (
            row["留言编号"] not in seen
        ):
            picked.append(row)
            seen.add(row["留言编号"])
    return picked


@pytest.fixture
def registry(register):
    """The picked messages registered as cases; one of them written in traditional characters,
    one a 12315 referral with its reference number. Returns {case: normalised text}."""
    to_traditional = opencc.OpenCC("s2t")
    cases = {}
    for i, row in enumerate(_rows()):
        title = " ".join(row["留言主题"].split())[:200] or "留言"
        narrative = " ".join(row["留言详情"].split()) or title
        if "学位" in title + narrative and not any("學位" in t for t in cases.values()):
            title, narrative = to_traditional.convert(title), to_traditional.convert(narrative)
        extra = {}
        if i == 3:
            extra = {
                "intake_channel": "R12315",
                "external_ref": "12315-2026-0456",
                "referrer_received_on": timezone.localdate() - timedelta(days=1),
            }
        case = register(title=title, narrative=narrative, **extra)
        cases[case] = title + "\n" + narrative
    return cases


def _found(query, people, **kwargs):
    return {
        hit.complaint.pk for hit in search_complaints(user=people.hq_officer, query=query, **kwargs)
    }


def _containing(registry, word):
    return {case.pk for case, text in registry.items() if word in normalise(text)}


def test_traditional_query_finds_simplified_and_traditional_texts(registry, people):
    expected = _containing(registry, "学位")
    assert len(expected) >= 2  # one of them is stored in traditional characters
    assert any("學位" in text for text in registry.values())
    assert _found("學位", people) == expected == _found("学位", people)


def test_full_width_and_traditional_words(registry, people):
    assert _found("公積金", people) == _containing(registry, "公积金") != set()


def test_a_single_character_is_found_inside_words_and_nowhere_else(registry, people):
    expected = _containing(registry, "房")
    assert 0 < len(expected) < len(registry)
    assert _found("房", people, limit=500) == expected
    results = search_complaints(user=people.hq_officer, query="房", limit=500)
    assert results.total == len(expected)
    # Only the character is marked, and it is marked in words such as 房屋 / 房产.
    assert all(
        "<mark>房</mark>" in hit.snippet_html or "<mark>房</mark>" in hit.title_html
        for hit in results
    )


def test_an_unknown_word_is_matched_as_a_phrase_never_as_scattered_characters(registry, people):
    # 楚天小学 (a primary school) is not in the dictionary (it falls apart into characters that
    # occur all over the registry): only the message naming the school may come back, and the
    # name is marked as a whole.
    assert query_terms("楚天小学") == [("楚", "天", "小", "学")]
    expected = _containing(registry, "楚天小学")
    assert len(expected) == 1
    assert all(len(_containing(registry, ch)) > 1 for ch in "天小学")
    assert _found("楚天小学", people) == expected
    hit = search_complaints(user=people.hq_officer, query="楚天小学").hits[0]
    assert "<mark>楚天小學</mark>" in hit.snippet_html  # stored in traditional characters
    # Two dictionary words side by side in the query are marked as one stretch too.
    hit = search_complaints(user=people.hq_officer, query="红星二小").hits[0]
    assert "<mark>紅星二小</mark>" in hit.snippet_html


def test_registry_number_and_reference_number_find_exactly_their_case(registry, people):
    case = list(registry)[7]
    results = search_complaints(user=people.hq_officer, query=f" {case.registry_no.lower()} ")
    assert results.exact and [h.complaint.pk for h in results] == [case.pk]
    referral = list(registry)[3]
    results = search_complaints(user=people.hq_officer, query="１２３１５-2026-0456")
    assert results.exact and [h.complaint.pk for h in results] == [referral.pk]
    # A number nobody has: its parts are not matched here and there.
    assert _found("12315-2026-9999", people) == set()


def test_numbers_respect_the_branch_scope(registry, people):
    case = list(registry)[7]
    assert _found(case.registry_no, people) == {case.pk}
    # officer_b's branch holds none of these cases (they are in sub-branch A).
    results = search_complaints(user=people.officer_b, query=case.registry_no)
    assert results.hits == [] and not results.exact


def test_the_search_page_counts_pages_and_puts_the_number_first(client, registry, people):
    from django.urls import reverse

    client.force_login(people.hq_officer)
    expected = _containing(registry, "房")
    page = client.get(reverse("language:search"), {"q": "房"}).content.decode()
    assert f"找到 {len(expected)} 件投诉" in page
    if len(expected) > 50:
        assert 'rel="next"' in page
    case = list(registry)[7]
    page = client.get(reverse("language:search"), {"q": case.registry_no}).content.decode()
    assert "按台账编号或转办编号精确找到" in page and "找到 1 件投诉" in page
    assert page.count('href="/complaints/') >= 1 and case.registry_no in page
