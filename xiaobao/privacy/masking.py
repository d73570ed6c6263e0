"""Default masks for personal data, shown wherever the viewer lacks the unmask permission.

Rules (domain.md, PIPL): ID number first 6 + last 4, phone first 3 + last 4, bank card first 6 +
last 4; one ``*`` per hidden character. Separators (spaces, hyphens, brackets) stay for readability.
A value too short to keep both ends with at least `_MIN_HIDDEN` characters hidden is masked whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

_V = TypeVar("_V", str, None)

_MIN_HIDDEN = 4
# 1:1 fold of full-width ASCII so prefix checks work on Chinese input without shifting positions.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "轩辕",
        "澹台",
        "公冶",
        "申屠",
        "太史",
        "闻人",
        "万俟",
        "呼延",
        "赫连",
        "拓跋",
        "钟离",
        "司空",
        "歐陽",
        "司馬",
        "諸葛",
        "長孫",
        "東方",
        "尉遲",
        "公孫",
        "軒轅",
        "鍾離",
    }
)
_NAME_SEPARATORS = frozenset(" ·•・")


def _significant(ch: str) -> bool:
    # "*" counts, so re-masking an already masked value keeps its shape (masking is idempotent).
    return ch.isalnum() or ch == "*"


def _keep_ends(value: str, first: int, last: int, significant: Callable[[str], bool]) -> str:
    """Mask the significant characters between the first `first` and last `last` of them."""
    positions = [i for i, ch in enumerate(value) if significant(ch)]
    hide_all = len(positions) - first - last < _MIN_HIDDEN
    hidden = set(positions) if hide_all else set(positions[first : len(positions) - last])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_id_number(value: _V) -> _V:
    """``110101199003071234`` → ``110101********1234``."""
    if not value:
        return value
    return _keep_ends(value, 6, 4, _significant)


def mask_card(value: _V) -> _V:
    """``6222021234567890128`` → ``622202*********0128``; group spaces are kept."""
    if not value:
        return value
    return _keep_ends(value, 6, 4, _significant)


_COUNTRY_CODE = re.compile(r"\s*(?:\+|00)?86[\s-]?(?=1[0-9]{2}[\s-]?[0-9]{4}[\s-]?[0-9]{4}\s*$)")


def mask_phone(value: _V) -> _V:
    """``13812345678`` → ``138****5678``; ``010-12345678`` → ``010-****5678``; +86 is kept."""
    if not value:
        return value
    prefix = _COUNTRY_CODE.match(value.translate(_FULLWIDTH))
    cut = prefix.end() if prefix else 0
    return value[:cut] + _keep_ends(value[cut:], 3, 4, _significant)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch >= "\U00020000"


def mask_name(value: _V) -> _V:
    """Keep the surname: ``张三丰`` → ``张**``, ``欧阳修`` → ``欧阳*``, ``Zhang San`` → ``Z***``."""
    if not value:
        return value
    name = value.strip()
    if not name:
        return value
    if len(name) > 1 and all(ch == "*" or ch in _NAME_SEPARATORS for ch in name[1:]):
        return name  # already masked: "张*", "Z***"
    if set(name) == {"*"}:
        return name
    if not any(_is_cjk(ch) for ch in name):
        # Fixed-width mask: a Latin name's length and given names reveal too much.
        return name[0] + "***"
    # "欧阳" alone is more likely surname 欧 + given name 阳 than a bare compound surname.
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    if len(name) <= keep:
        return "*" * len(name)
    return name[:keep] + "".join(ch if ch in _NAME_SEPARATORS else "*" for ch in name[keep:])


def mask_email(value: _V) -> _V:
    """``zhangsan@example.com`` → ``z***@example.com``."""
    if not value:
        return value
    local, at, domain = value.strip().rpartition("@")
    if not at:
        return "***"
    # A one-character local part would be revealed whole by keeping its first character; an
    # already masked one ("***") stays as it is.
    return (local[0] if len(local) > 1 and local[0] != "*" else "") + "***@" + domain


_MUNICIPALITY = re.compile(r"(?:北京|上海|天津|重庆)市?|(?:香港|澳门)(?:特别行政区)?")
_PROVINCE = re.compile(r"[\u4e00-\u9fff]{2,3}?省|[\u4e00-\u9fff]{2,8}?自治区")
# Unit names: CJK only, no street/village words and no 区/县 inside, so that "建国路华联超市" or
# "朝阳区华联超市" never passes for a city named by its 市.
_UNIT_CHAR = r"[^\W\d_a-zA-Z路街道巷弄号楼室村镇乡区县]"
_CITY = re.compile(_UNIT_CHAR + r"{1,10}?(?:市|自治州|地区|盟)")
_DISTRICT = re.compile(_UNIT_CHAR + r"{1,10}?[区县市]")


def mask_address(value: _V) -> _V:
    """Keep province, city and district: ``广东省深圳市南山区科技园路1号`` → ``广东省深圳市南山区****``,
    ``北京市朝阳区建国路88号`` → ``北京市朝阳区****``; whatever is not recognised is masked."""
    if not value:
        return value
    text = value.strip()
    levels: tuple[re.Pattern[str], ...]
    top = _MUNICIPALITY.match(text)
    if top:
        levels = (_DISTRICT,)  # a municipality has districts directly
    else:
        top = _PROVINCE.match(text)
        levels = (_CITY, _DISTRICT)
    kept = top.end() if top else 0
    for level in levels:
        unit = level.match(text, kept)
        if unit:
            kept = unit.end()
    return text[:kept] + "****" if kept < len(text) else text


def mask_passport(value: _V) -> _V:
    """Keep the first letter and the last two digits: ``E12345678`` → ``E******78``."""
    if not value or len(value) < 4:
        return "*" * len(value) if value else value
    return value[0] + "*" * (len(value) - 3) + value[-2:]


MASKERS: dict[str, Callable[[str], str]] = {
    "passport": mask_passport,
    "id_number": mask_id_number,
    "phone": mask_phone,
    "card": mask_card,
    "name": mask_name,
    "email": mask_email,
    "address": mask_address,
}


def mask(kind: str, value: _V) -> _V:
    """Mask `value` by kind (one of `MASKERS`); unknown kinds raise so typos are not silent."""
    try:
        masker = MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown personal-data kind {kind!r}") from None
    return masker(value) if value else value
