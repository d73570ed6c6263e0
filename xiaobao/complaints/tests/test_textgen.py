"""The complaint text generator: valid codes and identity data, varied and deterministic text."""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

import pytest

from xiaobao.complaints import taxonomy_defaults as td
from xiaobao.complaints.textgen import (
    SCENARIOS,
    ComposedComplaint,
    ComposedPerson,
    compose_complaint,
    compose_many,
    compose_person,
    id_check_char,
    luhn_ok,
)
from xiaobao.privacy.redaction import id_check_char as reference_check_char
from xiaobao.privacy.redaction import is_valid_id_number, luhn_valid

ROUTE_WORDS = ("核查", "调解", "仲裁", "诉讼")
PHONE = re.compile(r"^1(3\d|5[0-35-9]|6[6]|7[035-8]|8\d|9[13589])\d{8}$")
PROVINCES = {f"{n}" for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37)} | {
    f"{n}" for n in (41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)
}
INSURANCE_CATEGORIES = {"INS_CLAIMS", "INS_MISSELLING", "AGENCY_INSURANCE"}


def codes(entries: tuple[td.Entry, ...]) -> set[str]:
    return {code for code, _name, _en, _children in entries}


def children(entries: tuple[td.Entry, ...]) -> dict[str, set[str]]:
    return {code: {c for c, _n, _e in kids} for code, _name, _en, kids in entries}


@pytest.fixture(scope="module")
def thousand() -> list[ComposedComplaint]:
    return compose_many(1000, 1)


@pytest.fixture(scope="module")
def pairs() -> list[tuple[ComposedPerson, ComposedComplaint]]:
    rng = random.Random(42)
    out = []
    for _ in range(3000):
        person = compose_person(rng)
        out.append((person, compose_complaint(rng, person)))
    return out


@pytest.fixture(scope="module")
def people() -> list[ComposedPerson]:
    rng = random.Random(9)
    return [compose_person(rng) for _ in range(3000)]


def test_the_same_seed_gives_the_same_complaints():
    assert compose_many(300, 7) == compose_many(300, 7)
    assert compose_many(50, 7) != compose_many(50, 8)
    a, b = random.Random(3), random.Random(3)
    assert compose_complaint(a) == compose_complaint(b)


def test_there_are_many_scenarios_and_a_thousand_complaints_read_differently(thousand):
    assert len(SCENARIOS) >= 30
    assert len({c.narrative for c in thousand}) >= 600
    assert len({c.title for c in thousand}) >= 150
    assert len({(c.business_subcategory or c.business_category, c.cause) for c in thousand}) >= 25


def test_every_code_is_in_the_default_taxonomy(pairs):
    channels = codes(td.BUSINESS_CHANNELS) | {
        c for k in children(td.BUSINESS_CHANNELS).values() for c in k
    }
    categories = children(td.BUSINESS_CATEGORIES)
    for _person, c in pairs:
        assert c.business_channel in channels
        assert c.business_category in categories
        if categories[c.business_category]:
            assert c.business_subcategory in categories[c.business_category]
        else:
            assert c.business_subcategory == ""
        assert c.cause in codes(td.CAUSES)
        assert 1 <= len(c.demands) <= 2
        assert len(set(c.demands)) == len(c.demands)
        assert set(c.demands) <= codes(td.DEMANDS)
        assert c.outcome in {"upheld", "partly_upheld", "not_upheld"}


def test_check_character_and_luhn_match_known_values_and_the_privacy_module():
    assert id_check_char("11010519491231002") == "X"
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("")
    assert not luhn_ok("4539 5787 6362 1486")
    rng = random.Random(1)
    for _ in range(200):
        first17 = "".join(str(rng.randint(0, 9)) for _ in range(17))
        assert id_check_char(first17) == reference_check_char(first17)


def test_people_have_valid_identity_numbers_and_adult_birth_dates(people):
    today = date.today()
    for p in people:
        assert len(p.id_number) == 18
        assert p.id_number[:17].isdigit()
        assert p.id_number[17] == id_check_char(p.id_number[:17])
        assert is_valid_id_number(p.id_number)
        born = date(int(p.id_number[6:10]), int(p.id_number[10:12]), int(p.id_number[12:14]))
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        assert 18 <= age <= 85
        assert born.year == p.birth_year
        assert p.id_number[:2] in PROVINCES


def test_people_have_mobile_numbers_cards_addresses_and_names(people):
    for p in people:
        assert PHONE.match(p.phone), p.phone
        assert len(p.card_number) in (16, 19)
        assert p.card_number.isdigit()
        assert luhn_ok(p.card_number) and luhn_valid(p.card_number)
        assert re.search(r"(省|市).+(区|县).+(路|街|道).*\d+号", p.address), p.address
        assert 2 <= len(p.name) <= 4
        assert p.email == "" or "@" in p.email
    share_email = sum(bool(p.email) for p in people) / len(people)
    assert 0.1 < share_email < 0.3
    assert len({p.name for p in people}) > len(people) * 0.7


def test_narratives_and_titles_have_sensible_lengths_and_no_template_leftovers(pairs):
    for _person, c in pairs:
        assert 80 <= len(c.narrative) <= 400, c.narrative
        assert 0 < len(c.title) <= 40
        text = c.title + c.narrative + c.decision_text + c.root_cause + c.rectification
        assert not re.search(r"[\[\]{}|]", text), text


def test_the_answer_names_the_routes_still_open(pairs):
    for _person, c in pairs:
        assert any(word in c.decision_text for word in ROUTE_WORDS)
        assert c.root_cause


def test_a_rectification_exactly_when_the_institution_was_at_fault(pairs):
    for _person, c in pairs:
        assert bool(c.rectification) == c.product_or_process_at_fault
        if c.outcome == "not_upheld":
            assert not c.product_or_process_at_fault
    assert any(c.product_or_process_at_fault for _p, c in pairs)


def test_about_a_fifth_are_insurance_complaints():
    complaints = compose_many(2000, 5)
    share = sum(c.sector == "insurance" for c in complaints) / len(complaints)
    assert 0.10 <= share <= 0.30
    for c in complaints:
        insurance = (c.business_subcategory or c.business_category) in INSURANCE_CATEGORIES
        assert (c.sector == "insurance") == insurance


def test_numbers_quoted_in_the_narrative_are_the_complainants_own(pairs):
    quoting = 0
    for person, c in pairs:
        long_numbers = re.findall(r"\d{11,}", c.narrative)
        quoting += bool(long_numbers)
        for number in long_numbers:
            assert number in (person.phone, person.card_number)
        for tail in re.findall(r"尾号(\d{4})", c.narrative):
            assert tail == person.card_number[-4:]
    assert 0.08 <= quoting / len(pairs) <= 0.25


def test_compensation_is_paid_only_on_upheld_money_complaints_and_never_exceeds_the_amount(pairs):
    paid = 0
    for _person, c in pairs:
        if c.compensation is None:
            continue
        paid += 1
        assert c.outcome in {"upheld", "partly_upheld"}
        assert c.amount is not None
        assert Decimal("0") < c.compensation <= c.amount
    assert paid > 100
    assert any(c.amount is None for _p, c in pairs)
