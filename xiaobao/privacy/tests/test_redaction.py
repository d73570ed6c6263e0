"""Finding and masking personal data in free text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.privacy.redaction import (
    PROVINCE_CODES,
    Match,
    find_personal_data,
    id_check_char,
    is_valid_id_number,
    luhn_valid,
    redact,
)

HYPOTHESIS = settings(deadline=None, max_examples=300)

VALID_ID = "11010519491231002X"  # the GB 11643 example
VALID_ID_2 = "440305199003071234"[:17] + id_check_char("44030519900307123")
CARD_19 = "6222021234567890128"
CARD_16 = "4111111111111111"


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in find_personal_data(text)]


# --- validators ------------------------------------------------------------------------------


def test_id_check_char():
    assert id_check_char("11010519491231002") == "X"
    assert is_valid_id_number(VALID_ID)
    assert is_valid_id_number(VALID_ID.lower())
    assert not is_valid_id_number("110105194912310021")  # wrong check char
    assert not is_valid_id_number("110105194902300025"[:17] + id_check_char("11010519490230002"))
    assert is_valid_id_number("110105491231002")  # 15-digit, 1949-12-31
    assert not is_valid_id_number("990105491231002")  # no such province
    assert not is_valid_id_number("110105491331002")  # month 13
    assert not is_valid_id_number("12345")


def test_luhn():
    assert luhn_valid(CARD_19)
    assert luhn_valid(CARD_16)
    assert not luhn_valid("6222021234567890127")
    assert not luhn_valid("6222 0212")
    assert not luhn_valid("")  # no digits: not a number at all
    assert not luhn_valid("１２３")


# --- positives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号{VALID_ID}，", [("id_number", VALID_ID)]),
        (f"身份证号{VALID_ID.lower()}。", [("id_number", VALID_ID.lower())]),
        (f"证件：{VALID_ID_2}", [("id_number", VALID_ID_2)]),
        ("老身份证110105491231002号", [("id_number", "110105491231002")]),
        ("手机13800138000联系", [("phone", "13800138000")]),
        ("手机138 0013 8000联系", [("phone", "138 0013 8000")]),
        ("手机138-0013-8000联系", [("phone", "138-0013-8000")]),
        ("电话+86 138 0013 8000。", [("phone", "+86 138 0013 8000")]),
        ("电话+86-13800138000。", [("phone", "+86-13800138000")]),
        ("电话+8613800138000。", [("phone", "+8613800138000")]),
        ("电话0086 13800138000。", [("phone", "0086 13800138000")]),
        ("座机010-62345678转", [("phone", "010-62345678")]),
        ("座机(010)62345678", [("phone", "(010)62345678")]),
        ("座机(0755) 2345678", [("phone", "(0755) 2345678")]),
        ("座机0755 88889999", [("phone", "0755 88889999")]),
        (f"卡号{CARD_19}", [("card", CARD_19)]),
        (f"卡号{CARD_16}。", [("card", CARD_16)]),
        ("卡号6222 0212 3456 7890 128", [("card", "6222 0212 3456 7890 128")]),
        ("卡号4111-1111-1111-1111", [("card", "4111-1111-1111-1111")]),
        ("邮箱zhang.san+x@example.com.cn回复", [("email", "zhang.san+x@example.com.cn")]),
        ("邮箱13800138000@qq.com", [("email", "13800138000@qq.com")]),
        ("全角手机１３８００１３８０００", [("phone", "１３８００１３８０００")]),
        (
            f"客户张三（{VALID_ID}），电话13800138000，卡号{CARD_19}。",
            [("id_number", VALID_ID), ("phone", "13800138000"), ("card", CARD_19)],
        ),
    ],
)
def test_finds(text, expected):
    assert _kinds(text) == expected


def test_match_positions_index_the_original():
    text = f"电话１３８００１３８０００，证件{VALID_ID}"
    for match in find_personal_data(text):
        assert isinstance(match, Match)
        assert text[match.start : match.end] == match.value


def test_valid_id_wins_over_card():
    luhn_ids = [
        p + id_check_char(p)
        for p in (f"11010519900307{n:03d}" for n in range(1000))
        if luhn_valid(p + id_check_char(p))
    ]
    assert luhn_ids
    assert _kinds(f"号码{luhn_ids[0]}") == [("id_number", luhn_ids[0])]


def test_eighteen_digits_bad_check_char_but_luhn_is_a_card():
    # Without an ID's shape (no such province): a Luhn-valid 18-digit number is a card.
    number = next(
        n
        for n in (f"99010519491231{k:04d}" for k in range(10_000))
        if luhn_valid(n) and not is_valid_id_number(n)
    )
    assert _kinds(f"号码{number}") == [("card", number)]


def test_id_with_a_wrong_check_character_or_spaces_is_still_an_id():
    """The hole: a typo in the check character, or spaces, let an ID through unmasked."""
    wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    assert _kinds(f"身份证{wrong}") == [("id_number", wrong)]
    grouped = f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}"
    assert _kinds(f"身份证号{grouped}。") == [("id_number", grouped)]
    assert VALID_ID[6:14] not in redact(f"身份证号{grouped}。")


def test_passports_and_street_addresses():
    text = "护照号E12345678，住杭州市上城区钱江路58号3栋1201室，另有护照EA1234567。"
    assert _kinds(text) == [
        ("passport", "E12345678"),
        ("address", "钱江路58号3栋1201室"),
        ("passport", "EA1234567"),
    ]
    assert redact(text) == "护照号E******78，住杭州市上城区****，另有护照E******67。"


def test_redact():
    text = (
        f"客户张三（身份证{VALID_ID}）称，2026年3月5日从卡号6222 0212 3456 7890 128被扣款50000元，"
        "请回电138-0013-8000或发邮件zhangsan@example.com。"
    )
    assert redact(text) == (
        "客户张三（身份证110105********002X）称，2026年3月5日从卡号6222 02** **** ***0 128被扣款"
        "50000元，请回电138-****-8000或发邮件z***@example.com。"
    )


def test_redact_phone_with_country_code():
    assert redact("电话+86 138 0013 8000") == "电话+86 138 **** 8000"
    assert redact("座机010-62345678") == "座机010-****5678"


@pytest.mark.parametrize("text", ["", "没有个人信息的一段话。"])
def test_redact_without_personal_data(text):
    assert find_personal_data(text) == []
    assert redact(text) == text


# --- negatives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "赔付金额50000元",
        "金额1,234.56元",
        "金额¥12,345,678.90",
        "合计138001380.00元",
        "利率3.13800138000%",  # digits after a decimal point
        "金额13800138000.50元",
        "2026年3月5日",
        "20260305",
        "2026-03-05 10:30:00",
        "2026/03/05 08:05",
        "时间10:30",
        "登记号TS2026-000123",
        "编号TS-2026-0305-000123",
        "保单号P20260305000123",
        "保单号123456789012345678",  # bad ID check char and fails Luhn
        "保单号1234567890123456",  # fails Luhn
        "订单ABC13800138000",  # glued to letters
        "流水号13800138000123",  # glued to more digits
        f"编号X{VALID_ID}",
        f"编号{VALID_ID}9",
        f"卡号{CARD_19[:-1]}7",  # Luhn fails
        "旧号990105491231002",  # 15 digits, no such province
        "旧号110105491331002",  # 15 digits, month 13
        "12345678901",  # 11 digits not starting 1[3-9]
        "电话95588",
        "第1234 5678 9012 3456号",  # grouped 16 digits failing Luhn
        "版本v1.2.3，端口8080",
        "邮件地址不完整zhangsan@",
    ],
)
def test_leaves_alone(text):
    assert find_personal_data(text) == []
    assert redact(text) == text


def test_eighteen_digits_failing_both_checks():
    number = "123456789012345678"
    assert not is_valid_id_number(number)
    assert not luhn_valid(number)
    assert redact(f"保单号{number}，金额50000元") == f"保单号{number}，金额50000元"


# --- properties ------------------------------------------------------------------------------

CHINESE = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
    | st.sampled_from("，。：；！？（） "),
    max_size=20,
)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    area = draw(st.integers(0, 9999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{province}{area:04d}{born:%Y%m%d}{seq:03d}"
    number = first17 + id_check_char(first17)
    return number.lower() if draw(st.booleans()) else number


@st.composite
def old_id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)))
    return f"{province}{draw(st.integers(0, 9999)):04d}{born:%y%m%d}{draw(st.integers(0, 999)):03d}"


def _luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, digits)"""
    length = draw(st.integers(16, 19))
    body = draw(st.sampled_from("3456")) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2))
    )
    digits = _luhn_complete(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    written = sep.join(digits[i : i + 4] for i in range(0, len(digits), 4)) if sep else digits
    return written, digits


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    sep = draw(st.sampled_from(["", " ", "-"]))
    written = sep.join([number[:3], number[3:7], number[7:]])
    prefix = draw(st.sampled_from(["", "", "+86", "+86 ", "+86-", "0086 ", "86"]))
    return prefix + written


def _assert_redacted(before: str, value: str, after: str, kinds: set[str]) -> None:
    text = before + value + after
    found = find_personal_data(text)
    assert [m.value for m in found] == [value]
    assert found[0].kind in kinds
    assert found[0].start == len(before)
    redacted = redact(text)
    assert value not in redacted
    assert redacted.startswith(before)
    assert redacted.endswith(after)
    assert len(redacted) == len(text)


@HYPOTHESIS
@given(CHINESE, id_numbers(), CHINESE)
def test_any_valid_id_is_found_and_hidden(before, number, after):
    _assert_redacted(before, number, after, {"id_number"})


@HYPOTHESIS
@given(CHINESE, old_id_numbers(), CHINESE)
def test_any_old_id_is_found_and_hidden(before, number, after):
    _assert_redacted(before, number, after, {"id_number"})


@HYPOTHESIS
@given(CHINESE, cards(), CHINESE)
def test_any_luhn_card_is_found_and_hidden(before, card, after):
    written, digits = card
    # An 18-digit card that happens to be a valid ID number is reported (and masked) as one.
    _assert_redacted(before, written, after, {"card", "id_number"})
    assert digits not in redact(before + written + after)


@HYPOTHESIS
@given(CHINESE, mobiles(), CHINESE)
def test_any_mobile_is_found_and_hidden(before, phone, after):
    _assert_redacted(before, phone, after, {"phone"})


@HYPOTHESIS
@given(
    CHINESE,
    st.integers(0, 9_999_999_999),
    st.integers(0, 99),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
    st.times(),
    st.integers(0, 999_999),
)
def test_amounts_dates_and_registry_numbers_survive(text, amount, cents, day, moment, serial):
    pieces = [
        f"{amount}元",
        f"{amount:,}.{cents:02d}元",
        f"¥{amount:,}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        day.isoformat(),
        f"{day:%Y/%m/%d} {moment:%H:%M:%S}",
        f"{moment:%H:%M}",
        f"TS{day.year}-{serial:06d}",
    ]
    for piece in pieces:
        sample = text + piece + text
        assert find_personal_data(sample) == [], piece
        assert redact(sample) == sample


@HYPOTHESIS
@given(CHINESE, mobiles(), st.integers(0, 99_999), CHINESE)
def test_personal_data_next_to_amounts(before, phone, amount, after):
    text = f"{before}{amount}元，电话{phone}，{after}"
    redacted = redact(text)
    assert f"{amount}元" in redacted
    assert phone not in redacted
