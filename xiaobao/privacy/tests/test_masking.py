"""Default masks: table-driven cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.privacy.masking import (
    COMPOUND_SURNAMES,
    MASKERS,
    mask,
    mask_address,
    mask_card,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)

HYPOTHESIS = settings(deadline=None, max_examples=200)

CASES = [
    # ID numbers: first 6 + last 4
    ("id_number", "11010519491231002X", "110105********002X"),
    ("id_number", "11010519491231002x", "110105********002x"),
    ("id_number", "110105491231002", "110105*****1002"),  # 15-digit old ID
    ("id_number", "110105 19491231 002X", "110105 ******** 002X"),
    ("id_number", "１１０１０５１９４９１２３１００２Ｘ", "１１０１０５********００２Ｘ"),
    ("id_number", "1234567", "*******"),  # too short to keep both ends
    # phones: first 3 + last 4
    ("phone", "13812345678", "138****5678"),
    ("phone", "138 1234 5678", "138 **** 5678"),
    ("phone", "138-1234-5678", "138-****-5678"),
    ("phone", "+86 138 1234 5678", "+86 138 **** 5678"),
    ("phone", "+8613812345678", "+86138****5678"),
    ("phone", "0086-13812345678", "0086-138****5678"),
    ("phone", "8613812345678", "86138****5678"),
    ("phone", "010-62345678", "010-****5678"),
    ("phone", "(010) 62345678", "(010) ****5678"),
    ("phone", "021-6234567", "***-*******"),  # only 3 digits would be hidden
    ("phone", "95588", "*****"),
    # bank cards: first 6 + last 4
    ("card", "6222021234567890128", "622202*********0128"),
    ("card", "6222 0212 3456 7890 128", "6222 02** **** ***0 128"),
    ("card", "6222-0212-3456-7890", "6222-02**-****-7890"),
    ("card", "4111111111111111", "411111******1111"),
    ("card", "6222 **** **** 0128", "6222 **** **** 0128"),  # already masked stays
    # names: the surname
    ("name", "张三", "张*"),
    ("name", "张三丰", "张**"),
    ("name", "李", "*"),
    ("name", "张*", "张*"),  # already masked
    ("name", "*", "*"),
    ("name", "欧阳修", "欧阳*"),
    ("name", "欧阳娜娜", "欧阳**"),
    ("name", "欧阳", "欧*"),  # more likely 欧 + 阳 than a bare compound surname
    ("name", "司马懿", "司马*"),
    ("name", "诸葛亮", "诸葛*"),
    ("name", "上官婉儿", "上官**"),
    ("name", "东方朔", "东方*"),
    ("name", "皇甫嵩", "皇甫*"),
    ("name", "慕容复", "慕容*"),
    ("name", "令狐冲", "令狐*"),
    ("name", "歐陽修", "歐陽*"),
    ("name", " 张三 ", "张*"),
    ("name", "阿卜杜拉·买买提", "阿***·***"),
    ("name", "Zhang San", "Z***"),
    ("name", "Li", "L***"),
    # e-mail
    ("email", "zhangsan@example.com", "z***@example.com"),
    ("email", "a@example.com", "***@example.com"),
    ("email", "z***@example.com", "z***@example.com"),
    ("email", "not-an-email", "***"),
    ("email", "first@last@example.com", "f***@example.com"),
    # addresses: province, city and district
    ("address", "北京市朝阳区建国路88号", "北京市朝阳区****"),
    ("address", "北京朝阳区建国路88号", "北京朝阳区****"),
    ("address", "北京市朝阳区华联超市3楼", "北京市朝阳区****"),
    ("address", "上海浦东新区世纪大道100号", "上海浦东新区****"),
    ("address", "重庆市渝中区解放碑", "重庆市渝中区****"),
    ("address", "广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"),
    ("address", "浙江省杭州市西湖区文三路", "浙江省杭州市西湖区****"),
    ("address", "江苏省苏州市昆山市玉山镇", "江苏省苏州市昆山市****"),
    ("address", "山东省济南市市中区经十路", "山东省济南市市中区****"),
    ("address", "黑龙江省哈尔滨市南岗区", "黑龙江省哈尔滨市南岗区"),
    ("address", "广东省东莞市虎门镇", "广东省东莞市****"),
    ("address", "新疆维吾尔自治区乌鲁木齐市天山区某路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
    ("address", "云南省西双版纳傣族自治州景洪市某路", "云南省西双版纳傣族自治州景洪市****"),
    ("address", "内蒙古自治区锡林郭勒盟锡林浩特市某街", "内蒙古自治区锡林郭勒盟锡林浩特市****"),
    ("address", "香港特别行政区九龙城区某街", "香港特别行政区九龙城区****"),
    ("address", "深圳市南山区科技园", "深圳市南山区****"),
    ("address", "南山区科技园", "南山区****"),
    ("address", "建国路88号", "****"),
    ("address", "123 Main Street", "****"),
]


@pytest.mark.parametrize(("kind", "value", "expected"), CASES)
def test_mask_cases(kind, value, expected):
    assert mask(kind, value) == expected
    assert MASKERS[kind](value) == expected


@pytest.mark.parametrize("kind", sorted(MASKERS))
@pytest.mark.parametrize("value", [None, ""])
def test_empty_passes_through(kind, value):
    assert mask(kind, value) is value
    assert MASKERS[kind](value) is value


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown personal-data kind"):
        mask("licence_plate", "浙A12345")


def test_passport():
    assert mask("passport", "E12345678") == "E******78"


def test_whitespace_name_is_left_alone():
    assert mask_name("   ") == "   "


def test_compound_surnames_listed():
    assert {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐"} <= COMPOUND_SURNAMES


# --- properties ------------------------------------------------------------------------------

DIGITS = st.sampled_from("0123456789")
SEPARATORS = st.sampled_from(" -")


def _revealed(masked: str) -> str:
    return "".join(ch for ch in masked if ch.isalnum())


@st.composite
def grouped(draw: st.DrawFn, min_digits: int, max_digits: int) -> str:
    """Digits, sometimes split by spaces or hyphens."""
    digits = draw(st.lists(DIGITS, min_size=min_digits, max_size=max_digits))
    out = []
    for digit in digits:
        if out and draw(st.integers(0, 4)) == 0:
            out.append(draw(SEPARATORS))
        out.append(digit)
    return "".join(out)


def _check_keep_ends(value: str, masked: str, first: int, last: int) -> None:
    assert len(masked) == len(value)
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    if len(positions) - first - last >= 4:
        kept = set(positions[:first] + positions[len(positions) - last :])
    else:
        kept = set()
    for i, (before, after) in enumerate(zip(value, masked, strict=True)):
        if i in kept or not before.isalnum():
            assert after == before  # allowed ends and separators are kept exactly
        else:
            assert after == "*"


@HYPOTHESIS
@given(st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True))
def test_id_number_property(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked == value[:6] + "*" * 8 + value[-4:]


@HYPOTHESIS
@given(grouped(0, 24))
def test_id_number_keeps_exactly_the_ends(value):
    _check_keep_ends(value, mask_id_number(value) if value else value, 6, 4)


@HYPOTHESIS
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_property(value):
    masked = mask_phone(value)
    assert masked == value[:3] + "****" + value[-4:]


@HYPOTHESIS
@given(grouped(0, 16))
def test_phone_keeps_exactly_the_ends(value):
    _check_keep_ends(value, mask_phone(value) if value else value, 3, 4)


@HYPOTHESIS
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["+86", "+86 ", "0086-"]))
def test_phone_country_code_is_kept(phone, prefix):
    masked = mask_phone(prefix + phone)
    assert masked == prefix + phone[:3] + "****" + phone[-4:]


@HYPOTHESIS
@given(grouped(16, 19))
def test_card_property(value):
    masked = mask_card(value)
    _check_keep_ends(value, masked, 6, 4)
    digits = _revealed(masked)
    plain = _revealed(value)
    assert digits == plain[:6] + plain[-4:]


@HYPOTHESIS
@given(grouped(0, 24))
def test_card_keeps_exactly_the_ends(value):
    _check_keep_ends(value, mask_card(value) if value else value, 6, 4)


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@HYPOTHESIS
@given(st.text(CJK, min_size=2, max_size=6))
def test_name_keeps_only_the_surname(name):
    masked = mask_name(name)
    assert len(masked) == len(name)
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    assert masked == name[:keep] + "*" * (len(name) - keep)


MASKABLE = {
    "id_number": grouped(0, 20),
    "phone": grouped(0, 15),
    "card": grouped(0, 20),
    "name": st.text(CJK | st.sampled_from("·abc "), max_size=6),
    "email": st.emails(),
    "address": st.text(CJK | st.sampled_from("省市区县路号0123"), max_size=20),
}


# The most alphanumeric characters a mask may show (a phone may keep "86" before its 3 + 4).
REVEAL_LIMIT = {"id_number": 10, "card": 10, "phone": 9, "name": 2}


@HYPOTHESIS
@given(st.data())
@pytest.mark.parametrize("kind", sorted(MASKABLE))
def test_masking_is_idempotent_and_never_reveals_more(kind, data):
    value = data.draw(MASKABLE[kind])
    once = mask(kind, value)
    twice = mask(kind, once)
    assert twice == once
    # Nothing is revealed that the first mask had hidden, nor beyond the rule.
    assert len(_revealed(twice)) <= len(_revealed(once)) <= len(_revealed(value or ""))
    if kind in REVEAL_LIMIT:
        assert len(_revealed(once or "")) <= REVEAL_LIMIT[kind]
    if kind == "email":
        domain = value.rpartition("@")[2]
        assert len(_revealed(once)) <= 1 + len(_revealed(domain))


@HYPOTHESIS
@given(st.emails())
def test_email_keeps_domain_and_first_character(address):
    masked = mask_email(address)
    local, _, domain = address.rpartition("@")
    assert masked.endswith("***@" + domain)
    assert len(masked) - len(domain) <= 5
    if len(local) == 1:
        assert masked == "***@" + domain


@HYPOTHESIS
@given(st.text(CJK | st.sampled_from("路号0123456789"), min_size=1, max_size=20))
def test_address_keeps_a_prefix(address):
    masked = mask_address(address)
    if masked != address:
        assert masked.endswith("****")
        assert address.startswith(masked[:-4])
