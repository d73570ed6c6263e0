"""统一社会信用代码 (GB 32100-2015): a pure check of the format and the 18th check character."""

from __future__ import annotations

from typing import Any

from xiaobao.lib.errors import lazy_text

# The 31 characters of the code; I, O, Z, S and V are never used.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
# Weight of position i is 3**i mod 31.
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def normalise(code: str) -> str:
    """Upper case, no surrounding or inner spaces (codes are often copied with spaces)."""
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> Any:
    """Why `code` is not a valid unified social credit code (a message shown in the reader's
    language), or None when it is."""
    if len(code) != 18:
        return lazy_text("统一社会信用代码应为18位。")
    bad = [c for c in code if c not in VALUES]
    if bad:
        return lazy_text(
            "统一社会信用代码含有不允许的字符“%(char)s”（不使用I、O、Z、S、V）。", {"char": bad[0]}
        )
    if not code[2:8].isdigit():
        return lazy_text("统一社会信用代码第3至8位应为行政区划代码（数字）。")
    if check_character(code[:17]) != code[17]:
        return lazy_text("统一社会信用代码校验位不正确，请核对。")
    return None
