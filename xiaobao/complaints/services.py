"""Every change to a complaint goes through one of these functions.

Each service locks the case row, checks the transition table and the caller's rights, applies the
change, recomputes the deadline when the clock is affected and writes one append-only event, all
inside one transaction: a refused request leaves nothing behind.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ParamSpec

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from xiaobao.complaints import clock, hooks
from xiaobao.complaints.choices import (
    OPEN_STATUSES,
    Axis,
    ComplainantRole,
    ExtensionStatus,
    IdType,
    Kind,
    MajorReason,
    NoticeMethod,
    Outcome,
    PauseReason,
    PolicyKind,
    Route,
    Satisfaction,
    Status,
)
from xiaobao.complaints.models import (
    COMPLAINT_SEALED_FIELDS,
    Complainant,
    Complaint,
    ComplaintEvent,
    Decision,
    Extension,
    FollowUp,
    Notice,
    Pause,
    RegistrySequence,
    TaxonomyTerm,
    complaint_known_names,
    name_index_for,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.deadlines.engine import TZ, review_window
from xiaobao.lib import memo
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.roles import user_roles
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.plans.choices import TaskSourceKind
from xiaobao.plans.services import task_create
from xiaobao.privacy.crypto import blind_index
from xiaobao.privacy.redaction import is_valid_id_number
from xiaobao.privacy.sealing import redact_text, seal_fields

GROUP_THRESHOLD = 20  # Art. 29: 20 or more complainants filing together make a major complaint
MAX_GROUP_REPRESENTATIVES = 5  # Art. 12: a face-to-face group sends at most five
REGULATOR_CHANNELS = frozenset({"R12363", "R12378", "REGULATOR_LETTER"})
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

P = ParamSpec("P")


# --- helpers -------------------------------------------------------------------------------------


def _now() -> datetime:
    return clock_now()


def _require(
    user: Any, perm: str, complaint: Complaint | None = None, unit: Unit | None = None
) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if not user.has_perm(f"complaints.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    target = complaint.unit if complaint is not None else unit
    if target is not None and not unit_in_scope(user, target):
        raise PermissionDeniedError("该投诉不在您的机构管辖范围内。", code="out_of_scope")


def _lock(complaint: Complaint) -> Complaint:
    """Re-read the case under a row lock so two people cannot change it at once."""
    return Complaint.objects.select_for_update().select_related("unit").get(pk=complaint.pk)


def _event(
    complaint: Complaint,
    action: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        action=action,
        occurred_at=at or _now(),
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    for listener in hooks.event_listeners:
        listener(event)
    return event


def _transition(
    complaint: Complaint,
    action: str,
    *,
    actor: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
    update_fields: Sequence[str] = (),
) -> ComplaintEvent:
    """Move `complaint` (already locked and modified in memory) and record the event."""
    before = complaint.status
    after = target_status(action, before)
    complaint.status = after
    complaint.save(update_fields=["status", "updated_at", *update_fields])
    return _event(
        complaint,
        action,
        actor=actor,
        from_status=before,
        to_status=after,
        reason=reason,
        data=data,
    )


def _need(value: Any, message: str, field_name: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, code="required", field=field_name)


def _not_future(moment: datetime, what: str, field_name: str) -> None:
    if moment > _now() + timedelta(minutes=5):
        raise DomainError(f"{what}不能晚于当前时间。", code="in_future", field=field_name)


def _backdate_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "XIAOBAO_BACKDATE_DAYS", 7))


def _claimed_moment(
    complaint: Complaint, moment: datetime | None, what: str, field_name: str
) -> datetime:
    """A decision or notice may be recorded for an earlier moment than its entry (given by phone
    on day 14, entered on day 16), but not in the future, not before the case was accepted, and
    not further back than XIAOBAO_BACKDATE_DAYS days."""
    now = _now()
    if moment is None:
        return now
    if timezone.is_naive(moment):
        raise DomainError(f"{what}须包含时区。", field=field_name)
    _not_future(moment, what, field_name)
    accepted = complaint.events.filter(action="accept").order_by("occurred_at").first()
    earliest = accepted.occurred_at if accepted is not None else complaint.received_at
    # Forms record minutes, and a notice follows its decision (checked by the caller) by
    # minutes: five minutes' grace, as elsewhere.
    if moment < earliest - timedelta(minutes=5):
        raise DomainError(
            f"{what}不能早于受理时间（{earliest.astimezone(TZ):%Y-%m-%d %H:%M}）。",
            code="before_acceptance",
            field=field_name,
        )
    days = _backdate_days()
    if moment < now - timedelta(days=days):
        raise DomainError(
            f"{what}最多只能补记{days}日内的时间。", code="too_far_back", field=field_name
        )
    return moment


def _term(
    value: TaxonomyTerm | str | None,
    axis: Axis,
    field_name: str,
    known: Mapping[tuple[str, str], TaxonomyTerm] | None = None,
) -> TaxonomyTerm | None:
    """A usable term of `axis`: a term object or its code; retired codes only on old cases.

    `known` holds terms already loaded by `_load_terms` (one query for a whole form)."""
    if value is None or value == "":
        return None
    if isinstance(value, TaxonomyTerm):
        term = value
    else:
        found = (
            known.get((axis, value))
            if known is not None
            else TaxonomyTerm.objects.filter(axis=axis, code=value).first()
        )
        if found is None:
            raise DomainError(
                f"{axis.label}代码“{value}”不存在。", code="unknown_code", field=field_name
            )
        term = found
    if term.axis != axis:
        raise DomainError(
            f"“{term.name}”不是{axis.label}代码。", code="wrong_axis", field=field_name
        )
    if not term.is_active:
        raise DomainError(
            f"{axis.label}“{term.name}”已停用，请选择在用的代码。",
            code="retired_code",
            field=field_name,
        )
    return term


def _terms(
    values: Iterable[TaxonomyTerm | str],
    axis: Axis,
    field_name: str,
    known: Mapping[tuple[str, str], TaxonomyTerm] | None = None,
) -> list[TaxonomyTerm]:
    terms = [_term(v, axis, field_name, known) for v in values]
    return [t for t in terms if t is not None]


def _load_terms(wanted: Iterable[tuple[Axis, Any]]) -> dict[tuple[str, str], TaxonomyTerm]:
    """Every (axis, code) asked for by code, in one query."""
    keys = {(str(axis), value) for axis, value in wanted if isinstance(value, str) and value}
    held = memo.active()
    known = held.setdefault("terms", {}) if held is not None else {}
    missing = keys - known.keys()
    if missing:
        condition = Q()
        for axis, code in missing:
            condition |= Q(axis=axis, code=code)
        found = {(t.axis, t.code): t for t in TaxonomyTerm.objects.filter(condition)}
        known.update({key: found.get(key) for key in missing})
    return {key: known[key] for key in keys if known[key] is not None}


_SEQUENCE_SQL = 'UPDATE "{table}" SET "last" = "last" + %s WHERE "year" = %s RETURNING "last"'


def _take_numbers(year: int, count: int = 1) -> int:
    """Advance the year's sequence by `count` and return the last number taken. One UPDATE …
    RETURNING under the row's lock: PostgreSQL serialises numbering per year until the
    transaction commits; SQLite serialises all writers. The row is created once a year."""
    sql = _SEQUENCE_SQL.format(table=RegistrySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, year])
        row = cursor.fetchone()
        if row is None:
            RegistrySequence.objects.get_or_create(year=year)
            cursor.execute(sql, [count, year])
            row = cursor.fetchone()
    return int(row[0])


def _registry_prefix(kind: str) -> str:
    return "HC" if kind == Kind.REVIEW else "TS"


class DeferredNumbers:
    """Registry numbers for a long transaction (a bulk import), taken just before it commits.

    Taking a number locks the year's sequence row until commit, so an import that numbered its
    rows one by one would stop every other registration of that year for the whole import.
    Inside `deferred_registry_numbers()` each case gets a placeholder (``~ab12TS2026-17``) and
    `assign()` takes all the numbers at the end with one UPDATE per year and renames the cases,
    in the order they were registered. A rolled-back import takes no number at all."""

    PLACEHOLDER = re.compile(r"^~[0-9a-f]{4}(?P<prefix>TS|HC)(?P<year>\d{4})-(?P<n>\d+)$")

    def __init__(self) -> None:
        self.token = secrets.token_hex(2)
        self.counts: dict[tuple[str, int], int] = {}
        self.assigned: dict[tuple[str, int], int] = {}
        self.ids: tuple[int, int] | None = None  # lowest and highest primary key given one

    def placeholder(self, kind: str, year: int) -> str:
        key = (_registry_prefix(kind), year)
        self.counts[key] = n = self.counts.get(key, 0) + 1
        return f"~{self.token}{key[0]}{year}-{n}"

    def mark(self) -> dict[tuple[str, int], int]:
        """Where the placeholders stand, to `release()` those a rolled-back savepoint took."""
        return dict(self.counts)

    def release(self, mark: dict[tuple[str, int], int]) -> None:
        """Forget the placeholders taken since `mark` (their cases were rolled back), so the
        next cases take them again and the numbers keep having no gaps."""
        self.counts = dict(mark)

    def saved(self, complaint: Complaint) -> None:
        low, high = self.ids or (complaint.pk, complaint.pk)
        self.ids = (min(low, complaint.pk), max(high, complaint.pk))

    def final(self, number: str) -> str:
        """The registry number a placeholder became (after `assign`); others unchanged."""
        match = self.PLACEHOLDER.match(number)
        if match is None:
            return number
        key = (match["prefix"], int(match["year"]))
        return f"{key[0]}{key[1]}-{self.assigned[key] + int(match['n']):06d}"

    def assign(self, chunk: int = 5_000) -> int:
        """Number every placeholder (inside the caller's transaction); returns how many.

        One UPDATE per prefix and year computes each number from its placeholder's ordinal,
        over the primary-key range the placeholders were given (other sessions' cases in that
        range keep their numbers: the LIKE leaves them out). It is called only when every case
        that took a placeholder was saved (a refused row's savepoint is rolled back and its
        placeholder `release`d), so the numbers have no gaps; a count that does not match
        aborts the transaction."""
        if self.ids is None:
            return 0
        table = connection.ops.quote_name(Complaint._meta.db_table)
        number = "CAST(substr(registry_no, %s) AS integer) + %s"
        if connection.vendor == "postgresql":
            text = (
                f"CASE WHEN {number} < 1000000 THEN lpad(({number})::text, 6, '0') "
                f"ELSE ({number})::text END"
            )
        else:
            text = f"printf('%%06d', {number})"
        sql = (
            f"UPDATE {table} SET registry_no = %s || {text} "
            "WHERE id BETWEEN %s AND %s AND registry_no LIKE %s"
        )
        total = 0
        for (prefix, year), count in sorted(self.counts.items()):
            if (prefix, year) in self.assigned:
                continue
            base = self.assigned[(prefix, year)] = _take_numbers(year, count) - count
            stem = f"~{self.token}{prefix}{year}-"
            ordinal: list[int | str] = [len(stem) + 1, base]
            params: list[int | str] = [f"{prefix}{year}-", *ordinal]
            if connection.vendor == "postgresql":
                params += [*ordinal, *ordinal]
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, *self.ids, stem + "%"])
                if cursor.rowcount != count:
                    raise RuntimeError(f"numbered {cursor.rowcount} of {count} imported cases")
            for start in range(1, count + 1, chunk):
                numbers = range(base + start, base + min(start + chunk, count + 1))
                for listener in hooks.renumber_listeners:
                    listener([f"{prefix}{year}-{n:06d}" for n in numbers])
            total += count
        return total


_deferred: ContextVar[DeferredNumbers | None] = ContextVar("deferred_numbers", default=None)


@contextmanager
def deferred_registry_numbers() -> Iterator[DeferredNumbers]:
    """Cases registered inside get placeholders; call `assign()` before the transaction ends."""
    numbers = DeferredNumbers()
    token = _deferred.set(numbers)
    try:
        yield numbers
    finally:
        _deferred.reset(token)


def _numbered_later(complaint: Complaint) -> None:
    deferred = _deferred.get()
    if deferred is not None:
        deferred.saved(complaint)


def _next_registry_no(kind: str, year: int) -> str:
    deferred = _deferred.get()
    if deferred is not None:
        return deferred.placeholder(kind, year)
    return f"{_registry_prefix(kind)}{year}-{_take_numbers(year):06d}"


def _ancestors_payload(unit: Unit) -> list[dict[str, Any]]:
    return [{"id": u.pk, "code": u.code, "name": u.name} for u in unit.ancestors()]


# --- registration --------------------------------------------------------------------------------


@dataclass
class ComplainantData:
    """What the consumer (or the person acting for them) tells us about themselves (Art. 13)."""

    name: str
    role: str = ComplainantRole.SELF
    id_type: str = IdType.RESIDENT_ID
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    card_number: str = ""
    legal_representative: str = ""
    represents: str = ""
    is_representative: bool = False


def _clean_complainant(
    data: ComplainantData, index: int, *, contact_with_referrer: bool = False
) -> ComplainantData:
    where = f"第{index + 1}位投诉人"
    field_prefix = f"complainants.{index}"
    _need(data.name, f"{where}：请填写姓名或单位名称。", f"{field_prefix}.name")
    if data.role not in ComplainantRole.values:
        raise DomainError(f"{where}：身份“{data.role}”无效。", field=f"{field_prefix}.role")
    phone = (
        re.sub(r"[\s-]", "", data.phone)
        if _MOBILE.match(re.sub(r"[\s-]", "", data.phone))
        else data.phone.strip()
    )
    if phone and not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise DomainError(
            f"{where}：联系电话“{phone}”格式不正确（手机号11位，座机如 0571-87654321）。",
            code="invalid_phone",
            field=f"{field_prefix}.phone",
        )
    if not (phone or data.email.strip() or data.address.strip() or contact_with_referrer):
        raise DomainError(
            f"{where}：请至少留下一种联系方式（电话、邮箱或地址）。",
            code="contact_required",
            field=f"{field_prefix}.phone",
        )
    id_number = data.id_number.strip().upper()
    if data.role == ComplainantRole.ORGANISATION:
        if data.id_type != IdType.CREDIT_CODE or not _CREDIT_CODE.match(id_number):
            raise DomainError(
                f"{where}：单位投诉须填写18位统一社会信用代码。",
                code="invalid_credit_code",
                field=f"{field_prefix}.id_number",
            )
        _need(
            data.legal_representative,
            f"{where}：单位投诉须填写法定代表人。",
            f"{field_prefix}.legal_representative",
        )
    elif data.id_type == IdType.RESIDENT_ID and id_number and not is_valid_id_number(id_number):
        raise DomainError(
            f"{where}：居民身份证号码“{id_number}”校验不通过，请核对。",
            code="invalid_id_number",
            field=f"{field_prefix}.id_number",
        )
    if data.role in (ComplainantRole.GUARDIAN, ComplainantRole.AGENT, ComplainantRole.HEIR):
        _need(
            data.represents,
            f"{where}：监护人、代理人或继承人须填写所代表的消费者。",
            f"{field_prefix}.represents",
        )
    card = re.sub(r"[\s-]", "", data.card_number)
    if card and not (card.isdigit() and 12 <= len(card) <= 19):
        raise DomainError(
            f"{where}：银行卡号应为12至19位数字。",
            code="invalid_card",
            field=f"{field_prefix}.card_number",
        )
    return ComplainantData(
        name=data.name.strip(),
        role=data.role,
        id_type=data.id_type,
        id_number=id_number,
        phone=phone,
        email=data.email.strip(),
        address=data.address.strip(),
        card_number=card,
        legal_representative=data.legal_representative.strip(),
        represents=data.represents.strip(),
        is_representative=data.is_representative,
    )


def _save_complainant(complaint: Complaint, data: ComplainantData) -> Complainant:
    complainant = _complainant_row(complaint, data)
    complainant.save(force_insert=True)
    return complainant


def _complainant_row(complaint: Complaint, data: ComplainantData) -> Complainant:
    return Complainant(
        complaint=complaint,
        role=data.role,
        name=data.name,
        id_type=data.id_type,
        id_number=data.id_number,
        phone=data.phone,
        email=data.email,
        address=data.address,
        card_number=data.card_number,
        id_number_hash=blind_index(data.id_number, kind="id_number") if data.id_number else "",
        phone_hash=blind_index(data.phone, kind="phone") if data.phone else "",
        card_hash=blind_index(data.card_number, kind="card") if data.card_number else "",
        name_index=name_index_for(data.name),
        legal_representative=data.legal_representative,
        represents=data.represents,
        is_representative=data.is_representative,
    )


def _escalate(complaint: Complaint, *, actor: Any, reason: str) -> None:
    """Major complaints are reported upward at once (Art. 29): the event names every level above."""
    _event(
        complaint,
        "escalate",
        actor=actor,
        reason=reason,
        data={
            "to_units": _ancestors_payload(complaint.unit),
            "major_reason": complaint.major_reason,
        },
    )


def registration_prepare(
    *,
    actor: User,
    unit: Unit,
    received_at: datetime,
    intake_channel: TaxonomyTerm | str,
    title: str,
    narrative: str,
    complainants: Sequence[ComplainantData],
    complained_unit: Unit | None = None,
    complained_staff: User | None = None,
    complained_staff_name: str = "",
    demands: Iterable[TaxonomyTerm | str] = (),
    demand_text: str = "",
    amount: Decimal | None = None,
    business_channel: TaxonomyTerm | str | None = None,
    business_category: TaxonomyTerm | str | None = None,
    cause: TaxonomyTerm | str | None = None,
    level: TaxonomyTerm | str = "NORMAL",
    tags: Iterable[TaxonomyTerm | str] = (),
    external_ref: str = "",
    referrer_received_on: date | None = None,
    group_size: int | None = None,
    handler: User | None = None,
    contact_with_referrer: bool = False,
) -> Registration:
    """Check a registration and build the case in memory, writing nothing (but the placeholder
    number of an import); `registration_save` or `registrations_save_bulk` writes it.

    `contact_with_referrer`: a referral (12345, 12363 …) may come without the consumer's contact
    details, which the referrer holds; the register event records that.
    """
    _require(actor, "add_complaint", unit=unit)
    _need(title, "请填写投诉标题。", "title")
    _need(narrative, "请填写投诉事实与理由。", "narrative")
    if received_at is None or timezone.is_naive(received_at):
        raise DomainError("接收时间须包含时区。", field="received_at")
    _not_future(received_at, "接收时间", "received_at")
    demands, tags = list(demands), list(tags)
    known = _load_terms(
        [
            (Axis.INTAKE_CHANNEL, intake_channel),
            (Axis.BUSINESS_CHANNEL, business_channel),
            (Axis.BUSINESS_CATEGORY, business_category),
            (Axis.CAUSE, cause),
            (Axis.LEVEL, level),
            (Axis.LEVEL, "MAJOR"),
            (Axis.TAG, "REGULATOR"),
            *((Axis.DEMAND, d) for d in demands),
            *((Axis.TAG, t) for t in tags),
        ]
    )
    channel = _term(intake_channel, Axis.INTAKE_CHANNEL, "intake_channel", known)
    if channel is None:
        raise DomainError("请选择投诉渠道。", code="required", field="intake_channel")
    if channel.is_referral:
        _need(external_ref, f"{channel.name}转办的投诉须填写转办编号。", "external_ref")
        if referrer_received_on is None:
            raise DomainError(
                f"{channel.name}转办的投诉须填写转办方受理日期。",
                code="required",
                field="referrer_received_on",
            )
    if (
        referrer_received_on is not None
        and referrer_received_on > received_at.astimezone(TZ).date()
    ):
        raise DomainError("转办方受理日期不能晚于本机构接收日期。", field="referrer_received_on")
    if referrer_received_on is not None and referrer_received_on < received_at.astimezone(
        TZ
    ).date() - timedelta(days=366):
        raise DomainError(
            "转办方受理日期早于本机构接收日期一年以上，请核对。", field="referrer_received_on"
        )
    if amount is not None and amount < 0:
        raise DomainError("涉及金额不能为负数。", field="amount")
    if not complainants:
        raise DomainError("请至少填写一位投诉人。", code="required", field="complainants")
    if contact_with_referrer and not channel.is_referral:
        raise DomainError(
            "只有转办投诉可以不留联系方式（由转办方掌握）。", field="complainants.0.phone"
        )
    people = [
        _clean_complainant(c, i, contact_with_referrer=contact_with_referrer)
        for i, c in enumerate(complainants)
    ]
    size = max(group_size or 1, len(people))
    reps = sum(1 for p in people if p.is_representative)
    if channel.code == "COUNTER" and size > 1 and reps > MAX_GROUP_REPRESENTATIVES:
        raise DomainError(
            f"当面群体投诉的代表不得超过{MAX_GROUP_REPRESENTATIVES}名（当前{reps}名）。",
            code="too_many_representatives",
            field="complainants",
        )
    complained_unit = complained_unit or unit
    if complained_staff is not None and not (
        unit.contains(complained_staff.unit) or complained_unit.contains(complained_staff.unit)
    ):
        raise DomainError(
            "被投诉人员须为责任机构或被投诉机构（含下属机构）的员工。",
            code="staff_not_in_unit",
            field="complained_staff",
        )
    if handler is not None:
        _check_handler(handler, unit=unit, complained_staff=complained_staff)

    channel_term = _term(business_channel, Axis.BUSINESS_CHANNEL, "business_channel", known)
    category_term = _term(business_category, Axis.BUSINESS_CATEGORY, "business_category", known)
    cause_term = _term(cause, Axis.CAUSE, "cause", known)
    level_term = _term(level, Axis.LEVEL, "level", known)
    assert level_term is not None
    demand_terms = _terms(demands, Axis.DEMAND, "demands", known)
    tag_terms = _terms(tags, Axis.TAG, "tags", known)
    if channel.code in REGULATOR_CHANNELS:
        regulator = known.get((Axis.TAG, "REGULATOR"))
        if regulator is not None and regulator.is_active and regulator not in tag_terms:
            tag_terms.append(regulator)

    is_major = size >= GROUP_THRESHOLD
    if is_major:
        major = known.get((Axis.LEVEL, "MAJOR"))
        level_term = major if major is not None and major.is_active else level_term
    local_received = received_at.astimezone(TZ)
    complaint = Complaint(
        registry_no=_next_registry_no(Kind.COMPLAINT, local_received.year),
        kind=Kind.COMPLAINT,
        status=Status.REGISTERED,
        received_at=received_at,
        intake_channel=channel,
        external_ref=external_ref.strip(),
        referrer_received_on=referrer_received_on,
        unit=unit,
        complained_unit=complained_unit,
        complained_staff=complained_staff,
        complained_staff_name=complained_staff_name.strip()
        or (complained_staff.display_name if complained_staff else ""),
        handler=handler,
        title=title.strip(),
        narrative=narrative.strip(),
        demand_text=demand_text.strip(),
        amount=amount,
        business_channel=channel_term,
        business_category=category_term,
        cause=cause_term,
        level=level_term,
        group_size=size,
        is_major=is_major,
        major_reason=MajorReason.GROUP if is_major else "",
        deadline_policy=clock.policy_snapshot(PolicyKind.COMPLAINT),
        created_by=actor,
    )
    complaint.allowed_days = int(complaint.deadline_policy["days"])
    clock.apply_deadline(complaint)
    # Personal data typed into the title, narrative or demand (the complainants' names included)
    # is masked and the text as typed sealed, here, so the bulk path (no save signals) does it too.
    complaint._seal_names = [p.name for p in people]  # type: ignore[attr-defined]
    seal_fields(complaint, COMPLAINT_SEALED_FIELDS, names=complaint._seal_names)  # type: ignore[attr-defined]
    return Registration(
        complaint=complaint,
        actor=actor,
        people=people,
        demand_terms=list(dict.fromkeys(demand_terms)),
        tag_terms=list(dict.fromkeys(tag_terms)),
        event_data={
            "channel": channel.code,
            "due_date": complaint.due_date.isoformat() if complaint.due_date else None,
            "group_size": size,
            "complained_staff": complained_staff.pk if complained_staff else None,
            "recusal_unchecked": complaint.recusal_unchecked,
            **({"contact_with_referrer": True} if contact_with_referrer else {}),
            **_forwarding(referrer_received_on, received_at),
        },
    )


@dataclass
class Registration:
    """A checked registration, not yet written: the case, its people, links and event data."""

    complaint: Complaint
    actor: User
    people: list[ComplainantData]
    demand_terms: list[TaxonomyTerm]
    tag_terms: list[TaxonomyTerm]
    event_data: dict[str, Any]


def _registering(prepare: Callable[P, Registration]) -> Callable[P, Complaint]:
    @functools.wraps(prepare)
    def register(*args: P.args, **kwargs: P.kwargs) -> Complaint:
        with transaction.atomic():
            return registration_save(prepare(*args, **kwargs))

    register.__name__ = register.__qualname__ = "complaint_register"
    register.__doc__ = (
        "Put a new complaint into the registry and start its clock (Art. 13, 18); the "
        "arguments are `registration_prepare`'s."
    )
    return register


complaint_register = _registering(registration_prepare)


def registration_save(reg: Registration) -> Complaint:
    """Write one prepared registration: the case, its links, complainants and events."""
    complaint = reg.complaint
    complaint.save()
    _numbered_later(complaint)
    # A new case has no links yet: insert them directly (`.set()` would read them back first).
    links: list[tuple[Any, list[TaxonomyTerm]]] = [
        (Complaint.demands.through, reg.demand_terms),
        (Complaint.tags.through, reg.tag_terms),
    ]
    for through, terms in links:
        if terms:
            through.objects.bulk_create(
                [through(complaint=complaint, taxonomyterm=t) for t in terms]
            )
    for person in reg.people:
        _save_complainant(complaint, person)
    _event(complaint, "register", actor=reg.actor, to_status=Status.REGISTERED, data=reg.event_data)
    if complaint.is_major:
        _escalate(
            complaint,
            actor=reg.actor,
            reason=f"{complaint.group_size}名投诉人共同投诉，自动认定为重大（群体性）投诉。",
        )
    return complaint


@transaction.atomic
def registrations_save_bulk(regs: Sequence[Registration]) -> list[Complaint]:
    """Write many prepared registrations with one insert per table (a bulk import's chunk):
    the same rows `registration_save` writes one by one, and the same event listeners called.
    Only inside `deferred_registry_numbers()`: the cases carry placeholders until `assign()`."""
    if _deferred.get() is None:
        raise RuntimeError("registrations_save_bulk needs deferred_registry_numbers()")
    complaints = Complaint.objects.bulk_create([r.complaint for r in regs])
    for complaint in complaints:
        _numbered_later(complaint)
    for through, attr in (
        (Complaint.demands.through, "demand_terms"),
        (Complaint.tags.through, "tag_terms"),
    ):
        rows: list[Any] = [
            through(complaint=r.complaint, taxonomyterm=t) for r in regs for t in getattr(r, attr)
        ]
        if rows:
            through.objects.bulk_create(rows)
    Complainant.objects.bulk_create(
        [_complainant_row(r.complaint, person) for r in regs for person in r.people]
    )
    now = _now()
    events = ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint=r.complaint,
                action="register",
                occurred_at=now,
                actor=r.actor if getattr(r.actor, "pk", None) else None,
                to_status=Status.REGISTERED,
                data=r.event_data,
            )
            for r in regs
        ]
    )
    for event in events:
        for listener in hooks.event_listeners:
            listener(event)
    for r in regs:
        if r.complaint.is_major:
            _escalate(
                r.complaint,
                actor=r.actor,
                reason=f"{r.complaint.group_size}名投诉人共同投诉，自动认定为重大（群体性）投诉。",
            )
    return complaints


def _forwarding(referrer_received_on: date | None, received_at: datetime) -> dict[str, Any]:
    """How many working days the referrer took to forward (Art. 33 allows 7), for the record."""
    if referrer_received_on is None:
        return {}
    allowed = int(clock.policy_snapshot(PolicyKind.REGULATOR_FORWARD)["days"])
    took = clock.forwarding_workdays(
        referrer_received_on=referrer_received_on, received_at=received_at
    )
    return {"forwarding_workdays": took, "forwarded_late": took > allowed}


# --- handling ------------------------------------------------------------------------------------


def _check_handler(handler: User, *, unit: Unit, complained_staff: User | None) -> None:
    if not handler.is_active:
        raise DomainError("处理人账号已停用。", field="handler")
    if complained_staff is not None and handler.pk == complained_staff.pk:
        raise DomainError("处理人不能是被投诉人本人（回避原则）。", code="recusal", field="handler")
    # The messages never name the person: a handler id from another branch, tried through the
    # API, must not tell the caller who that is.
    if not unit_in_scope(handler, unit):
        raise DomainError(
            "所选人员不属于该投诉的责任机构及其上级，不能担任处理人。", field="handler"
        )
    if not handler.has_perm("complaints.handle_complaint"):
        raise DomainError("所选人员没有办理投诉的权限。", field="handler")


@transaction.atomic
def complaint_accept(
    *, actor: User, complaint: Complaint, handler: User | None = None
) -> Complaint:
    """Accept the case for handling with one named handler (专人负责)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    handler = handler or complaint.handler or actor
    _check_handler(handler, unit=complaint.unit, complained_staff=complaint.complained_staff)
    complaint.handler = handler
    _transition(
        complaint, "accept", actor=actor, data={"handler": handler.pk}, update_fields=["handler"]
    )
    return complaint


@transaction.atomic
def complaint_assign(
    *, actor: User, complaint: Complaint, handler: User, reason: str = ""
) -> Complaint:
    _require(actor, "assign_complaint", complaint)
    complaint = _lock(complaint)
    target_status("assign", complaint.status)
    _check_handler(handler, unit=complaint.unit, complained_staff=complaint.complained_staff)
    previous = complaint.handler_id
    complaint.handler = handler
    _transition(
        complaint,
        "assign",
        actor=actor,
        reason=reason,
        data={"from": previous, "to": handler.pk},
        update_fields=["handler"],
    )
    return complaint


@transaction.atomic
def complaint_transfer(
    *, actor: User, complaint: Complaint, to_unit: Unit, reason: str
) -> Complaint:
    """Move a case to another unit in the actor's scope (misrouted at intake, or the unit that
    can resolve it). The deadline is the consumer's and does not change; the handler is
    cleared for the receiving unit to name its own, and that unit is told (xiaobao.watch)."""
    _require(actor, "assign_complaint", complaint)
    complaint = _lock(complaint)
    target_status("transfer", complaint.status)
    _need(reason, "移交须说明原因。", "reason")
    if to_unit is None:
        raise DomainError("请选择接收机构。", code="required", field="to_unit")
    if not to_unit.is_active:
        raise DomainError(f"{to_unit.name}已停用，不能接收投诉。", field="to_unit")
    if to_unit.pk == complaint.unit_id:
        raise DomainError("该投诉已由此机构负责，无需移交。", code="same_unit", field="to_unit")
    if not unit_in_scope(actor, to_unit):
        raise PermissionDeniedError(
            "只能移交到您管辖范围内的机构。", code="out_of_scope", field="to_unit"
        )
    before, previous_handler = complaint.unit, complaint.handler_id
    complaint.unit = to_unit
    complaint.handler = None
    _transition(
        complaint,
        "transfer",
        actor=actor,
        reason=reason.strip(),
        data={
            "from_unit": {"id": before.pk, "code": before.code, "name": before.name},
            "to_unit": {"id": to_unit.pk, "code": to_unit.code, "name": to_unit.name},
            "previous_handler": previous_handler,
            **_deadline_data(complaint),
        },
        update_fields=["unit", "handler"],
    )
    return complaint


def complaints_record_unit_move(
    *, actor: Any, unit: Unit, from_parent: Unit | None, to_parent: Unit
) -> int:
    """A sub-branch moved in the tree: who sees its cases changed, so each open case says so.

    Called by `organisation.services.unit_move` through its move listeners (inside the move's
    transaction); returns how many cases got an event."""
    cases = Complaint.objects.filter(
        unit__path__startswith=unit.path, status__in=OPEN_STATUSES
    ).select_related("unit")
    count = 0
    for complaint in cases.order_by("pk").iterator(chunk_size=500):
        _event(
            complaint,
            "unit_moved",
            actor=actor,
            reason=f"{unit.name}由{from_parent.name if from_parent else '—'}调整至{to_parent.name}",
            data={
                "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
                "from_parent": from_parent.pk if from_parent else None,
                "to_parent": to_parent.pk,
            },
        )
        count += 1
    return count


@transaction.atomic
def complaint_classify(
    *,
    actor: User,
    complaint: Complaint,
    business_channel: TaxonomyTerm | str | None = None,
    business_category: TaxonomyTerm | str | None = None,
    cause: TaxonomyTerm | str | None = None,
    level: TaxonomyTerm | str | None = None,
    demands: Iterable[TaxonomyTerm | str] | None = None,
    tags: Iterable[TaxonomyTerm | str] | None = None,
) -> Complaint:
    """Set or correct the classification; the event keeps both the old and the new codes."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("classify", complaint.status)
    before = _classification(complaint)
    fields = []
    for name, value, axis in (
        ("business_channel", business_channel, Axis.BUSINESS_CHANNEL),
        ("business_category", business_category, Axis.BUSINESS_CATEGORY),
        ("cause", cause, Axis.CAUSE),
        ("level", level, Axis.LEVEL),
    ):
        if value is not None:
            setattr(complaint, name, _term(value, axis, name))
            fields.append(name)
    if complaint.is_major and complaint.level.code != "MAJOR":
        raise DomainError("重大投诉的处理级别须为“重大”。", field="level")
    if demands is not None:
        complaint.demands.set(_terms(demands, Axis.DEMAND, "demands"))
    if tags is not None:
        complaint.tags.set(_terms(tags, Axis.TAG, "tags"))
    after = _classification(complaint)
    _transition(
        complaint,
        "classify",
        actor=actor,
        data={"before": before, "after": after},
        update_fields=fields,
    )
    return complaint


def _classification(complaint: Complaint) -> dict[str, Any]:
    return {
        "business_channel": complaint.business_channel.code if complaint.business_channel else None,
        "business_category": complaint.business_category.code
        if complaint.business_category
        else None,
        "cause": complaint.cause.code if complaint.cause else None,
        "level": complaint.level.code if complaint.level_id else None,
        "demands": sorted(complaint.demands.values_list("code", flat=True)),
        "tags": sorted(complaint.tags.values_list("code", flat=True)),
    }


def _deadline_data(complaint: Complaint) -> dict[str, Any]:
    return {
        "due_date": complaint.due_date.isoformat() if complaint.due_date else None,
        "allowed_days": complaint.allowed_days,
    }


@transaction.atomic
def complaint_pause(
    *,
    actor: User,
    complaint: Complaint,
    reason: str,
    told_by: str,
    note: str = "",
    started_at: datetime | None = None,
) -> Pause:
    """Stop the clock for appraisal, testing, valuation or mediation; the complainant is told."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("pause", complaint.status)
    if reason not in PauseReason.values:
        raise DomainError(
            "中止计时仅适用于鉴定、检测、评估或调解。", code="invalid_pause_reason", field="reason"
        )
    if told_by not in NoticeMethod.values:
        raise DomainError("请记录告知投诉人中止计时的方式。", code="required", field="told_by")
    started_at = started_at or _now()
    _not_future(started_at, "中止开始时间", "started_at")
    if complaint.due_at is not None and started_at >= complaint.due_at:
        raise DomainError(
            "办理期限已届满，不能再中止计时。", code="deadline_passed", field="started_at"
        )
    pause = Pause.objects.create(
        complaint=complaint,
        reason=reason,
        # Masked: the note as typed is sealed with the event (privacy.sealing).
        note=redact_text(note, names=complaint_known_names(complaint)),
        started_at=started_at,
        complainant_told_by=told_by,
        started_by=actor,
    )
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "pause",
        actor=actor,
        reason=note,
        data={"pause": pause.pk, "reason": reason, "told_by": told_by},
        update_fields=["due_date", "due_at", "deadline_explanation"],
    )
    return pause


@transaction.atomic
def complaint_resume(
    *, actor: User, complaint: Complaint, ended_at: datetime | None = None, note: str = ""
) -> Complaint:
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("resume", complaint.status)
    pause = complaint.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if pause is None:  # pragma: no cover - PAUSED always has an open pause
        raise DomainError("没有正在进行的中止计时。")
    ended_at = ended_at or _now()
    _not_future(ended_at, "恢复计时时间", "ended_at")
    if ended_at < pause.started_at:
        raise DomainError("恢复时间不能早于中止开始时间。", field="ended_at")
    pause.ended_at = ended_at
    pause.ended_by = actor
    pause.save(update_fields=["ended_at", "ended_by"])
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "resume",
        actor=actor,
        reason=note,
        data={"pause": pause.pk, **_deadline_data(complaint)},
        update_fields=["due_date", "due_at", "deadline_explanation"],
    )
    return complaint


@transaction.atomic
def complaint_add_new_facts(
    *, actor: User, complaint: Complaint, received_at: datetime, description: str
) -> Complaint:
    """New facts or material restart the clock from the day they arrive (Art. 18)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("add_new_facts", complaint.status)
    _need(description, "请说明补充的新事实或新材料。", "description")
    _not_future(received_at, "新材料接收时间", "received_at")
    earliest = complaint.clock_restarted_at or complaint.received_at
    if received_at < earliest:
        raise DomainError(
            "新材料接收时间不能早于投诉接收时间或上次重新起算时间。", field="received_at"
        )
    before = _deadline_data(complaint)
    complaint.clock_restarted_at = received_at
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "add_new_facts",
        actor=actor,
        reason=description,
        data={
            "before": before,
            "after": _deadline_data(complaint),
            "received_at": received_at.isoformat(),
        },
        update_fields=["clock_restarted_at", "due_date", "due_at", "deadline_explanation"],
    )
    return complaint


# --- extensions ----------------------------------------------------------------------------------


@transaction.atomic
def extension_request(
    *, actor: User, complaint: Complaint, target_days: int, reason: str
) -> Extension:
    """Ask to extend to 30 days (complex) or 60 days (especially complex) (Art. 18)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("extension_request", complaint.status)
    _need(reason, "申请延期须说明理由。", "reason")
    policy = complaint.deadline_policy
    allowed = [d for d in (policy.get("extension_days"), policy.get("max_extension_days")) if d]
    if not allowed:
        raise DomainError("该类案件不允许延期。", code="no_extension", field="target_days")
    if target_days not in allowed:
        options = "、".join(f"{d}日" for d in allowed)
        raise DomainError(f"延期只能延至{options}。", code="invalid_target", field="target_days")
    if target_days <= complaint.allowed_days:
        raise DomainError(
            f"当前期限已是{complaint.allowed_days}日，无需延至{target_days}日。",
            field="target_days",
        )
    if complaint.due_at is not None and _now() >= complaint.due_at:
        raise DomainError("办理期限已届满，不能再申请延期。", code="deadline_passed")
    if complaint.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise DomainError("该投诉已有待审批的延期申请。", code="pending_exists")
    extension = Extension.objects.create(
        complaint=complaint,
        target_days=target_days,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=_now(),
    )
    _transition(
        complaint,
        "extension_request",
        actor=actor,
        reason=reason,
        data={"extension": extension.pk, "target_days": target_days},
    )
    return extension


def _check_approver(actor: User, complaint: Complaint, target_days: int, requested_by: Any) -> None:
    if requested_by is not None and actor.pk == requested_by.pk:
        raise PermissionDeniedError("不能审批自己提出的延期申请。", code="self_approval")
    unit = complaint.unit
    if target_days <= int(complaint.deadline_policy.get("extension_days") or 30):
        _require(actor, "approve_extension_30", complaint)
        return
    # Beyond 30 days: the upper-level institution's head, or a head-office senior manager
    # (Art. 18). Checked by role as well as permission, so a group given the permission by hand
    # (a head-office officer, say) still cannot approve.
    _require(actor, "approve_extension_60", complaint)
    roles = user_roles(actor)
    upper_head = Role.UNIT_HEAD in roles and actor.unit.is_ancestor_of(unit)
    senior_manager = Role.HQ_SENIOR_MANAGER in roles and actor.unit.parent_id is None
    if not (upper_head or senior_manager):
        raise PermissionDeniedError(
            "延期至60日须由上级机构负责人或总行高级管理人员批准。", code="needs_upper_level"
        )


def _lock_pending_extension(actor: User, extension: Extension) -> tuple[Extension, Complaint]:
    """Lock a pending request and its case, and check the actor may decide it."""
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    complaint = _lock(extension.complaint)
    _check_approver(actor, complaint, extension.target_days, extension.requested_by)
    target_status("extension_decide", complaint.status)
    if extension.status != ExtensionStatus.PENDING:
        raise DomainError("该延期申请已审批。", code="already_decided")
    return extension, complaint


def _refuse_late_approval(complaint: Complaint) -> None:
    """An extension is approved only while the case is within its current deadline.

    We refuse a late approval rather than record it as late: approving on day 17 a request made
    on day 14 would otherwise move the deadline past a day on which the case was already
    overdue, and the case would count as timely. Refused, the deadline stays where it was, the
    case stays overdue, and the request can still be rejected to clear it."""
    if complaint.due_at is not None and _now() >= complaint.due_at:
        raise DomainError(
            f"办理期限已于{complaint.due_date:%Y年%m月%d日}届满，不能再批准延期；"
            "逾期的投诉不会因事后批准而视为按时办理。如需结束该申请，请驳回。",
            code="deadline_passed",
            field="decision",
        )


@transaction.atomic
def extension_approve(
    *,
    actor: User,
    extension: Extension,
    note: str = "",
    told_by: str = "",
    told_at: datetime | None = None,
) -> Extension:
    extension, complaint = _lock_pending_extension(actor, extension)
    _refuse_late_approval(complaint)
    long_extension = extension.target_days > int(
        complaint.deadline_policy.get("extension_days") or 30
    )
    if long_extension:
        if told_by not in NoticeMethod.values or told_at is None:
            raise DomainError(
                "延期至60日须告知投诉人，请记录告知方式和时间。",
                code="notice_required",
                field="told_by",
            )
        _not_future(told_at, "告知时间", "told_at")
    extension.status = ExtensionStatus.APPROVED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note
    extension.complainant_told_by = told_by
    extension.complainant_told_at = told_at
    extension.save()
    before = _deadline_data(complaint)
    complaint.allowed_days = extension.target_days
    complaint.extension_approved = True
    clock.apply_deadline(complaint)
    _transition(
        complaint,
        "extension_decide",
        actor=actor,
        reason=note,
        data={
            "extension": extension.pk,
            "approved": True,
            "before": before,
            "after": _deadline_data(complaint),
        },
        update_fields=[
            "allowed_days",
            "extension_approved",
            "due_date",
            "due_at",
            "deadline_explanation",
        ],
    )
    return extension


@transaction.atomic
def extension_reject(*, actor: User, extension: Extension, note: str) -> Extension:
    extension, complaint = _lock_pending_extension(actor, extension)
    _need(note, "驳回延期申请须说明理由。", "note")
    extension.status = ExtensionStatus.REJECTED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note
    extension.save()
    _transition(
        complaint,
        "extension_decide",
        actor=actor,
        reason=note,
        data={"extension": extension.pk, "approved": False},
    )
    return extension


# --- decision, notice, closing -------------------------------------------------------------------


@transaction.atomic
def complaint_decide(
    *,
    actor: User,
    complaint: Complaint,
    verified_facts: str,
    outcome: str,
    basis: str,
    reasons: str,
    routes: Sequence[str],
    compensation: Decimal | None = None,
    text: str = "",
    decided_at: datetime | None = None,
    imported: bool = False,
) -> Decision:
    """Record the decision (Art. 19): what was verified, outcome, basis, reasons, routes open.

    `decided_at` may be earlier than the entry (see `_claimed_moment`); the event keeps both.
    `imported`: a historical case moved in from a ledger that never stated its outcome may be
    recorded as 未注明 (excluded from outcome statistics); a handler always chooses one.
    """
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("decide", complaint.status)
    claimed = _claimed_moment(complaint, decided_at, "决定时间", "decided_at")
    _need(verified_facts, "请填写核实情况。", "verified_facts")
    _need(basis, "请填写处理依据。", "basis")
    _need(reasons, "请填写处理理由。", "reasons")
    if outcome not in Outcome.values or (outcome == Outcome.UNSTATED and not imported):
        raise DomainError("请选择处理结果。", code="required", field="outcome")
    missing = [
        label
        for label, value in (
            ("业务办理渠道", complaint.business_channel_id),
            ("业务类别", complaint.business_category_id),
            ("投诉原因", complaint.cause_id),
        )
        if value is None
    ]
    if missing:
        raise DomainError(f"作出决定前须完成分类：{'、'.join(missing)}。", code="unclassified")
    routes = list(dict.fromkeys(routes))
    if not routes or any(r not in Route.values for r in routes):
        raise DomainError(
            "须告知投诉人仍可采取的救济途径（核查、调解、仲裁、诉讼）。", field="routes"
        )
    if complaint.is_review and Route.REVIEW in routes:
        raise DomainError("核查决定不能再告知申请核查。", field="routes")
    if compensation is not None and compensation < 0:
        raise DomainError("补偿金额不能为负数。", field="compensation")
    now = claimed
    decision = Decision.objects.create(
        complaint=complaint,
        verified_facts=verified_facts.strip(),
        outcome=outcome,
        basis=basis.strip(),
        reasons=reasons.strip(),
        text=text.strip(),
        compensation=compensation,
        routes=routes,
        decided_by=actor,
        decided_at=now,
    )
    complaint.decided_at = now
    if complaint.review_of_id:
        # The reviewed case carries its review's latest outcome for the statistics.
        Complaint.objects.filter(pk=complaint.review_of_id).update(review_outcome=outcome)
    _transition(
        complaint,
        "decide",
        actor=actor,
        data={
            "outcome": outcome,
            "routes": routes,
            "compensation": str(compensation or ""),
            "claimed_at": claimed.isoformat(),
            "entered_at": _now().isoformat(),
        },
        update_fields=["decided_at"],
    )
    return decision


@transaction.atomic
def complaint_notify(
    *,
    actor: User,
    complaint: Complaint,
    method: str,
    given_at: datetime,
    evidence: str = "",
    given_by: User | None = None,
    use_letter: bool = False,
) -> Notice:
    """Record that the decision reached the consumer; timeliness is judged by `given_at`, the
    claimed moment (which may be earlier than the entry, within the look-back). A 答复函
    generated by `complaint_letter_generate` and sent counts as the evidence (`use_letter`)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("notify", complaint.status)
    if method not in NoticeMethod.values:
        raise DomainError("请选择告知方式。", code="required", field="method")
    if use_letter:
        letter = complaint.events.filter(action="letter_generated").order_by("-occurred_at").first()
        if letter is None:
            raise DomainError(
                "尚未生成答复函，不能以答复函作为告知凭证。",
                code="no_letter",
                field="use_letter",
            )
        evidence = "；".join(
            part
            for part in (
                f"系统生成答复函 {letter.data['ref']}（SHA-256 {letter.data['sha256'][:16]}）",
                evidence.strip(),
            )
            if part
        )
    _need(evidence, "请记录告知凭证（如挂号信单号、短信记录、通话录音编号）。", "evidence")
    given_at = _claimed_moment(complaint, given_at, "告知时间", "given_at")
    if complaint.decided_at and given_at < complaint.decided_at - timedelta(minutes=5):
        raise DomainError("告知时间不能早于作出决定的时间。", field="given_at")
    notice = Notice.objects.create(
        complaint=complaint,
        method=method,
        given_at=given_at,
        evidence=evidence.strip(),
        given_by=given_by or actor,
    )
    complaint.notified_at = given_at
    complaint.timely = complaint.due_at is not None and given_at < complaint.due_at
    _transition(
        complaint,
        "notify",
        actor=actor,
        data={
            "method": method,
            "given_at": given_at.isoformat(),
            "claimed_at": given_at.isoformat(),
            "entered_at": _now().isoformat(),
            "timely": complaint.timely,
            "letter": use_letter,
        },
        update_fields=["notified_at", "timely"],
    )
    return notice


@dataclass
class Letter:
    """A generated 答复函: its reference, Word file, digest and the SMS text."""

    ref: str
    docx: bytes
    sha256: str
    sms: str
    pdf: bytes = b""  # when asked for: the same letter printed to PDF
    pdf_sha256: str = ""


@transaction.atomic
def complaint_letter_generate(*, actor: User, complaint: Complaint, pdf: bool = False) -> Letter:
    """Produce the 答复函 (Word, and PDF when `pdf`) and SMS text from the recorded decision; the
    event keeps the letter's reference and digests, so that once sent it can serve as the
    notice's evidence."""
    import hashlib

    from xiaobao.complaints.letters import letter_docx, letter_pdf, letter_text

    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    decision = Decision.objects.filter(complaint=complaint).select_related("decided_by").first()
    if decision is None or complaint.status not in (Status.DECIDED, Status.NOTIFIED, Status.CLOSED):
        raise InvalidTransitionError("尚未作出处理决定，不能生成答复函。", code="no_decision")
    window = review_deadline(complaint)
    from xiaobao.privacy.services import can_unmask

    text = letter_text(
        complaint,
        decision,
        review_by=window[0] if window is not None else None,
        named=can_unmask(actor, complaint.unit),
    )
    docx = letter_docx(text)
    printed = letter_pdf(text) if pdf else b""  # no browser: DomainError, nothing recorded
    count = complaint.events.filter(action="letter_generated").count()
    ref = f"{complaint.registry_no}-DF{count + 1:02d}"
    digest = hashlib.sha256(docx).hexdigest()
    pdf_digest = hashlib.sha256(printed).hexdigest() if printed else ""
    _event(
        complaint,
        "letter_generated",
        actor=actor,
        data={
            "ref": ref,
            "sha256": digest,
            "sms": text.sms,
            **({"pdf_sha256": pdf_digest} if printed else {}),
        },
    )
    return Letter(
        ref=ref, docx=docx, sha256=digest, sms=text.sms, pdf=printed, pdf_sha256=pdf_digest
    )


@dataclass
class RectificationData:
    department: Department
    description: str
    due_date: date


@transaction.atomic
def complaint_close(
    *,
    actor: User,
    complaint: Complaint,
    root_cause: str,
    at_fault: bool,
    rectifications: Sequence[RectificationData] = (),
) -> Complaint:
    """Close with a cause analysis; a product or process at fault owes a rectification (Art. 26)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("close", complaint.status)
    _need(root_cause, "办结前须填写原因分析。", "root_cause")
    if at_fault and not rectifications:
        raise DomainError(
            "产品或流程存在问题的，须向责任部门下达整改任务。",
            code="rectification_required",
            field="rectifications",
        )
    today = _now().astimezone(TZ).date()
    for i, r in enumerate(rectifications):
        _need(r.description, f"第{i + 1}项整改任务：请填写整改要求。", "rectifications")
        if r.due_date < today:
            raise DomainError(
                f"第{i + 1}项整改任务：整改期限不能早于今天。", field="rectifications"
            )
    tasks = [
        task_create(
            actor=actor,
            source=complaint,
            source_kind=TaskSourceKind.COMPLAINT_RECTIFICATION,
            source_label=complaint.registry_no,
            source_url=reverse("complaints:detail", args=[complaint.pk]),
            issuing_unit=complaint.unit,
            owner_unit=r.department.unit,
            owner_department=r.department,
            title=f"投诉{complaint.registry_no}溯源整改",
            description=r.description.strip(),
            due_date=r.due_date,
        )
        for r in rectifications
    ]
    complaint.root_cause = root_cause.strip()
    complaint.at_fault = at_fault
    complaint.ended_at = _now()
    _transition(
        complaint,
        "close",
        actor=actor,
        data={"at_fault": at_fault, "rectifications": [t.pk for t in tasks]},
        update_fields=["root_cause", "at_fault", "ended_at"],
    )
    return complaint


# --- ending without a decision -------------------------------------------------------------------


@transaction.atomic
def complaint_withdraw(
    *, actor: User, complaint: Complaint, received_at: datetime, note: str = ""
) -> Complaint:
    """The complainant withdraws: the case ends on the day the withdrawal arrives (Art. 15)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("withdraw", complaint.status)
    _not_future(received_at, "撤诉时间", "received_at")
    if received_at < complaint.received_at:
        raise DomainError("撤诉时间不能早于投诉接收时间。", field="received_at")
    complaint.ended_at = received_at
    complaint.end_reason = note.strip()
    _close_open_pause(complaint, received_at, actor)
    _transition(
        complaint,
        "withdraw",
        actor=actor,
        reason=note,
        data={"received_at": received_at.isoformat()},
        update_fields=["ended_at", "end_reason"],
    )
    return complaint


def _close_open_pause(complaint: Complaint, at: datetime, actor: User) -> None:
    complaint.pauses.filter(ended_at__isnull=True).update(ended_at=at, ended_by=actor)


class DeclineGround:
    NOT_A_COMPLAINT = "not_a_complaint"  # an enquiry, tip-off or petition (Art. 2)
    NO_STANDING = "no_standing"  # filed by someone who is not the consumer, guardian or agent

    labels = {
        NOT_A_COMPLAINT: "不属于投诉（咨询、举报或信访）",
        NO_STANDING: "投诉人非消费者本人、监护人或代理人",
    }


@transaction.atomic
def complaint_decline(
    *, actor: User, complaint: Complaint, ground: str, reason: str, told_by: str
) -> Complaint:
    """Decline with notice: not a complaint (Art. 2) or no standing to complain."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("decline", complaint.status)
    if ground not in DeclineGround.labels:
        raise DomainError("请选择不予受理的理由。", code="required", field="ground")
    _need(reason, "请说明不予受理的具体理由。", "reason")
    if told_by not in NoticeMethod.values:
        raise DomainError(
            "不予受理须告知投诉人，请记录告知方式。", code="notice_required", field="told_by"
        )
    if ground == DeclineGround.NO_STANDING:
        standing = complaint.complainants.exclude(role=ComplainantRole.OTHER)
        if standing.exists():
            raise DomainError(
                "投诉人为消费者本人、监护人、代理人、继承人或单位时，不能以主体不适格为由不予受理。",
                code="has_standing",
                field="ground",
            )
    complaint.ended_at = _now()
    complaint.end_reason = f"{DeclineGround.labels[ground]}：{reason.strip()}"
    _transition(
        complaint,
        "decline",
        actor=actor,
        reason=reason,
        data={"ground": ground, "told_by": told_by},
        update_fields=["ended_at", "end_reason"],
    )
    return complaint


@transaction.atomic
def complaint_merge(
    *, actor: User, complaint: Complaint, into: Complaint, new_facts: bool = False, note: str = ""
) -> Complaint:
    """Merge a repeat filing into the open case; new facts in it restart that case's clock."""
    _require(actor, "handle_complaint", complaint)
    _require(actor, "handle_complaint", into)
    if complaint.pk == into.pk:
        raise DomainError("不能把投诉合并到它自己。", field="into")
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([complaint, into], key=lambda c: c.pk)
    locked = {c.pk: _lock(c) for c in (first, second)}
    complaint, into = locked[complaint.pk], locked[into.pk]
    target_status("merge", complaint.status)
    target_status("merge_target", into.status)
    if into.kind != complaint.kind:
        raise DomainError("投诉与核查案件不能互相合并。", field="into")
    complaint.merged_into = into
    complaint.ended_at = _now()
    complaint.end_reason = note.strip()
    _close_open_pause(complaint, complaint.ended_at, actor)
    _transition(
        complaint,
        "merge",
        actor=actor,
        reason=note,
        data={"into": into.registry_no},
        update_fields=["merged_into", "ended_at", "end_reason"],
    )
    fields: list[str] = []
    data: dict[str, Any] = {"from": complaint.registry_no, "new_facts": new_facts}
    if new_facts:
        restart = max(complaint.received_at, into.clock_restarted_at or into.received_at)
        data["before"] = _deadline_data(into)
        into.clock_restarted_at = restart
        clock.apply_deadline(into)
        data["after"] = _deadline_data(into)
        fields = ["clock_restarted_at", "due_date", "due_at", "deadline_explanation"]
    _transition(into, "merge_target", actor=actor, reason=note, data=data, update_fields=fields)
    return into


# --- major complaints ----------------------------------------------------------------------------


@transaction.atomic
def complaint_flag_major(*, actor: User, complaint: Complaint, reason: str, note: str) -> Complaint:
    """Designate a major complaint (disaster, accident, public health, regulator, group)."""
    _require(actor, "flag_major", complaint)
    complaint = _lock(complaint)
    target_status("flag_major", complaint.status)
    if reason not in MajorReason.values:
        raise DomainError("请选择重大投诉的认定原因。", code="required", field="reason")
    _need(note, "请说明认定为重大投诉的情况。", "note")
    if complaint.is_major:
        raise DomainError("该投诉已认定为重大投诉。", code="already_major")
    complaint.is_major = True
    complaint.major_reason = reason
    major = _term("MAJOR", Axis.LEVEL, "level")
    assert major is not None
    complaint.level = major
    _transition(
        complaint,
        "flag_major",
        actor=actor,
        reason=note,
        data={"reason": reason},
        update_fields=["is_major", "major_reason", "level"],
    )
    _escalate(complaint, actor=actor, reason=note)
    return complaint


# --- reviews and follow-up -----------------------------------------------------------------------


def review_deadline(complaint: Complaint) -> tuple[date, datetime] | None:
    """Last day and exclusive end of the window to ask for a review (30 days from notice)."""
    if complaint.notified_at is None:
        return None
    days = int(clock.policy_snapshot(PolicyKind.REVIEW_REQUEST)["days"])
    return review_window(notice_at=complaint.notified_at, days=days)


@transaction.atomic
def review_request(
    *,
    actor: User,
    complaint: Complaint,
    requested_at: datetime,
    narrative: str,
    intake_channel: TaxonomyTerm | str = "LETTER",
) -> Complaint:
    """A written request to the upper level to review a decision: its own case (Art. 20)."""
    complaint = _lock(complaint)
    reviewing_unit = complaint.unit.parent or complaint.unit
    _require(actor, "add_complaint", unit=reviewing_unit)
    target_status("review_request", complaint.status)
    if complaint.is_review:
        raise DomainError("核查决定为最终答复，不能再申请核查。", code="review_of_review")
    _need(narrative, "请填写核查申请的事实与理由。", "narrative")
    _not_future(requested_at, "核查申请时间", "requested_at")
    window = review_deadline(complaint)
    assert window is not None  # NOTIFIED and CLOSED cases always have a notice
    last_day, window_end = window
    if requested_at >= window_end:
        raise DomainError(
            f"核查申请须在收到处理决定之日起30日内提出（最迟{last_day:%Y年%m月%d日}），已超过期限。",
            code="review_window_passed",
            field="requested_at",
        )
    # Forms record minutes: a request in the same minute as the notice is not "before" it.
    if requested_at < complaint.notified_at.replace(second=0, microsecond=0):  # type: ignore[union-attr]
        raise DomainError("核查申请时间不能早于处理决定告知时间。", field="requested_at")
    if complaint.reviews.exists():
        raise DomainError("该投诉已申请过核查。", code="review_exists")
    channel = _term(intake_channel, Axis.INTAKE_CHANNEL, "intake_channel")
    local = requested_at.astimezone(TZ)
    review = Complaint(
        registry_no=_next_registry_no(Kind.REVIEW, local.year),
        kind=Kind.REVIEW,
        status=Status.REGISTERED,
        received_at=requested_at,
        intake_channel=channel,
        unit=reviewing_unit,
        complained_unit=complaint.complained_unit,
        complained_staff=complaint.complained_staff,
        complained_staff_name=complaint.complained_staff_name,
        title=f"核查：{complaint.title}"[:120],
        narrative=narrative.strip(),
        amount=complaint.amount,
        business_channel=complaint.business_channel,
        business_category=complaint.business_category,
        cause=complaint.cause,
        level=complaint.level,
        group_size=complaint.group_size,
        is_major=complaint.is_major,
        major_reason=complaint.major_reason,
        review_of=complaint,
        deadline_policy=clock.policy_snapshot(PolicyKind.REVIEW),
        created_by=actor,
    )
    review.allowed_days = int(review.deadline_policy["days"])
    clock.apply_deadline(review)
    review.save()
    _numbered_later(review)
    review.demands.set(complaint.demands.all())
    review.tags.set(complaint.tags.all())
    for person in complaint.complainants.all():
        person.pk = None
        person.complaint = review
        person.save()
    _event(
        review,
        "review_registered",
        actor=actor,
        to_status=Status.REGISTERED,
        data={
            "review_of": complaint.registry_no,
            "due_date": review.due_date.isoformat() if review.due_date else None,
        },
    )
    complaint.review_requested = True
    _transition(
        complaint,
        "review_request",
        actor=actor,
        reason=narrative,
        data={"review": review.registry_no},
        update_fields=["review_requested"],
    )
    return review


@transaction.atomic
def follow_up_record(
    *,
    actor: User,
    complaint: Complaint,
    result: str,
    method: str,
    comments: str = "",
    made_at: datetime | None = None,
) -> FollowUp:
    """The satisfaction call after closing (回访)."""
    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    target_status("follow_up", complaint.status)
    if result not in Satisfaction.values:
        raise DomainError("请选择回访结果。", code="required", field="result")
    if method not in NoticeMethod.values:
        raise DomainError("请选择回访方式。", code="required", field="method")
    made_at = made_at or _now()
    _not_future(made_at, "回访时间", "made_at")
    follow_up = FollowUp.objects.create(
        complaint=complaint,
        result=result,
        method=method,
        comments=comments.strip(),
        made_by=actor,
        made_at=made_at,
    )
    # The latest reachable call (by when it was made, which may be back-dated) is the case's.
    complaint.follow_up_result = (
        complaint.follow_ups.exclude(result=Satisfaction.UNREACHABLE)
        .order_by("-made_at", "-pk")
        .values_list("result", flat=True)
        .first()
        or ""
    )
    _transition(
        complaint,
        "follow_up",
        actor=actor,
        reason=comments,
        data={"result": result, "method": method},
        update_fields=["follow_up_result"],
    )
    return follow_up


__all__ = [
    "ComplainantData",
    "DeclineGround",
    "RectificationData",
    "complaint_accept",
    "complaint_add_new_facts",
    "complaint_assign",
    "complaint_classify",
    "complaint_close",
    "complaint_decide",
    "complaint_decline",
    "complaint_flag_major",
    "complaint_letter_generate",
    "complaint_merge",
    "complaint_notify",
    "complaint_pause",
    "complaint_register",
    "complaint_resume",
    "complaint_transfer",
    "complaint_withdraw",
    "complaints_record_unit_move",
    "extension_approve",
    "extension_reject",
    "extension_request",
    "follow_up_record",
    "review_deadline",
    "review_request",
]


# --- personal data and retention ----------------------------------------------------------------


def complainant_reveal(*, actor: User, complainant: Complainant, field: str, reason: str) -> str:
    """Show one personal field in full: needs the right, the case in scope, and a stated reason."""
    from xiaobao.privacy.services import personal_data_reveal

    complaint = complainant.complaint
    return personal_data_reveal(
        actor=actor,
        obj=complainant,
        field=field,
        reason=reason,
        unit=complaint.unit,
        case_ref=complaint.registry_no,
    )


def complaint_text_reveal(
    *, actor: User, complaint: Complaint, field: str, reason: str, event: int | None = None
) -> str:
    """Show free text as typed (title, narrative, demand, or one event's note) where personal
    data in it is masked: the same right, scope, reason and access log as any personal field."""
    from xiaobao.privacy.choices import TEXT_FIELD_LABELS
    from xiaobao.privacy.sealing import original
    from xiaobao.privacy.services import personal_data_reveal

    if field not in TEXT_FIELD_LABELS:
        raise DomainError(f"字段“{field}”不是可查看原文的内容。", field="field")
    obj: Any = complaint
    attribute = field
    if field == "event_reason":
        obj = complaint.events.filter(pk=event).first() if event else None
        if obj is None:
            raise DomainError("请选择要查看原文的处理记录。", code="not_found", field="event")
        attribute = "reason"
    return personal_data_reveal(
        actor=actor,
        obj=obj,
        field=field,
        reason=reason,
        unit=complaint.unit,
        case_ref=complaint.registry_no,
        value=lambda: original(obj, attribute),
    )


@transaction.atomic
def complaint_set_legal_hold(
    *, actor: User, complaint: Complaint, hold: bool, reason: str
) -> Complaint:
    """Place or lift a legal hold: a held file is never anonymised, whatever its age."""
    _require(actor, "set_legal_hold", complaint)
    complaint = _lock(complaint)
    _need(reason, "请说明设置或解除保全的原因。", "reason")
    if complaint.legal_hold == hold:
        raise DomainError("保全状态未改变。", code="unchanged")
    if complaint.anonymised_at is not None:
        raise DomainError("该投诉档案已匿名化。", code="anonymised")
    complaint.legal_hold = hold
    complaint.legal_hold_reason = reason.strip() if hold else ""
    complaint.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    _event(
        complaint,
        "legal_hold" if hold else "legal_hold_release",
        actor=actor,
        reason=reason,
        data={"from": not hold, "to": hold},
    )
    return complaint


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    complaint: Complaint,
    upload: Any,
    sha256: str,
    content_type: str,
    description: str = "",
) -> Any:
    """Keep a checked file with the case (type and size are checked by the caller's form)."""
    from xiaobao.complaints.models import Attachment

    _require(actor, "handle_complaint", complaint)
    complaint = _lock(complaint)
    if complaint.anonymised_at is not None:
        raise DomainError("该投诉档案已匿名化，不能再添加附件。")
    attachment = Attachment(
        complaint=complaint,
        original_name=str(upload.name)[:200],
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        description=description.strip(),
        uploaded_by=actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    _event(
        complaint,
        "attachment_add",
        actor=actor,
        reason=description,
        data={
            "attachment": attachment.pk,
            "name": attachment.original_name,
            "size": attachment.size,
        },
    )
    return attachment


def duplicates_for(*, phone: str = "", id_number: str = "", exclude_pk: int | None = None) -> Any:
    """Open cases of the same complainant, found by keyed hash (no decryption)."""
    from django.db.models import Q

    from xiaobao.complaints.choices import OPEN_STATUSES

    match = Q(pk__in=[])
    if phone:
        match |= Q(phone_hash=blind_index(phone, kind="phone"))
    if id_number:
        match |= Q(id_number_hash=blind_index(id_number, kind="id_number"))
    # The people as an id subquery: no join, so no DISTINCT for callers to sort through.
    people = Complainant.objects.filter(match).values("complaint_id")
    qs = Complaint.objects.filter(pk__in=people, status__in=OPEN_STATUSES)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs
