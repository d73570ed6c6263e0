"""Bulk import of complaints from CSV and Excel files (referral lists, historical ledgers).

The file is read by `reading.Table` (header detection, merged cells, sheets, limits) and each cell
cleaned by `values`. Two modes:

* **all or nothing** (the default): every row goes through the lifecycle services inside one
  transaction (each row in its own savepoint, so one bad row does not hide the next one's
  errors); if any row fails, or `strict` and any row has a warning, or it is a dry run, the
  transaction is rolled back and the result lists every problem;
* **partial**: the valid rows are imported and every other row is reported (row, column, value
  and what to do); with `strict`, a row with a warning counts as invalid.

Other registrations of the same year must not wait for an import's lock on the year's sequence
(see `services.DeferredNumbers`). On PostgreSQL each chunk's registry numbers are reserved just
before the chunk is written, in a short transaction of its own that commits at once; numbers the
import does not use go back to the sequence when nobody took one since, and are otherwise recorded
as voided in the audit log. On SQLite, in a dry run, or inside a caller's transaction, the cases
carry placeholders and get their numbers just before the commit. The whole import runs on the
deadline policies, calendar, taxonomy and webhook subscriptions as they stood when it started
(`lib.memo`: read once, not once a row). A row whose external reference was already imported
through the same channel is skipped, so importing the same file twice registers nothing new. 合计/小计 rows are skipped with a warning.

On PostgreSQL (or with `pipeline=True`), once the first chunk is written, a forked reader process
reads, parses and prepares the rows while this process numbers and writes the previous chunk
(`intake.pipeline`); it never touches the database, and hands the rest of the file back when a
row needs it. What an import keeps in memory does not grow with the file: counts, the first
registry numbers, and a line per problem row.

Historical cases that were already answered (a reply text and a reply time) are registered,
accepted, decided and notified with `lib.clock.replay`, so that their events carry the real times;
a ledger that never stated the outcome gives 未注明 (never guessed). A referral without contact
details is registered with the note that the referrer holds them.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from xiaobao.complaints import hooks, services
from xiaobao.complaints.choices import Axis, Kind, NoticeMethod, Outcome, Route
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.complaints.services.numbering import NumberReserver
from xiaobao.deadlines.engine import TZ
from xiaobao.intake.fields import (
    FIELDS,
    NOTICE_WORDS,
    OUTCOME_WORDS,
    REQUIRED,
    VALUE_MAPPED,
)
from xiaobao.intake.lookups import Lookups
from xiaobao.intake.pipeline import Rows
from xiaobao.intake.reading import ImportFileError, Table, footer_word, limit
from xiaobao.intake.results import ERROR, WARNING, ImportResult, Issue, stored
from xiaobao.intake.values import (
    DATE_HELP,
    blank,
    digits,
    one_line,
    parse_amount,
    parse_moment,
    text,
)
from xiaobao.lib import memo
from xiaobao.lib.clock import replay
from xiaobao.lib.errors import DomainError, lazy_list, lazy_text
from xiaobao.organisation.models import Unit, User
from xiaobao.privacy.masking import mask, mask_name

__all__ = [
    "ImportFileError",
    "ImportResult",
    "Issue",
    "import_complaints",
    "importer_user",
    "parse_mapping",
]

IMPORTER_USERNAME = "importer"
TITLE_MAX = 120
TITLE_FROM_NARRATIVE = 30
REF_MAX = 64
UNKNOWN_WORDS = 30  # per field: what the wizard offers to map
SEPARATORS = re.compile(r"[,，;；、|/\s]+")
PERSONAL = {"complainant_phone": "phone", "complainant_id_number": "id_number"}

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
# What to do about a service's refusal, by import field.
SERVICE_FIXES = {
    "complainant_phone": "改为11位手机号或带区号的座机号（如 0571-87654321），或留空并填写地址/邮箱。",
    "complainant_id_number": "核对证件号码（18位居民身份证号的最后一位是校验码），或留空。",
    "unit": "改为本机构有权登记的机构。",
    "referrer_received_on": "改为不晚于接收时间的日期。",
}


# --- the importer --------------------------------------------------------------------------------


@dataclass
class Row:
    """One row, parsed: what the services will be called with."""

    number: int
    sheet: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # Filled by the import's reader process (`pipeline`): the case prepared ahead, or the
    # registration service's refusal of it; the writer numbers and writes the one, reports the other.
    prepared: services.Registration | None = None
    refusal: Issue | None = None

    @property
    def ok(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)


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


class MappingError(ImportFileError):
    """Required fields have no column and no default; `missing` names them for each edge."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        names = lazy_list(lazy_text(FIELDS[m].label.split("（")[0]) for m in missing)
        super().__init__(
            "以下必需字段既没有对应的列，也没有缺省值：%(names)s。", params={"names": names}
        )


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
        values: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.actor = actor
        self.table = table
        self.source_name = source_name
        self.lookups = Lookups(values)
        self.unknown: dict[str, dict[str, None]] = {}  # words the wizard may map, in file order
        self.columns = self._columns(mapping)
        self.default_channel = self._default(channel, "channel")
        self.default_unit = self._default(unit, "unit")
        missing = [f for f in REQUIRED if f not in self.columns]
        if "unit" not in self.columns and self.default_unit is None:
            missing.append("unit")
        if "channel" not in self.columns and self.default_channel is None:
            missing.append("channel")
        if missing:
            raise MappingError(missing)
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
                raise ImportFileError(
                    "未知字段“%(name)s”。可用字段：%(fields)s。",
                    params={"name": name, "fields": lazy_list(FIELDS)},
                )
            if column not in headers:
                raise ImportFileError(
                    "列“%(column)s”不存在；文件中的列：%(columns)s。",
                    params={"column": column, "columns": lazy_list(h for h in headers if h)},
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
            if kind == "channel":
                raise ImportFileError("投诉渠道“%(value)s”不存在。", params={"value": value})
            raise ImportFileError("机构“%(value)s”不存在。", params={"value": value})
        return found

    def remember_unknown(self, name: str, word: str) -> None:
        words = self.unknown.setdefault(name, {})
        if len(words) < UNKNOWN_WORDS:
            words[word] = None

    def column_of(self, name: str) -> str:
        index = self.columns.get(name)
        return self.table.headers[index] if index is not None else ""

    def file_warnings(self) -> list[Issue]:
        out = []
        if "title" not in self.columns:
            out.append(
                Issue(
                    0,
                    "",
                    "title",
                    "没有对应标题列：每件投诉的标题取投诉内容的前%(chars)s字。",
                    WARNING,
                    fix="如文件中有标题列，请在对应列中选择它。",
                    params={"chars": TITLE_FROM_NARRATIVE},
                )
            )
        return out

    def footer(self, sheet: str, number: int, values: list[Any]) -> Issue | None:
        word = footer_word(values, len(self.table.headers))
        if not word:
            return None
        shown = "；".join(one_line(v) for v in values if not blank(v))[:60]
        return Issue(
            number,
            "",
            "",
            "“%(word)s”行不是投诉记录，已跳过。",
            WARNING,
            value=shown,
            fix="无需处理。",
            sheet=sheet if self.table.all_sheets else "",
            params={"word": word},
        )

    # --- parsing one row ---

    def parse(self, number: int, values: list[Any], sheet: str = "") -> Row:
        row = Row(number, sheet if self.table.all_sheets else "")

        def cell(name: str) -> Any:
            index = self.columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        def problem(
            name: str, message: str, severity: str = ERROR, /, fix: str = "", **values: Any
        ) -> None:
            raw = one_line(cell(name)) if name else ""
            if name in PERSONAL and raw:
                raw = mask(PERSONAL[name], raw)
            row.issues.append(
                Issue(
                    number,
                    self.column_of(name),
                    name,
                    message,
                    severity,
                    raw[:80],
                    fix,
                    row.sheet,
                    stored(values) if values else {},
                )
            )

        v = row.values
        for name in ("title", "complainant_name", "complained_staff_name"):
            v[name] = one_line(cell(name))
        v["external_ref"] = digits(cell("external_ref"))
        for name in ("complainant_phone", "complainant_id_number", "complainant_email"):
            v[name] = digits(cell(name))
        for name in ("narrative", "demand_text", "decision_text", "complainant_address"):
            v[name] = text(cell(name))

        if not v["narrative"]:
            problem("narrative", "投诉事实与理由为空。", fix="填写投诉内容，或删除这一行。")
        if not v["title"] and v["narrative"]:
            v["title"] = one_line(v["narrative"])[:TITLE_FROM_NARRATIVE]
            if "title" in self.columns:
                problem(
                    "title",
                    "标题为空，已取投诉内容前%(chars)s字作为标题。",
                    WARNING,
                    "无需处理；如需准确标题请在文件中填写。",
                    chars=TITLE_FROM_NARRATIVE,
                )
        elif len(v["title"]) > TITLE_MAX:
            v["title"] = v["title"][:TITLE_MAX]
            problem(
                "title", "标题超过%(chars)s字，已截断。", WARNING, "无需处理。", chars=TITLE_MAX
            )
        if not v["complainant_name"]:
            problem("complainant_name", "投诉人姓名为空。", fix="填写投诉人姓名或单位名称。")
        if len(v["external_ref"]) > REF_MAX:
            problem(
                "external_ref",
                "外部编号超过%(chars)s个字符。",
                fix="核对编号是否填错了列。",
                chars=REF_MAX,
            )
        elif not v["external_ref"]:
            problem(
                "external_ref",
                "没有外部编号，无法识别重复导入。",
                WARNING,
                "如有工单编号请填写，以免重复导入时重复登记。",
            )

        for name in ("received_at", "decided_at", "notified_at", "referrer_received_on"):
            raw = cell(name)
            try:
                parsed = parse_moment(raw)
            except (ValueError, OverflowError):
                problem(
                    name,
                    "无法识别的时间“%(raw)s”。",
                    fix="改为可识别的写法，如 %(examples)s。",
                    raw=one_line(raw),
                    examples=DATE_HELP,
                )
                parsed = None
            v[name] = parsed[0] if parsed else None
            if parsed and parsed[1] and name == "received_at":
                problem(name, "接收时间只有日期，按当日0时计。", WARNING, "如知道具体时间请补充。")
        now = timezone.now()
        if v["received_at"] is None and not any(i.field == "received_at" for i in row.issues):
            problem("received_at", "接收时间为空。", fix="填写本机构接收投诉的时间。")
        for name in ("received_at", "decided_at", "notified_at"):
            if v[name] is not None and v[name] > now:
                problem(
                    name,
                    "%(field)s晚于当前时间。",
                    fix="核对年份和月日是否写反。",
                    field=lazy_text(FIELDS[name].label),
                )

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
            items = [p for p in SEPARATORS.split(one_line(cell(name))) if p]
            v[name] = [t for t in (self._lookup_term(p, axis, name, problem) for p in items) if t]
        self._lookup_staff(v, one_line(cell("complained_staff_no")), problem)
        try:
            v["amount"] = parse_amount(cell("amount"))
        except ValueError:
            problem("amount", "金额不是数字。", fix="只填写数字，如 1200 或 1,200.00。")
            v["amount"] = None

        channel = v["channel"]
        v["contact_with_referrer"] = False
        has_contact = v["complainant_phone"] or v["complainant_email"] or v["complainant_address"]
        if channel is not None and channel.is_referral:
            if not v["external_ref"]:
                problem(
                    "external_ref",
                    "%(channel)s转办的投诉须有转办编号。",
                    fix="填写转办单上的编号。",
                    channel=channel.name,
                )
            if v["referrer_received_on"] is None and v["received_at"] is not None:
                v["referrer_received_on"] = v["received_at"]
                problem(
                    "referrer_received_on",
                    "未提供转办方受理日期，按接收日期记录。",
                    WARNING,
                    "如转办单上有受理日期请补充。",
                )
            if not has_contact:
                v["contact_with_referrer"] = True
                problem(
                    "complainant_phone",
                    "没有投诉人联系方式：登记为联系方式由转办方（%(channel)s）掌握。",
                    WARNING,
                    "需要联系投诉人时请向转办方索取。",
                    channel=channel.name,
                )
        elif not has_contact and v["complainant_name"]:
            problem(
                "complainant_phone",
                "没有投诉人联系方式（电话、地址、邮箱均为空）。",
                fix="至少填写一种联系方式；只有转办投诉可以没有。",
            )
        if v["referrer_received_on"] is not None:
            v["referrer_received_on"] = v["referrer_received_on"].astimezone(TZ).date()

        self._parse_history(v, cell, problem)
        return row

    def _lookup_staff(self, v: dict[str, Any], number: str, problem: Any) -> None:
        """The staff member complained about: by staff number (工号) first, then by a name the
        wizard mapped to one; otherwise only the name is kept, and recusal cannot be checked."""
        name = v["complained_staff_name"]
        staff = None
        if number:
            staff = self.lookups.staff_by_number(number)
            if staff is None:
                problem(
                    "complained_staff_no",
                    "工号“%(number)s”不存在或已停用：只记录被投诉人员姓名，无法检查回避。",
                    WARNING,
                    "核对工号；确实不是本机构在职员工的可不填工号。",
                    number=number,
                )
            elif name and staff.display_name and name != staff.display_name:
                problem(
                    "complained_staff_no",
                    "工号“%(number)s”的员工是%(staff)s，与被投诉人员“%(name)s”不一致。",
                    fix="核对工号与姓名，以免回避错人。",
                    number=number,
                    staff=staff.display_name,
                    name=name,
                )
            elif v.get("unit") is not None and not v["unit"].contains(staff.unit):
                problem(
                    "complained_staff_no",
                    "工号“%(number)s”的员工不属于责任机构%(unit)s（含下属机构）。",
                    fix="核对工号或责任机构。",
                    number=number,
                    unit=v["unit"].name,
                )
            elif not name:
                v["complained_staff_name"] = staff.display_name or staff.username
        elif name:
            staff = self.lookups.staff(name)
            if staff is None:
                self.remember_unknown("complained_staff_name", name)
                problem(
                    "complained_staff_name",
                    "被投诉人员“%(name)s”没有工号：只记录姓名，无法检查回避。",
                    WARNING,
                    "如为本机构员工，请补充工号列或在取值对应中选择该员工。",
                    name=name,
                )
        v["complained_staff"] = staff

    def _lookup_unit(self, raw: Any, problem: Any) -> Unit | None:
        value = one_line(raw)
        if not value:
            if self.default_unit is None:
                problem("unit", "责任机构为空。", fix="填写机构代码或全称，或指定缺省责任机构。")
            return self.default_unit
        found = self.lookups.unit(self.lookups.own_word("unit", value))
        if found is None:
            self.remember_unknown("unit", value)
            problem(
                "unit",
                "机构“%(value)s”不存在。",
                fix="改为机构代码或全称，或把这个叫法对应到一个机构。",
                value=value,
            )
        return found

    def _lookup_channel(self, raw: Any, problem: Any) -> TaxonomyTerm | None:
        value = one_line(raw)
        if not value:
            if self.default_channel is None:
                problem("channel", "投诉渠道为空。", fix="填写投诉渠道，或指定缺省投诉渠道。")
            return self.default_channel
        found = self.lookups.term(Axis.INTAKE_CHANNEL, self.lookups.own_word("channel", value))
        if found is None:
            self.remember_unknown("channel", value)
            problem(
                "channel",
                "投诉渠道“%(value)s”不存在。",
                fix="改为渠道代码或名称，或把这个叫法对应到一个渠道。",
                value=value,
            )
        return found

    def _lookup_term(self, raw: Any, axis: Axis, name: str, problem: Any) -> TaxonomyTerm | None:
        value = one_line(raw)
        if not value:
            return None
        found = self.lookups.term(axis, self.lookups.own_word(name, value))
        if found is None:
            if name in VALUE_MAPPED:
                self.remember_unknown(name, value)
            problem(
                name,
                "%(axis)s“%(value)s”不存在。",
                fix="改为%(axis)s的代码或名称，或把这个叫法对应到一项%(axis)s。",
                axis=axis.label,
                value=value,
            )
        elif not found.is_active:
            problem(
                name,
                "%(axis)s“%(term)s”已停用。",
                fix="改用仍在使用的一项。",
                axis=axis.label,
                term=found.name,
            )
            return None
        return found

    def _parse_history(self, v: dict[str, Any], cell: Any, problem: Any) -> None:
        has_text, has_time = bool(v["decision_text"]), not blank(cell("decided_at"))
        v["historical"] = has_text or has_time
        if not v["historical"]:
            return
        if not has_text:
            problem("decision_text", "有决定时间但没有答复内容。", fix="填写答复内容。")
        if not has_time:
            problem("decided_at", "有答复内容但没有决定时间。", fix="填写作出答复的时间。")
        outcome = one_line(cell("outcome"))
        v["outcome"] = outcome if outcome in Outcome.values else OUTCOME_WORDS.get(outcome)
        if not outcome:
            v["outcome"] = Outcome.UNSTATED
            problem(
                "outcome",
                "原始记录未注明处理结果，记为“未注明”，不计入处理结果统计。",
                WARNING,
                "如知道处理结果，请在文件中填写（诉求成立/部分成立/诉求不成立）。",
            )
        elif v["outcome"] is None:
            problem(
                "outcome",
                "处理结果“%(outcome)s”无法识别。",
                fix="改为 诉求成立、部分成立、诉求不成立 之一，或留空（记为未注明）。",
                outcome=outcome,
            )
        method = one_line(cell("notice_method"))
        labels = {str(label): value for value, label in NoticeMethod.choices}
        v["notice_method"] = (
            method
            if method in NoticeMethod.values
            else labels.get(method) or NOTICE_WORDS.get(method)
        )
        if not method:
            v["notice_method"] = NoticeMethod.LETTER
            problem("notice_method", "未提供告知方式，按书面函件记录。", WARNING, "无需处理。")
        elif v["notice_method"] is None:
            problem(
                "notice_method",
                "告知方式“%(method)s”无法识别。",
                fix="改为 书面函件、短信、电子邮件、电话、当面告知 之一。",
                method=method,
            )
        if v["notified_at"] is None:
            v["notified_at"] = v["decided_at"]
        for name, other in (("decided_at", "received_at"), ("notified_at", "decided_at")):
            if v[name] is not None and v[other] is not None and v[name] < v[other]:
                problem(
                    name,
                    "%(field)s早于%(other)s。",
                    fix="核对两个时间是否填反。",
                    field=lazy_text(FIELDS[name].label),
                    other=lazy_text(FIELDS[other].label),
                )
        # The rules require a classification before a decision; an old ledger often has none.
        for name, default in (
            ("business_channel", "other_channel"),
            ("business_category", "other_category"),
            ("cause", "other_cause"),
        ):
            if v[name] is None and blank(cell(name)):  # an unknown code is already an error
                v[name] = self.defaults[default]
                problem(
                    name,
                    "已答复的历史投诉未提供%(field)s，按“其他”记录。",
                    WARNING,
                    "无需处理；如需准确统计请在文件中补充。",
                    field=lazy_text(FIELDS[name].label.split("（")[0]),
                )

    # --- writing one row ---

    def prepare(self, row: Row) -> services.Registration:
        """The case checked by the registration service and built in memory (batched path)."""
        return services.registration_prepare(**self.registration(row))

    def write(self, row: Row) -> Complaint:
        v = row.values
        register = self.registration(row)
        if not v["historical"]:
            return services.complaint_register(**register)
        return self._write_history(row, register)

    def registration(self, row: Row) -> dict[str, Any]:
        v = row.values
        person = services.ComplainantData(
            name=v["complainant_name"],
            phone=v["complainant_phone"],
            id_number=v["complainant_id_number"],
            email=v["complainant_email"],
            address=v["complainant_address"],
        )
        return {
            "actor": self.actor,
            "unit": v["unit"],
            "received_at": v["received_at"],
            "intake_channel": v["channel"],
            "title": v["title"],
            "narrative": v["narrative"],
            "complainants": [person],
            "complained_staff": v["complained_staff"],
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
            "contact_with_referrer": v["contact_with_referrer"],
        }

    def _write_history(self, row: Row, register: dict[str, Any]) -> Complaint:
        v = row.values
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
                imported=True,
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
        value = one_line(row.values.get(name, "")) if name else ""
        if name in PERSONAL and value:
            value = mask(PERSONAL[name], value)
        return Issue(
            row.number,
            self.column_of(name) if name else "",
            name,
            "%(refusal)s",
            ERROR,
            value[:80],
            SERVICE_FIXES.get(name, "按提示修改这一行后重新导入。"),
            row.sheet,
            stored({"refusal": lazy_text(exc.template, exc.params)}),
        )

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


class _Writer:
    """Rows that passed parsing, written a chunk at a time: one query for the chunk's duplicates,
    each case checked by the registration service in Python, then one insert per table.

    Nothing of a written chunk is kept beyond the counts and the report's bounded lists: a case
    that repeats one of an earlier chunk is found by the next chunk's duplicate query (the
    transaction sees its own rows), and the search-index jobs are queued with each chunk
    (`hooks.chunk_written`).

    On PostgreSQL the chunk's foreign keys (deferred by Django until the commit, where they
    took the last quarter of a large import) are checked as soon as it is written, by a thread
    on the same connection, while this one goes on with the next rows: psycopg serialises the
    connection's use, so the next statement simply waits for the checks, and `checked()` raises
    what they raised before anything else is written."""

    CHUNK = 500

    def __init__(
        self, importer: Importer, result: ImportResult, numbers: Any, *, batched: bool
    ) -> None:
        self.importer = importer
        self.result = result
        self.numbers = numbers
        self.batched = batched
        self.rows: list[Row] = []
        self.seen: set[tuple[int, str]] = set()  # this chunk's (channel, reference) pairs
        self.mostly_new = True  # the last chunk was not mostly rows imported before
        self.checker: threading.Thread | None = None
        self.check_error: BaseException | None = None

    def prepares(self, row: Row) -> bool:
        """Whether the row, once its chunk is written, goes through `Importer.prepare`."""
        return self.batched and not row.values["historical"]

    def add(self, row: Row) -> bool:
        """Take a row; True if that wrote a chunk."""
        self.rows.append(row)
        if len(self.rows) >= self.CHUNK:
            self.flush()
            return True
        return False

    def _existing(self) -> set[tuple[int, str]]:
        refs = {r.values["external_ref"] for r in self.rows if r.values["external_ref"]}
        if not refs:
            return set()
        found = Complaint.objects.filter(
            kind=Kind.COMPLAINT,
            intake_channel__in={r.values["channel"].pk for r in self.rows},
            external_ref__in=refs,
        ).values_list("intake_channel_id", "external_ref")
        return set(found.order_by())

    def _years(self, existing: set[tuple[int, str]]) -> Counter[tuple[str, int]]:
        """How many cases of each year the chunk may register (refused rows leave theirs to
        the next chunk)."""
        return Counter(
            (Kind.COMPLAINT, row.values["received_at"].astimezone(TZ).year)
            for row in self.rows
            if (row.values["channel"].pk, row.values["external_ref"]) not in existing
        )

    def flush(self) -> None:
        self.checked()
        if not self.rows:
            return
        existing = self._existing()
        if self.result.failed:
            self.numbers.stop()  # it will be rolled back: no more numbers for it
        else:
            self.numbers.need(self._years(existing))
        prepared: list[tuple[Row, services.Registration]] = []
        duplicates = len(self.result.duplicates)
        for row in self.rows:
            v = row.values
            key = (v["channel"].pk, v["external_ref"])
            if v["external_ref"] and (key in existing or key in self.seen):
                self.result.duplicates.append((row.number, v["external_ref"]))
                continue
            if row.refusal is not None:  # refused by the service in the reader process
                self.result.errors.append(row.refusal)
                self.result.rejected.append(row.number)
                continue
            mark = self.numbers.mark()
            try:
                if v["historical"] or not self.batched:
                    with transaction.atomic():
                        complaint = self.importer.write(row)
                    self._done(row, complaint)
                elif row.prepared is not None:  # by the reader process: only the number is left
                    services.registration_renumber(row.prepared)
                    prepared.append((row, row.prepared))
                else:
                    prepared.append((row, self.importer.prepare(row)))
            except DomainError as exc:
                self.numbers.release(mark)
                self.result.errors.append(self.importer.issue_for(row, exc))
                self.result.rejected.append(row.number)
                continue
            if v["external_ref"]:
                self.seen.add(key)
        if prepared:
            services.registrations_save_bulk([reg for _row, reg in prepared])
            for row, reg in prepared:
                self._done(row, reg.complaint)
        self.mostly_new = len(self.result.duplicates) - duplicates <= len(self.rows) // 2
        self.rows = []
        self.seen = set()
        hooks.chunk_written()
        if connection.vendor == "postgresql" and not (self.result.dry_run or self.result.failed):
            self._check_later()  # (an import to be rolled back never checked them)

    def _check_later(self) -> None:
        raw = connection.connection  # psycopg's own connection (thread-safe), not Django's

        def check() -> None:
            try:
                raw.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the deferred checks now
                raw.execute("SET CONSTRAINTS ALL DEFERRED")
            except BaseException as exc:
                self.check_error = exc

        self.checker = threading.Thread(target=check, name="import-fk-check", daemon=True)
        self.checker.start()

    def checked(self, *, quiet: bool = False) -> None:
        """Wait for the last chunk's foreign-key checks; raise what they raised (`quiet`: an
        error is being raised already)."""
        if self.checker is None:
            return
        self.checker.join()
        self.checker = None
        error, self.check_error = self.check_error, None
        if error is not None and not quiet:
            with connection.wrap_database_errors:
                raise error

    def _done(self, row: Row, complaint: Complaint) -> None:
        self.result.created += 1
        self.result.historical += int(row.values["historical"])
        if len(self.result.first_numbers) < 20:
            self.result.first_numbers.append(complaint.registry_no)


Progress = Callable[[int], None]


def import_complaints(
    *,
    actor: User,
    path: Path | str,
    mapping: dict[str, str],
    channel: str | None = None,
    unit: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    partial: bool = False,
    sheet: str | None = None,
    header_row: int | None = None,
    values: dict[str, dict[str, str]] | None = None,
    preview: int = 0,
    source_name: str = "",
    progress: Progress | None = None,
    batched: bool = True,
    run: int | None = None,
    finish: Callable[[ImportResult], object] | None = None,
    pipeline: bool | None = None,
) -> ImportResult:
    """Import every row or none (or, `partial`, the valid ones); see the module docstring.

    Raises ImportFileError up front (or when the file turns out longer than the row limit).
    `progress(rows read)` is called every few hundred rows (the background run's progress bar).
    `batched`: new cases are checked one by one and written a chunk at a time
    (`services.registrations_save_bulk`); False writes each through `complaint_register`
    (the reference the batched path is tested against). Historical cases always take the
    one-case services, since their lifecycle is replayed at its real times.
    `run`: the wizard's `ImportRun`, named in the audit rows of the registry numbers.
    `finish(result)` is called inside the import's transaction just before it commits (only if
    it is to commit), so that what the caller records about the outcome commits with the cases.
    `pipeline`: after the first chunk, a forked process reads, parses and prepares the rows
    while this one writes (see `intake.pipeline`); by default on PostgreSQL only.
    """
    path = Path(path)
    table = Table(path, sheet, header_row)
    importer = Importer(
        actor=actor,
        table=table,
        mapping=mapping,
        channel=channel,
        unit=unit,
        source_name=source_name or path.name,
        values=values,
    )
    result = ImportResult(dry_run=dry_run, strict=strict, partial=partial)
    result.warnings.extend(importer.file_warnings())
    max_rows = limit("MAX_ROWS")
    reserver = None
    if connection.vendor == "postgresql" and not dry_run and not connection.in_atomic_block:
        reserver = NumberReserver(
            actor=actor, source=importer.source_name, label=secrets.token_hex(6), run=run
        )
    kept = False
    with services.deferred_registry_numbers(reserver) as numbers:
        try:
            _import_rows(
                importer,
                table,
                result,
                numbers,
                progress,
                max_rows=max_rows,
                preview=preview,
                batched=batched,
                finish=finish,
                pipeline=connection.vendor == "postgresql" if pipeline is None else pipeline,
            )
            kept = result.committed
        finally:
            if reserver is not None:
                try:
                    numbers.settle(kept=kept, why=_unused_why(result, kept))
                finally:
                    reserver.close()
    return result


def _unused_why(result: ImportResult, kept: bool) -> str:
    if kept:
        return "导入已提交，这些编号留给了未能登记的行（未通过校验）"
    if result.failed:
        return "导入有错误，按“全部导入或全部不导入”一件也未登记"
    return "导入未完成（中断或被回滚），一件也未登记"


def _import_rows(
    importer: Importer,
    table: Table,
    result: ImportResult,
    numbers: Any,
    progress: Progress | None,
    *,
    max_rows: int,
    preview: int,
    batched: bool,
    finish: Callable[[ImportResult], object] | None,
    pipeline: bool,
) -> None:
    """The import's one transaction: every row read, checked and written, then kept or not."""
    dry_run, partial, strict = result.dry_run, result.partial, result.strict
    with transaction.atomic(), memo.held():
        _lock_imports()
        writer = _Writer(importer, result, numbers, batched=batched)

        def rejected(row: Row) -> bool:
            return not row.ok or (partial and strict and bool(row.issues))

        source = Rows(
            importer,
            table,
            lambda row: not rejected(row) and writer.prepares(row),
            pipeline=pipeline,
        )
        items = source.__iter__()  # a generator: closed below
        try:
            for item in items:
                if item.footer is not None:
                    result.footers += 1
                    result.warnings.append(item.footer)
                    continue
                result.rows += 1
                if result.rows > max_rows:
                    raise ImportFileError(
                        "文件超过 %(max_rows)s 行，请拆分为多个文件后导入。",
                        params={"max_rows": format(max_rows, ",")},
                    )
                if progress is not None and result.rows % 200 == 0:
                    progress(result.rows)
                row = item.row
                for issue in row.issues:
                    (result.warnings if issue.severity == WARNING else result.errors).append(issue)
                if len(result.preview) < preview:
                    result.preview.append(importer.preview_of(row))
                if rejected(row):
                    result.rejected.append(item.number)
                    continue
                if writer.add(row):
                    source.prepare_ahead(writer.mostly_new)
                    if pipeline and not source.forking:
                        # The reference data is read: a reader process may go ahead (forked
                        # with no thread of ours inside a statement).
                        writer.checked()
                        source.fork()
            writer.flush()
            writer.checked()
        finally:
            items.close()  # stops the reader process, if any
            writer.checked(quiet=True)
        if progress is not None:
            progress(result.rows)
        result.unknown = {name: list(words) for name, words in importer.unknown.items()}
        if dry_run or result.failed:
            transaction.set_rollback(True)
            result.first_numbers = []  # nothing was numbered, or the numbers were given up
            return
        if numbers.reserver is None:
            # The numbers are taken only now, so the year's sequence is locked for the last
            # moments of the import instead of all of it (see services.DeferredNumbers). Its
            # foreign keys are checked before that, not by the commit under the lock.
            if connection.vendor == "postgresql":
                connection.check_constraints()
            numbers.assign()
            result.first_numbers = [numbers.final(n) for n in result.first_numbers]
        result.committed = True  # as it will be: an exception from here on undoes it all
        if finish is not None:
            finish(result)


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """["title=留言主题", …] → {"title": "留言主题"}; the column may itself contain "="."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ImportFileError(
                "映射“%(pair)s”格式不正确，应为 字段=列名。", params={"pair": pair}
            )
        mapping[name.strip()] = column.strip()
    return mapping
