"""Cleaning one cell: text, digits, moments and amounts as Chinese offices write them.

Pure functions with no model imports. Full-width characters (`１３９`, `２０１９／２／３`) are
folded by NFKC; Chinese numerals in dates (`二〇一九年二月三日`, `十二月三十一日`) become digits;
`上午/下午/晚上` decide the half of the day; Excel keeps dates as serial numbers and phone numbers
as floats, and both are read back as what the office typed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from xiaobao.deadlines.engine import TZ


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps reference and phone numbers as floats
    return None


_BLANKS = re.compile(r"[ \t\u3000\xa0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def text(value: Any) -> str:
    """Multi-line text: trim the padding around it, keep paragraphs, drop stray tabs."""
    if value is None:
        return ""
    if not isinstance(value, str):
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        return number_text(value) or str(value)
    lines = [_BLANKS.sub(" ", line).strip() for line in value.splitlines()]
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()


def one_line(value: Any) -> str:
    # `text` only trims and folds whitespace, which this folds anyway: no need to call it first.
    return " ".join((value if isinstance(value, str) else text(value)).split())


def digits(value: Any) -> str:
    """Numbers people type: full-width digits and letters folded, spaces dropped (１３９ → 139)."""
    return unicodedata.normalize("NFKC", one_line(value)).replace(" ", "")


# --- Chinese numerals ----------------------------------------------------------------------------

_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_RUN = re.compile("[〇○零一二两三四五六七八九十]+")


def _cn_number(run: str) -> str:
    """二〇一九 → 2019 (digit by digit); 十二 → 12, 二十三 → 23, 三十 → 30 (with 十)."""
    if "十" not in run:
        return "".join(str(_CN_DIGITS[c]) for c in run)
    tens, _sep, ones = run.partition("十")
    value = (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return str(value)


def cn_numerals(value: str) -> str:
    return _CN_RUN.sub(lambda m: _cn_number(m.group()), value)


# --- moments -------------------------------------------------------------------------------------

_MOMENT = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?: +(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?| +(\d{1,2}))?"
    r" *(Z|[+-]\d{2}:?\d{2})?$"
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_HALF_PAST = re.compile(r"(\d)点半")
_SPACE_RUN = re.compile(r"\s+")
_TRAILING_COLON = re.compile(r"(\d):(?= |$)")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_AMOUNT_NOISE = re.compile(r"[,¥￥\s]|元$|人民币")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_AFTERNOON = ("下午", "晚上", "傍晚", "夜间", "晚间", "PM", "pm")
_MORNING = ("上午", "早上", "早晨", "凌晨", "清晨", "AM", "am")
_NOON = ("中午",)
DATE_HELP = (
    "2019/2/28 11:25:05、2019-02-28T11:25、2019年2月3日 下午3时、二〇一九年二月三日、Excel 日期"
)


def parse_moment(value: Any) -> tuple[datetime, bool] | None:
    """(aware moment, date only?) or None if blank; raises ValueError if not a date."""
    if blank(value):
        return None
    if isinstance(value, datetime):
        moment = value
        only_date = False
    elif isinstance(value, date):
        moment, only_date = datetime.combine(value, time()), True
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment, only_date = _excel_serial(float(value))
    else:
        cleaned = unicodedata.normalize("NFKC", str(value)).strip()
        if _SERIAL.fullmatch(cleaned):
            moment, only_date = _excel_serial(float(cleaned))
        else:
            moment, only_date = _parse_text(cleaned)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=TZ)
    return moment, only_date


def _excel_serial(serial: float) -> tuple[datetime, bool]:
    if not 20000 <= serial <= 80000:  # 1954 … 2119: anything else is not a date
        raise ValueError(serial)
    moment = _EXCEL_EPOCH + timedelta(days=serial)
    moment = moment.replace(microsecond=0)
    return moment, serial.is_integer()


def _parse_text(raw: str) -> tuple[datetime, bool]:
    value = cn_numerals(raw)
    half = ""
    for words, name in ((_AFTERNOON, "pm"), (_MORNING, "am"), (_NOON, "noon")):
        for word in words:
            if word in value:
                half = name
                value = value.replace(word, " ")
    value = _HALF_PAST.sub(r"\1:30", value)
    value = (
        value.replace("年", "-")
        .replace("月", "-")
        .replace("日", " ")
        .replace("号", " ")
        .replace("时", ":")
        .replace("点", ":")
        .replace("分", ":")
        .replace("秒", "")
        .replace("T", " ")
        .replace("/", "-")
        .replace(".", "-", 2)
    )
    value = _SPACE_RUN.sub(" ", value).strip().rstrip(":")
    value = _TRAILING_COLON.sub(r"\1", value)
    compact = _COMPACT_DATE.fullmatch(value)
    if compact:
        value = "-".join(compact.groups())
    match = _MOMENT.match(value)
    if not match:
        raise ValueError(raw)
    y, mo, d, h, mi, s, bare_hour, zone = match.groups()
    hour = int(h or bare_hour or 0)
    if (half == "pm" and hour < 12) or (half == "noon" and hour < 3):
        hour += 12
    moment = datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0))
    if zone:
        zone = "+00:00" if zone == "Z" else zone
        moment = datetime.fromisoformat(f"{moment.isoformat()}{zone}")
    return moment, h is None and bare_hour is None


def parse_amount(value: Any) -> Decimal | None:
    if blank(value):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    cleaned = unicodedata.normalize("NFKC", str(value)).strip()
    cleaned = _AMOUNT_NOISE.sub("", cleaned)
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(value) from None
