"""Bulk import of complaints from CSV and Excel files (referral lists, historical ledgers).

Real files are messy: GB18030 or UTF-8 (with or without BOM), fields with embedded newlines and
tabs, dates as ``2019/2/28 11:25:05``, ISO, ``2019年2月28日`` or Excel date cells, sheets that declare
65,000 rows but hold 500. Rows are read one at a time (CSV reader, openpyxl read-only), so a
100,000-row file never sits in memory.

The import is all or nothing: every row goes through the lifecycle services inside one
transaction (each row in its own savepoint, so one bad row does not hide the next one's errors);
the cases get their registry numbers only at the end, just before the commit, so that other
registrations of the same year are not held up behind the import's lock on the year's sequence,
and the whole import runs on the deadline policies, calendar, taxonomy and webhook subscriptions
as they stood when it started (`lib.memo`: read once, not once a row);
if any row fails, or `strict` and any row has a warning, or it is a dry run, the transaction is
rolled back and the result lists every problem with its row number and column. A row whose
external reference was already imported through the same channel is skipped, so importing the
same file twice registers nothing new.

Historical cases that were already answered (a decision text and a decision time) are registered,
accepted, decided and notified with `lib.clock.replay`, so that their events carry the real times.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from django.db import connection, transaction
from django.utils import timezone

from xiaobao.complaints import services
from xiaobao.complaints.choices import (
    Axis,
    Kind,
    NoticeMethod,
    Outcome,
    Route,
)
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import memo
from xiaobao.lib.clock import replay
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import Unit, User
from xiaobao.privacy.masking import mask, mask_name

# Narratives can be long; the csv module's default cap (128 KiB per field) is not a real limit.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

IMPORTER_USERNAME = "importer"
TITLE_MAX = 120
REF_MAX = 64
SEPARATORS = re.compile(r"[,，;；、|/\s]+")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    help: str = ""


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("external_ref", "外部编号/转办编号", "与投诉渠道一起用于识别重复导入"),
    FieldSpec("title", "投诉标题", "为空时取投诉内容前30字（警告）"),
    FieldSpec("narrative", "投诉事实与理由", "必填"),
    FieldSpec(
        "received_at", "接收时间", "必填；如 2019/2/28 11:25:05、2019-02-28T11:25:05、Excel 日期"
    ),
    FieldSpec("complainant_name", "投诉人姓名", "必填"),
    FieldSpec("complainant_phone", "投诉人联系电话", "电话、地址、邮箱至少一项"),
    FieldSpec("complainant_id_number", "投诉人证件号码"),
    FieldSpec("complainant_address", "投诉人联系地址"),
    FieldSpec("complainant_email", "投诉人电子邮箱"),
    FieldSpec("unit", "责任机构（代码或名称）", "或用 --unit 统一指定"),
    FieldSpec("channel", "投诉渠道（代码或名称，如 R12345 或 12345）", "或用 --channel 统一指定"),
    FieldSpec("referrer_received_on", "转办方受理日期", "转办渠道缺省按接收日期（警告）"),
    FieldSpec("complained_staff_name", "被投诉人员"),
    FieldSpec("demands", "诉求（代码或名称，可用顿号、逗号分隔多个）"),
    FieldSpec("demand_text", "诉求说明"),
    FieldSpec("amount", "涉及金额（元）"),
    FieldSpec("business_channel", "业务办理渠道（代码或名称）"),
    FieldSpec("business_category", "业务类别（代码或名称）"),
    FieldSpec("cause", "投诉原因（代码或名称）"),
    FieldSpec("level", "处理级别（代码或名称）", "缺省为普通"),
    FieldSpec("tags", "敏感标签（代码或名称，可多个）"),
    FieldSpec("decision_text", "答复内容", "与 decided_at 一起表示已答复的历史投诉"),
    FieldSpec("decided_at", "决定时间"),
    FieldSpec("outcome", "处理结果（诉求成立/部分成立/诉求不成立）", "历史投诉必填"),
    FieldSpec("notified_at", "告知时间", "缺省同决定时间"),
    FieldSpec(
        "notice_method",
        "告知方式（书面函件/短信/电子邮件/电话/当面告知）",
        "缺省为书面函件（警告）",
    ),
)
FIELDS = {spec.name: spec for spec in FIELD_SPECS}
REQUIRED = ("title", "narrative", "received_at", "complainant_name")

# Service errors name their own fields; this says which import field (and so column) to blame.
SERVICE_FIELDS = {
    "intake_channel": "channel",
    "complainants": "complainant_name",
    "complainants.0.name": "complainant_name",
    "complainants.0.phone": "complainant_phone",
    "complainants.0.id_number": "complainant_id_number",
    "complainants.0.email": "complainant_email",
    "complainants.0.address": "complainant_address",
    "verified_facts": "decision_text",
    "reasons": "decision_text",
    "given_at": "notified_at",
    "method": "notice_method",
    "handler": "unit",
}

OUTCOME_WORDS = {
    "成立": Outcome.UPHELD,
    "诉求成立": Outcome.UPHELD,
    "支持": Outcome.UPHELD,
    "部分成立": Outcome.PARTLY_UPHELD,
    "部分支持": Outcome.PARTLY_UPHELD,
    "不成立": Outcome.NOT_UPHELD,
    "诉求不成立": Outcome.NOT_UPHELD,
    "不支持": Outcome.NOT_UPHELD,
}
NOTICE_WORDS = {
    "信函": NoticeMethod.LETTER,
    "书面": NoticeMethod.LETTER,
    "邮寄": NoticeMethod.LETTER,
    "邮件": NoticeMethod.EMAIL,
    "电邮": NoticeMethod.EMAIL,
    "电话": NoticeMethod.PHONE,
    "当面": NoticeMethod.IN_PERSON,
    "现场": NoticeMethod.IN_PERSON,
}


class ImportFileError(Exception):
    """The file or the mapping cannot be used at all (nothing was read row by row)."""


@dataclass(frozen=True)
class Issue:
    row: int
    column: str
    field: str
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        col = f"［{self.column}］" if self.column else ""
        kind = "警告" if self.severity == "warning" else "错误"
        return f"{where}{col}{kind}：{self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    historical: int = 0
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    first_numbers: list[str] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    committed: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.errors or (self.strict and self.warnings))

    def issues(self) -> list[Issue]:
        return sorted([*self.errors, *self.warnings], key=lambda i: (i.row, i.severity, i.column))

    def report_rows(self) -> Iterator[list[str]]:
        """The downloadable error report: one line per problem, then the skipped duplicates."""
        yield ["行号", "列", "字段", "级别", "说明"]
        for issue in self.issues():
            strict_error = self.strict and issue.severity == "warning"
            level = (
                "错误（严格模式）"
                if strict_error
                else ("警告" if issue.severity == "warning" else "错误")
            )
            yield [str(issue.row or ""), issue.column, issue.field, level, issue.message]
        for row, ref in self.duplicates:
            yield [
                str(row),
                "",
                "external_ref",
                "跳过",
                f"外部编号“{ref}”已导入过，跳过（不重复登记）。",
            ]


# --- reading files -------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030 (⊃ GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 16):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError("无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV。")


def _delimiter(handle: TextIO) -> str:
    first = handle.readline()
    handle.seek(0)
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class Table:
    """A header and a stream of (row number, values); row numbers are what a spreadsheet shows."""

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path = path
        self.sheet = sheet
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self.kind = "xlsx"
        elif suffix in (".csv", ".txt", ".tsv"):
            self.kind = "csv"
        elif suffix == ".xls":
            raise ImportFileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv。")
        else:
            raise ImportFileError("只支持 .csv 和 .xlsx 文件。")
        self.encoding = detect_encoding(path) if self.kind == "csv" else ""
        self.header_row, self.headers = self._header()

    def _raw(self) -> Iterator[tuple[int, list[Any]]]:
        if self.kind == "csv":
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=_delimiter(handle))
                for number, values in enumerate(reader, start=1):
                    yield number, values
            return
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise ImportFileError(f"无法打开 Excel 文件：{exc}") from exc
        try:
            if self.sheet:
                if self.sheet not in book.sheetnames:
                    raise ImportFileError(
                        f"工作表“{self.sheet}”不存在；文件中的工作表：{'、'.join(book.sheetnames)}。"
                    )
                sheet = book[self.sheet]
            else:
                sheet = book.worksheets[0]
            # Read-only sheets fill gaps with empty rows, so enumerate gives the real row number.
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                yield number, list(values)
        finally:
            book.close()

    def _header(self) -> tuple[int, list[str]]:
        for number, values in self._raw():
            if any(_blank(v) is False for v in values):
                headers = [_one_line(v) for v in values]
                while headers and not headers[-1]:
                    headers.pop()
                return number, headers
        raise ImportFileError("文件中没有数据（找不到表头行）。")

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        for number, values in self._raw():
            if number <= self.header_row or all(_blank(v) for v in values):
                continue  # sheets often declare tens of thousands of empty rows
            yield number, values


# --- cleaning values -----------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps reference and phone numbers as floats
    return None


def _text(value: Any) -> str:
    """Multi-line text: trim the padding around it, keep paragraphs, drop stray tabs."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return _number_text(value) or str(value)
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in value.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", _text(value)).strip()


_MOMENT = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?: +(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?"
    r" *(Z|[+-]\d{2}:?\d{2})?$"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_moment(value: Any) -> tuple[datetime, bool] | None:
    """(aware moment, date only?) or None if blank; raises ValueError if not a date."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        moment = value
        only_date = False
    elif isinstance(value, date):
        moment, only_date = datetime.combine(value, time()), True
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment, only_date = _excel_serial(float(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
            moment, only_date = _excel_serial(float(text))
        else:
            moment, only_date = _parse_text(text)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=TZ)
    return moment, only_date


def _excel_serial(serial: float) -> tuple[datetime, bool]:
    if not 20000 <= serial <= 80000:  # 1954 … 2119: anything else is not a date
        raise ValueError(serial)
    moment = _EXCEL_EPOCH + timedelta(days=serial)
    moment = moment.replace(microsecond=0)
    return moment, serial.is_integer()


def _parse_text(text: str) -> tuple[datetime, bool]:
    text = (
        text.replace("年", "-")
        .replace("月", "-")
        .replace("日", " ")
        .replace("时", ":")
        .replace("分", ":")
        .replace("秒", "")
        .replace("T", " ")
        .replace("/", "-")
        .replace(".", "-", 2)
    )
    text = re.sub(r"\s+", " ", text).strip().rstrip(":")
    text = re.sub(r"(\d):(?= |$)", r"\1", text)
    compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if compact:
        text = "-".join(compact.groups())
    match = _MOMENT.match(text)
    if not match:
        raise ValueError(text)
    y, mo, d, h, mi, s, zone = match.groups()
    moment = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    if zone:
        zone = "+00:00" if zone == "Z" else zone
        moment = datetime.fromisoformat(f"{moment.isoformat()}{zone}")
    return moment, h is None


def parse_amount(value: Any) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"[,¥￥\s]|元$|人民币", "", text)
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(value) from None


# --- lookups -------------------------------------------------------------------------------------


class Lookups:
    """Codes and names resolved once per import, not once per row."""

    def __init__(self) -> None:
        self._terms: dict[tuple[str, str], TaxonomyTerm | None] = {}
        self._units: dict[str, Unit | None] = {}

    def term(self, axis: Axis, value: str) -> TaxonomyTerm | None:
        key = (axis, value.strip().upper())
        if key not in self._terms:
            qs = TaxonomyTerm.objects.filter(axis=axis)
            found = (
                qs.filter(code__iexact=value.strip()).first()
                or qs.filter(name=value.strip()).first()
            )
            if found is None and axis == Axis.INTAKE_CHANNEL and value.strip().isdigit():
                found = qs.filter(code=f"R{value.strip()}").first()  # "12345" → R12345
            self._terms[key] = found
        return self._terms[key]

    def unit(self, value: str) -> Unit | None:
        key = value.strip()
        if key not in self._units:
            found = Unit.objects.filter(code=key).first()
            if found is None:
                named = list(Unit.objects.filter(name=key)[:2]) or list(
                    Unit.objects.filter(short_name=key)[:2]
                )
                found = named[0] if len(named) == 1 else None
            self._units[key] = found
        return self._units[key]


# --- the importer --------------------------------------------------------------------------------


@dataclass
class Row:
    """One row, parsed: what the services will be called with."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


def importer_user() -> User:
    """The system account that command-line imports act as (head office, may register and answer)."""
    from django.contrib.auth.models import Permission

    from xiaobao.organisation import services as org_services

    user = User.objects.filter(username=IMPORTER_USERNAME).first()
    if user is None:
        root = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
        if root is None:
            raise ImportFileError("请先建立总行机构。")
        user = org_services.user_create(
            actor=None,
            username=IMPORTER_USERNAME,
            password=None,  # cannot log in: it only ever acts through this importer
            unit=root,
            display_name="批量导入（系统）",
            is_staff=False,
        )
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="complaints",
                codename__in=["add_complaint", "handle_complaint", "view_complaint"],
            )
        )
        user = User.objects.get(pk=user.pk)  # fresh permission cache
    return user


class Importer:
    def __init__(
        self,
        *,
        actor: User,
        table: Table,
        mapping: dict[str, str],
        channel: str | None,
        unit: str | None,
        source_name: str,
    ) -> None:
        self.actor = actor
        self.table = table
        self.source_name = source_name
        self.lookups = Lookups()
        self.columns = self._columns(mapping)
        self.default_channel = self._default(channel, "channel")
        self.default_unit = self._default(unit, "unit")
        missing = [f for f in REQUIRED if f not in self.columns]
        if "unit" not in self.columns and self.default_unit is None:
            missing.append("unit")
        if "channel" not in self.columns and self.default_channel is None:
            missing.append("channel")
        if missing:
            names = "、".join(f"{m}（{FIELDS[m].label}）" for m in missing)
            raise ImportFileError(f"缺少必需的列映射：{names}。请用 --map 字段=列名 指定。")
        if not actor.has_perm("complaints.add_complaint"):
            raise ImportFileError("该账号没有登记投诉的权限。")
        self.defaults = {
            "level": self.lookups.term(Axis.LEVEL, "NORMAL"),
            "other_channel": self.lookups.term(Axis.BUSINESS_CHANNEL, "OTHER"),
            "other_category": self.lookups.term(Axis.BUSINESS_CATEGORY, "OTHER"),
            "other_cause": self.lookups.term(Axis.CAUSE, "OTHER"),
        }

    def _columns(self, mapping: dict[str, str]) -> dict[str, int]:
        headers = self.table.headers
        columns: dict[str, int] = {}
        for name, column in mapping.items():
            if name not in FIELDS:
                raise ImportFileError(f"未知字段“{name}”。可用字段：{'、'.join(FIELDS)}。")
            if column not in headers:
                raise ImportFileError(
                    f"列“{column}”不存在；文件中的列：{'、'.join(h for h in headers if h)}。"
                )
            columns[name] = headers.index(column)
        # A column named exactly like a field needs no mapping.
        lowered = {h.lower(): i for i, h in enumerate(headers)}
        for name in FIELDS:
            if name not in columns and name in lowered:
                columns[name] = lowered[name]
        return columns

    def _default(self, value: str | None, kind: str) -> Any:
        if not value:
            return None
        found = (
            self.lookups.term(Axis.INTAKE_CHANNEL, value)
            if kind == "channel"
            else self.lookups.unit(value)
        )
        if found is None:
            what = "投诉渠道" if kind == "channel" else "机构"
            raise ImportFileError(f"{what}“{value}”不存在。")
        return found

    def column_of(self, name: str) -> str:
        index = self.columns.get(name)
        return self.table.headers[index] if index is not None else ""

    # --- parsing one row ---

    def parse(self, number: int, values: list[Any]) -> Row:
        row = Row(number)

        def cell(name: str) -> Any:
            index = self.columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        def problem(name: str, message: str, severity: str = "error") -> None:
            row.issues.append(Issue(number, self.column_of(name), name, message, severity))

        v = row.values
        for name in ("external_ref", "title", "complainant_name", "complained_staff_name"):
            v[name] = _one_line(cell(name))
        for name in ("complainant_phone", "complainant_id_number", "complainant_email"):
            v[name] = _one_line(cell(name)).replace(" ", "")
        for name in ("narrative", "demand_text", "decision_text", "complainant_address"):
            v[name] = _text(cell(name))

        if not v["narrative"]:
            problem("narrative", "投诉事实与理由为空。")
        if not v["title"] and v["narrative"]:
            v["title"] = _one_line(v["narrative"])[:30]
            problem("title", "标题为空，已取投诉内容前30字作为标题。", "warning")
        elif len(v["title"]) > TITLE_MAX:
            v["title"] = v["title"][:TITLE_MAX]
            problem("title", f"标题超过{TITLE_MAX}字，已截断。", "warning")
        if not v["complainant_name"]:
            problem("complainant_name", "投诉人姓名为空。")
        if len(v["external_ref"]) > REF_MAX:
            problem("external_ref", f"外部编号超过{REF_MAX}个字符。")
        elif not v["external_ref"]:
            problem("external_ref", "没有外部编号，无法识别重复导入。", "warning")

        for name in ("received_at", "decided_at", "notified_at", "referrer_received_on"):
            raw = cell(name)
            try:
                parsed = parse_moment(raw)
            except (ValueError, OverflowError):
                problem(
                    name,
                    f"无法识别的时间“{_one_line(raw)}”（支持 2019/2/28 11:25:05、2019-02-28T11:25:05、2019年2月28日、Excel 日期）。",
                )
                parsed = None
            v[name] = parsed[0] if parsed else None
            if parsed and parsed[1] and name == "received_at":
                problem(name, "接收时间只有日期，按当日0时计。", "warning")
        now = timezone.now()
        if v["received_at"] is None and not any(i.field == "received_at" for i in row.issues):
            problem("received_at", "接收时间为空。")
        for name in ("received_at", "decided_at", "notified_at"):
            if v[name] is not None and v[name] > now:
                problem(name, f"{FIELDS[name].label}晚于当前时间。")

        v["unit"] = self._lookup_unit(cell("unit"), problem)
        v["channel"] = self._lookup_channel(cell("channel"), problem)
        for name, axis in (
            ("business_channel", Axis.BUSINESS_CHANNEL),
            ("business_category", Axis.BUSINESS_CATEGORY),
            ("cause", Axis.CAUSE),
            ("level", Axis.LEVEL),
        ):
            v[name] = self._lookup_term(cell(name), axis, name, problem)
        v["level"] = v["level"] or self.defaults["level"]
        for name, axis in (("demands", Axis.DEMAND), ("tags", Axis.TAG)):
            items = [p for p in SEPARATORS.split(_one_line(cell(name))) if p]
            v[name] = [t for t in (self._lookup_term(p, axis, name, problem) for p in items) if t]
        try:
            v["amount"] = parse_amount(cell("amount"))
        except ValueError:
            problem("amount", f"金额“{_one_line(cell('amount'))}”不是数字。")
            v["amount"] = None

        channel = v["channel"]
        if channel is not None and channel.is_referral:
            if not v["external_ref"]:
                problem("external_ref", f"{channel.name}转办的投诉须有转办编号。")
            if v["referrer_received_on"] is None and v["received_at"] is not None:
                v["referrer_received_on"] = v["received_at"]
                problem("referrer_received_on", "未提供转办方受理日期，按接收日期记录。", "warning")
        if v["referrer_received_on"] is not None:
            v["referrer_received_on"] = v["referrer_received_on"].astimezone(TZ).date()

        self._parse_history(v, cell, problem)
        return row

    def _lookup_unit(self, raw: Any, problem: Any) -> Unit | None:
        text = _one_line(raw)
        if not text:
            if self.default_unit is None:
                problem("unit", "责任机构为空。")
            return self.default_unit
        found = self.lookups.unit(text)
        if found is None:
            problem("unit", f"机构“{text}”不存在（可填机构代码或全称）。")
        return found

    def _lookup_channel(self, raw: Any, problem: Any) -> TaxonomyTerm | None:
        text = _one_line(raw)
        if not text:
            if self.default_channel is None:
                problem("channel", "投诉渠道为空。")
            return self.default_channel
        found = self.lookups.term(Axis.INTAKE_CHANNEL, text)
        if found is None:
            problem("channel", f"投诉渠道“{text}”不存在（可填代码或名称）。")
        return found

    def _lookup_term(self, raw: Any, axis: Axis, name: str, problem: Any) -> TaxonomyTerm | None:
        text = _one_line(raw)
        if not text:
            return None
        found = self.lookups.term(axis, text)
        if found is None:
            problem(name, f"{axis.label}“{text}”不存在（可填代码或名称）。")
        elif not found.is_active:
            problem(name, f"{axis.label}“{found.name}”已停用。")
            return None
        return found

    def _parse_history(self, v: dict[str, Any], cell: Any, problem: Any) -> None:
        has_text, has_time = bool(v["decision_text"]), not _blank(cell("decided_at"))
        v["historical"] = has_text or has_time
        if not v["historical"]:
            return
        if not has_text:
            problem("decision_text", "有决定时间但没有答复内容。")
        if not has_time:
            problem("decided_at", "有答复内容但没有决定时间。")
        outcome = _one_line(cell("outcome"))
        v["outcome"] = outcome if outcome in Outcome.values else OUTCOME_WORDS.get(outcome)
        if not outcome:
            problem("outcome", "已答复的历史投诉须提供处理结果（诉求成立/部分成立/诉求不成立）。")
        elif v["outcome"] is None:
            problem("outcome", f"处理结果“{outcome}”无法识别（诉求成立/部分成立/诉求不成立）。")
        method = _one_line(cell("notice_method"))
        labels = {str(label): value for value, label in NoticeMethod.choices}
        v["notice_method"] = (
            method
            if method in NoticeMethod.values
            else labels.get(method) or NOTICE_WORDS.get(method)
        )
        if not method:
            v["notice_method"] = NoticeMethod.LETTER
            problem("notice_method", "未提供告知方式，按书面函件记录。", "warning")
        elif v["notice_method"] is None:
            problem("notice_method", f"告知方式“{method}”无法识别。")
        if v["notified_at"] is None:
            v["notified_at"] = v["decided_at"]
        for name, other in (("decided_at", "received_at"), ("notified_at", "decided_at")):
            if v[name] is not None and v[other] is not None and v[name] < v[other]:
                problem(name, f"{FIELDS[name].label}早于{FIELDS[other].label}。")
        # The rules require a classification before a decision; an old ledger often has none.
        for name, default in (
            ("business_channel", "other_channel"),
            ("business_category", "other_category"),
            ("cause", "other_cause"),
        ):
            if v[name] is None and _blank(cell(name)):  # an unknown code is already an error
                v[name] = self.defaults[default]
                problem(
                    name,
                    f"已答复的历史投诉未提供{FIELDS[name].label.split('（')[0]}，按“其他”记录。",
                    "warning",
                )

    # --- writing one row ---

    def is_duplicate(self, v: dict[str, Any]) -> bool:
        if not v["external_ref"]:
            return False
        return Complaint.objects.filter(
            kind=Kind.COMPLAINT, intake_channel=v["channel"], external_ref=v["external_ref"]
        ).exists()

    def write(self, row: Row) -> Complaint:
        v = row.values
        person = services.ComplainantData(
            name=v["complainant_name"],
            phone=v["complainant_phone"],
            id_number=v["complainant_id_number"],
            email=v["complainant_email"],
            address=v["complainant_address"],
        )
        register = {
            "actor": self.actor,
            "unit": v["unit"],
            "received_at": v["received_at"],
            "intake_channel": v["channel"],
            "title": v["title"],
            "narrative": v["narrative"],
            "complainants": [person],
            "complained_staff_name": v["complained_staff_name"],
            "demands": v["demands"],
            "demand_text": v["demand_text"],
            "amount": v["amount"],
            "business_channel": v["business_channel"],
            "business_category": v["business_category"],
            "cause": v["cause"],
            "level": v["level"],
            "tags": v["tags"],
            "external_ref": v["external_ref"],
            "referrer_received_on": v["referrer_received_on"],
        }
        if not v["historical"]:
            return services.complaint_register(**register)
        with replay(v["received_at"]):
            complaint = services.complaint_register(**register)
            complaint = services.complaint_accept(
                actor=self.actor, complaint=complaint, handler=self.actor
            )
        with replay(v["decided_at"]):
            services.complaint_decide(
                actor=self.actor,
                complaint=complaint,
                verified_facts=v["decision_text"],
                outcome=v["outcome"],
                basis="历史数据导入（原始记录未单列处理依据）",
                reasons=v["decision_text"],
                routes=[r.value for r in Route],
                text=v["decision_text"],
            )
        with replay(v["notified_at"]):
            services.complaint_notify(
                actor=self.actor,
                complaint=complaint,
                method=v["notice_method"],
                given_at=v["notified_at"],
                evidence=f"批量导入：{self.source_name} 第{row.number}行",
            )
        return complaint

    def issue_for(self, row: Row, exc: DomainError) -> Issue:
        name = SERVICE_FIELDS.get(exc.field or "", exc.field or "")
        name = name if name in FIELDS else ""
        return Issue(row.number, self.column_of(name) if name else "", name, exc.message)

    def preview_of(self, row: Row) -> dict[str, Any]:
        """A row as the preview shows it: personal data masked like everywhere else."""
        v = row.values
        return {
            "row": row.number,
            "external_ref": v["external_ref"],
            "received_at": v["received_at"],
            "title": v["title"],
            "complainant_name": mask_name(v["complainant_name"]),
            "complainant_phone": mask("phone", v["complainant_phone"]),
            "unit": v["unit"].name if v["unit"] else "",
            "channel": v["channel"].name if v["channel"] else "",
            "historical": v["historical"],
            "ok": row.ok,
        }


def _lock_imports() -> None:
    """Two imports of the same file at once must not both pass the duplicate check."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_150_301])
    # SQLite runs one writing transaction at a time already.


def import_complaints(
    *,
    actor: User,
    path: Path | str,
    mapping: dict[str, str],
    channel: str | None = None,
    unit: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    sheet: str | None = None,
    preview: int = 0,
    source_name: str = "",
) -> ImportResult:
    """Import every row or none; see the module docstring. Raises ImportFileError up front."""
    path = Path(path)
    table = Table(path, sheet)
    importer = Importer(
        actor=actor,
        table=table,
        mapping=mapping,
        channel=channel,
        unit=unit,
        source_name=source_name or path.name,
    )
    result = ImportResult(dry_run=dry_run, strict=strict)
    with transaction.atomic(), services.deferred_registry_numbers() as numbers, memo.held():
        _lock_imports()
        for number, values in table.rows():
            result.rows += 1
            row = importer.parse(number, values)
            for issue in row.issues:
                (result.warnings if issue.severity == "warning" else result.errors).append(issue)
            if len(result.preview) < preview:
                result.preview.append(importer.preview_of(row))
            if not row.ok:
                continue
            if importer.is_duplicate(row.values):
                result.duplicates.append((number, row.values["external_ref"]))
                continue
            try:
                with transaction.atomic():
                    complaint = importer.write(row)
            except DomainError as exc:
                result.errors.append(importer.issue_for(row, exc))
                continue
            result.created += 1
            result.historical += int(row.values["historical"])
            if len(result.first_numbers) < 20:
                result.first_numbers.append(complaint.registry_no)
        if dry_run or result.failed:
            transaction.set_rollback(True)
            result.first_numbers = []  # placeholders: nothing was numbered
        else:
            # The numbers are taken only now, so the year's sequence is locked for the last
            # moments of the import instead of all of it (see services.DeferredNumbers).
            numbers.assign()
            result.first_numbers = [numbers.final(n) for n in result.first_numbers]
            result.committed = True
    return result


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """["title=留言主题", …] → {"title": "留言主题"}; the column may itself contain "="."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ImportFileError(f"映射“{pair}”格式不正确，应为 字段=列名。")
        mapping[name.strip()] = column.strip()
    return mapping
