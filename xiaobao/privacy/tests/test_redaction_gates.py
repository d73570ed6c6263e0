"""`find_personal_data` skips the patterns a text cannot match (its gates): the same spans as
scanning every text with every pattern, on texts made of the pieces personal data is made of."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.privacy import redaction as r
from xiaobao.privacy.redaction import Match, find_personal_data, id_check_char

VALID_ID = "11010519491231002X"
PIECES = [
    *"0123456789",
    *"０１２３４５６７８９",
    " ",
    "-",
    ".",
    "(",
    ")",
    "+86",
    "0086 ",
    "@",
    "a",
    "E",
    "X",
    "Ｘ",
    "　",
    "路",
    "大道",
    "胡同",
    "号",
    "号楼",
    "单元",
    "室",
    "十二",
    "三",
    "中山",
    "本人",
    "于",
    "年",
    "\n",
    VALID_ID,
    "110105 19491231 002X",
    "13812345678",
    "138 1234 5678",
    "0571-87654321",
    "(010) 62345678",
    "6222021234567890128",
    "4111 1111 1111 1111",
    "E12345678",
    "EA1234567",
    "zhang.san@example.com",
    "解放路12号3栋2单元501室",
    "110105491231002",
    "440305199003071" + "23" + id_check_char("44030519900307123"),
]


def _every_pattern(text: str) -> list[Match]:
    """The scan before the gates: every pattern over every text."""
    if not text:
        return []
    folded = text.translate(r._FULLWIDTH)
    candidates: list[tuple[int, int, int, str]] = []
    for pattern, kind, rank, valid in (
        (r._EMAIL, "email", 0, None),
        (r._ID18, "id_number", 1, lambda s: r.is_valid_id_number(s) or r.is_id_shaped(s)),
        (r._ID18_GROUPED, "id_number", 1, r.is_id_shaped),
        (r._ID15, "id_number", 2, r.is_valid_id_number),
        (r._CARD, "card", 3, lambda s: r.luhn_valid(re.sub(r"[ -]", "", s))),
        (r._MOBILE, "phone", 4, None),
        (r._LANDLINE, "phone", 5, None),
        (r._PASSPORT, "passport", 6, None),
        (r._ADDRESS, "address", 7, None),
    ):
        for m in pattern.finditer(folded):
            if valid is None or valid(m.group()):
                candidates.append((m.start(), -(m.end() - m.start()), rank, kind))
    found: list[Match] = []
    end = 0
    for start, neg_len, _rank, kind in sorted(candidates):
        if start >= end:
            end = start - neg_len
            found.append(Match(kind, start, end, text[start:end]))
    return found


@settings(deadline=None, max_examples=3000)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_same_spans_as_scanning_every_pattern(text: str) -> None:
    assert find_personal_data(text) == _every_pattern(text)


@settings(deadline=None, max_examples=1000)
@given(st.text(alphabet="0123456789 -@.a号路十", max_size=40))
def test_same_spans_on_digit_soup(text: str) -> None:
    assert find_personal_data(text) == _every_pattern(text)


def test_texts_the_gates_pass_or_stop() -> None:
    for text in [
        "本人于2026年10月10日办理，金额50000元。",  # no number, no address, no e-mail
        "电话 138 1234 5678，住解放路12号",
        "卡号 4111-1111-1111-1111",
        "护照 EA1234567",
        "座机 0571-8765432",
        "邮箱 a@b.cn",
        "１３８１２３４５６７８",
    ]:
        assert find_personal_data(text) == _every_pattern(text)
    assert find_personal_data("电话 138 1234 5678，住解放路12号")


def test_the_full_width_check_finds_exactly_what_folding_changes() -> None:
    changed = [
        cp
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000 and chr(cp).translate(r._FULLWIDTH) != chr(cp)
    ]
    wide = [cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000 and r._WIDE.search(chr(cp))]
    assert changed == wide and len(changed) == 95
