"""Find and mask personal data in free text (complaint narratives, notes, replies).

Chinese text has no word boundaries, so every pattern is fenced by "no ASCII letter or digit on
either side" instead of ``\\b``; a number glued to other digits or letters is never personal data.
Candidates are validated (ID checksum and date, Luhn) before they count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from xiaobao.privacy.masking import mask

# 1:1 fold of full-width ASCII (U+FF01..FF5E) and the ideographic space: same offsets, so matches
# found in the folded text index the original.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Whether a text has anything to fold (translate looks up every character of the text).
_WIDE = re.compile("[\uff01-\uff5e\u3000]")

# Not after/before an ASCII alphanumeric, nor inside a decimal such as 3.13812345678.
_L = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_R = r"(?![0-9A-Za-z])(?!\.[0-9])"

_ID18 = re.compile(_L + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx]" + _R)
# Written in groups: "110105 19491231 002X" or "110105-19491231-002X".
_ID18_GROUPED = re.compile(
    _L
    + r"[1-9][0-9]{5}(?P<s>[ -])(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9](?P=s)[0-9]{3}[0-9Xx]"
    + _R
)
# Chinese passports: E + 8 digits, E + letter + 7 digits, or the older G/D/S/P + 8 digits.
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])(?:[EGDSP][0-9]{8}|E[A-HJ-NP-Z][0-9]{7})(?![0-9A-Za-z])")
# A street address: road name, road word, house number, then building / unit / room if given.
# The province, city and district before it stay readable (as the address mask keeps them).
_ADDRESS = re.compile(
    r"[^\W\d_a-zA-Z省市区县路街道巷弄号]{1,8}(?:路|街|大道|巷|弄|胡同)"
    r"[0-9一二三四五六七八九十]{1,5}号"
    r"(?:[0-9A-Za-z一二三四五六七八九十-]{1,6}(?:号楼|栋|幢|座|单元|楼|层|室))*"
)
_ID15 = re.compile(_L + r"[1-9][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}" + _R)
_MOBILE = re.compile(
    _L + r"(?:(?:\+|00)86[ -]?|86[ -]?)?1[3-9][0-9](?P<s>[ -]?)[0-9]{4}(?P=s)[0-9]{4}" + _R
)
_LANDLINE = re.compile(
    _L + r"(?:(?:010|02[0-9]|0[3-9][0-9]{2})[ -]|\((?:010|02[0-9]|0[3-9][0-9]{2})\) ?)"
    r"[2-9][0-9]{6,7}" + _R
)
_CARD = re.compile(
    _L
    + r"(?:[0-9]{16,19}|[0-9]{4}(?P<s>[ -])[0-9]{4}(?:(?P=s)[0-9]{4}){2}(?:(?P=s)[0-9]{1,3})?)"
    + _R
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)

# Necessary conditions, checked once per text so that most texts skip most patterns (each scan
# costs as much as the text is long). Every number pattern above holds seven ASCII digits in a
# row (a landline's number, a passport's digits, an ID or card or unbroken mobile) or four, a
# space or hyphen, and four (a mobile or card written in groups); every e-mail holds "@"; every
# street address holds a road word, a house number and 号.
_NUMBER_GATE = re.compile(r"[0-9]{7}|[0-9]{4}[ -][0-9]{4}")
_ADDRESS_GATE = re.compile(r"(?:路|街|大道|巷|弄|胡同)[0-9一二三四五六七八九十]{1,5}号")

# First two digits of a resident ID: the province-level division (GB/T 2260), plus 71/81/82/83
# for Taiwan, Hong Kong and Macau residents' permits and 91 used on some foreigners' cards.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
)
_GROUPING = re.compile(r"[ -]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # a masking kind: "id_number", "phone", "card", "email", "passport", "address"
    start: int
    end: int
    value: str  # the original text[start:end]


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_id_number(value: str) -> bool:
    """An 18-character ID with a valid date and checksum, or a 15-digit old ID (no checksum) with a
    valid 19xx date and a known province code."""
    v = value.translate(_FULLWIDTH).upper()
    if len(v) == 18 and v[:17].isascii() and v[:17].isdigit():
        return (
            _valid_date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
            and id_check_char(v[:17]) == v[17]
        )
    if len(v) == 15 and v.isascii() and v.isdigit():
        return int(v[:2]) in PROVINCE_CODES and _valid_date(
            1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])
        )
    return False


def is_id_shaped(value: str) -> bool:
    """18 characters with a known province and a real birth date: an ID number even when its
    check character is wrong (a typo still identifies the person)."""
    v = _GROUPING.sub("", value.translate(_FULLWIDTH)).upper()
    if len(v) != 18 or not v[:17].isascii() or not v[:17].isdigit():
        return False
    return int(v[:2]) in PROVINCE_CODES and _valid_date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def luhn_valid(digits: str) -> bool:
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _id18_valid(value: str) -> bool:
    return is_valid_id_number(value) or is_id_shaped(value)


def _card_valid(value: str) -> bool:
    return luhn_valid(_GROUPING.sub("", value))


def find_personal_data(text: str) -> list[Match]:
    """Non-overlapping personal data in `text`, in order of position."""
    if not text:
        return []
    folded = text.translate(_FULLWIDTH) if _WIDE.search(text) else text
    # Listed by precedence: on the same start the longer candidate wins, on a tie the earlier kind
    # (so an 18-digit valid ID is not also reported as a Luhn-valid card).
    candidates: list[tuple[int, int, int, str]] = []

    def add(
        pattern: re.Pattern[str], kind: str, rank: int, valid: Callable[[str], bool] | None = None
    ) -> None:
        for m in pattern.finditer(folded):
            if valid is None or valid(m.group()):
                candidates.append((m.start(), -(m.end() - m.start()), rank, kind))

    if "@" in folded:
        add(_EMAIL, "email", 0)
    if _NUMBER_GATE.search(folded):
        add(_ID18, "id_number", 1, _id18_valid)
        add(_ID18_GROUPED, "id_number", 1, is_id_shaped)
        add(_ID15, "id_number", 2, is_valid_id_number)
        add(_CARD, "card", 3, _card_valid)
        add(_MOBILE, "phone", 4)
        add(_LANDLINE, "phone", 5)
        add(_PASSPORT, "passport", 6)
    if _ADDRESS_GATE.search(folded):
        add(_ADDRESS, "address", 7)

    found: list[Match] = []
    end = 0
    for start, neg_len, _rank, kind in sorted(candidates):
        if start >= end:
            end = start - neg_len
            found.append(Match(kind, start, end, text[start:end]))
    return found


def redact(text: str) -> str:
    """`text` with every personal datum replaced by its default mask."""
    parts: list[str] = []
    pos = 0
    for m in find_personal_data(text):
        parts += [text[pos : m.start], mask(m.kind, m.value)]
        pos = m.end
    return "".join(parts) + text[pos:] if parts else text
