"""Registration: complainants, checks, the one-case and the bulk (import) paths."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.complaints import clock, hooks
from xiaobao.complaints.choices import (
    Axis,
    ComplainantRole,
    IdType,
    Kind,
    MajorReason,
    PolicyKind,
    Status,
)
from xiaobao.complaints.models import (
    COMPLAINT_SEALED_FIELDS,
    Complainant,
    Complaint,
    ComplaintEvent,
    TaxonomyTerm,
    name_index_for,
)
from xiaobao.complaints.services._common import (
    _CREDIT_CODE,
    _LANDLINE,
    _MOBILE,
    GROUP_THRESHOLD,
    MAX_GROUP_REPRESENTATIVES,
    REGULATOR_CHANNELS,
    P,
    _ancestors_payload,
    _check_handler,
    _deferred,
    _event,
    _late_registry_no,
    _load_terms,
    _need,
    _next_registry_no,
    _not_future,
    _now,
    _number_late,
    _numbered_later,
    _require,
    _term,
    _terms,
)
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import bulk
from xiaobao.lib.errors import DomainError, lazy_text
from xiaobao.organisation.models import Unit, User
from xiaobao.privacy.crypto import blind_index
from xiaobao.privacy.redaction import is_valid_id_number
from xiaobao.privacy.sealing import seal_fields
from xiaobao.reports import facts as statistics

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


# (`ComplainantRole.values` builds its list, with every label, on each use.)
_ROLES = tuple(ComplainantRole.values)
_SPACES_AND_HYPHENS = re.compile(r"[\s-]")


def _clean_complainant(
    data: ComplainantData, index: int, *, contact_with_referrer: bool = False
) -> ComplainantData:
    where = lazy_text("第%(n)s位投诉人", {"n": index + 1})
    field_prefix = f"complainants.{index}"
    _need(
        data.name,
        lazy_text("%(where)s：请填写姓名或单位名称。", {"where": where}),
        f"{field_prefix}.name",
    )
    if data.role not in _ROLES:
        raise DomainError(
            "%(where)s：身份“%(role)s”无效。",
            params={"where": where, "role": data.role},
            field=f"{field_prefix}.role",
        )
    unbroken = _SPACES_AND_HYPHENS.sub("", data.phone)
    phone = unbroken if _MOBILE.match(unbroken) else data.phone.strip()
    if phone and not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise DomainError(
            "%(where)s：联系电话“%(phone)s”格式不正确（手机号11位，座机如 0571-87654321）。",
            params={"where": where, "phone": phone},
            code="invalid_phone",
            field=f"{field_prefix}.phone",
        )
    if not (phone or data.email.strip() or data.address.strip() or contact_with_referrer):
        raise DomainError(
            "%(where)s：请至少留下一种联系方式（电话、邮箱或地址）。",
            params={"where": where},
            code="contact_required",
            field=f"{field_prefix}.phone",
        )
    id_number = data.id_number.strip().upper()
    if data.role == ComplainantRole.ORGANISATION:
        if data.id_type != IdType.CREDIT_CODE or not _CREDIT_CODE.match(id_number):
            raise DomainError(
                "%(where)s：单位投诉须填写18位统一社会信用代码。",
                params={"where": where},
                code="invalid_credit_code",
                field=f"{field_prefix}.id_number",
            )
        _need(
            data.legal_representative,
            lazy_text("%(where)s：单位投诉须填写法定代表人。", {"where": where}),
            f"{field_prefix}.legal_representative",
        )
    elif data.id_type == IdType.RESIDENT_ID and id_number and not is_valid_id_number(id_number):
        raise DomainError(
            "%(where)s：居民身份证号码“%(id_number)s”校验不通过，请核对。",
            params={"where": where, "id_number": id_number},
            code="invalid_id_number",
            field=f"{field_prefix}.id_number",
        )
    if data.role in (ComplainantRole.GUARDIAN, ComplainantRole.AGENT, ComplainantRole.HEIR):
        _need(
            data.represents,
            lazy_text("%(where)s：监护人、代理人或继承人须填写所代表的消费者。", {"where": where}),
            f"{field_prefix}.represents",
        )
    card = _SPACES_AND_HYPHENS.sub("", data.card_number)
    if card and not (card.isdigit() and 12 <= len(card) <= 19):
        raise DomainError(
            "%(where)s：银行卡号应为12至19位数字。",
            params={"where": where},
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
    return Complainant(complaint=complaint, **dict(zip(_PERSON, _person(data), strict=True)))


# A complainant's fields besides the case, as `_person` gives their values.
_PERSON = (
    "role",
    "name",
    "id_type",
    "id_number",
    "phone",
    "email",
    "address",
    "card_number",
    "id_number_hash",
    "phone_hash",
    "card_hash",
    "name_index",
    "legal_representative",
    "represents",
    "is_representative",
)


def _person(data: ComplainantData) -> tuple[Any, ...]:
    """The values of a complainant's row (`_PERSON` order), the case aside."""
    return (
        data.role,
        data.name,
        data.id_type,
        data.id_number,
        data.phone,
        data.email,
        data.address,
        data.card_number,
        blind_index(data.id_number, kind="id_number") if data.id_number else "",
        blind_index(data.phone, kind="phone") if data.phone else "",
        blind_index(data.card_number, kind="card") if data.card_number else "",
        name_index_for(data.name),
        data.legal_representative,
        data.represents,
        data.is_representative,
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
    """Check a registration and build the case in memory, writing nothing: the case carries a
    placeholder number (`registration_save` takes the real one last, an import at its end);
    `registration_save` or `registrations_save_bulk` writes it.

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
        _need(
            external_ref,
            lazy_text("%(channel)s转办的投诉须填写转办编号。", {"channel": channel.name}),
            "external_ref",
        )
        if referrer_received_on is None:
            raise DomainError(
                "%(channel)s转办的投诉须填写转办方受理日期。",
                params={"channel": channel.name},
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
            "当面群体投诉的代表不得超过%(limit)s名（当前%(reps)s名）。",
            params={"limit": MAX_GROUP_REPRESENTATIVES, "reps": reps},
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
        registry_no=_late_registry_no() or _next_registry_no(Kind.COMPLAINT, local_received.year),
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


def registration_renumber(reg: Registration) -> None:
    """Number a registration prepared in another process (an import's reader, under throw-away
    numbers of its own) from this process's numbering, as `registration_prepare` would have
    here: an import's reserved or deferred numbers, in the order its cases are written."""
    complaint = reg.complaint
    complaint.registry_no = _late_registry_no() or _next_registry_no(
        complaint.kind, complaint.received_at.astimezone(TZ).year
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
    people = [_save_complainant(complaint, person) for person in reg.people]
    written = statistics.NewCase(
        complaint, people, forwarded_late=bool(reg.event_data.get("forwarded_late"))
    )
    _event(
        complaint,
        "register",
        actor=reg.actor,
        to_status=Status.REGISTERED,
        data=reg.event_data,
        new_case=written,
    )
    if complaint.is_major:
        _escalate(
            complaint,
            actor=reg.actor,
            reason=f"{complaint.group_size}名投诉人共同投诉，自动认定为重大（群体性）投诉。",
        )
    _as_written(complaint, people=people, demands=reg.demand_terms, tags=reg.tag_terms)
    _number_late(complaint, complaint.kind, complaint.received_at.astimezone(TZ).year)
    return complaint


def _as_written(
    complaint: Complaint,
    *,
    people: list[Complainant],
    demands: list[TaxonomyTerm],
    tags: list[TaxonomyTerm],
) -> None:
    """Give the new case's relations what was just written, as a prefetch would, so that a
    response built from it (the API's) reads nothing back: a new case has no decision, notice,
    extension, follow-up or review yet. Adding to a relation later drops its copy, as usual."""
    written: dict[str, list[Any]] = {
        "complainants": people,
        "demands": demands,
        "tags": tags,
        "extensions": [],
        "follow_ups": [],
        "reviews": [],
    }
    cache = {}
    for name, rows in written.items():
        queryset = getattr(complaint, name).all()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        cache[name] = queryset
    complaint._prefetched_objects_cache = cache  # type: ignore[attr-defined]
    for name in ("decision", "notice"):
        Complaint._meta.get_field(name).set_cached_value(complaint, None)  # type: ignore[union-attr]


@transaction.atomic
def registrations_save_bulk(regs: Sequence[Registration]) -> list[Complaint]:
    """Write many prepared registrations with one insert per table (a bulk import's chunk):
    the same rows `registration_save` writes one by one, and the same event listeners called.
    Only inside `deferred_registry_numbers()`: the cases carry placeholders until `assign()`."""
    if _deferred.get() is None:
        raise RuntimeError("registrations_save_bulk needs deferred_registry_numbers()")
    complaints = bulk.insert([r.complaint for r in regs], keys=True)
    for complaint in complaints:
        _numbered_later(complaint)
    for through, attr in (
        (Complaint.demands.through, "demand_terms"),
        (Complaint.tags.through, "tag_terms"),
    ):
        bulk.insert_rows(
            through,
            ["complaint_id", "taxonomyterm_id"],
            ((r.complaint.pk, t.pk) for r in regs for t in getattr(r, attr)),
        )
    # The complainants as plain rows: nothing after the insert needs them as instances.
    people = [[_person(person) for person in r.people] for r in regs]
    bulk.insert_rows(
        Complainant,
        ("complaint_id", *_PERSON),
        ((r.complaint.pk, *row) for r, rows in zip(regs, people, strict=True) for row in rows),
    )
    now = _now()
    events = bulk.insert(
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
        ],
        keys=True,
    )
    hashes = _PERSON.index("id_number_hash"), _PERSON.index("phone_hash")
    statistics.refresh_new(
        [
            statistics.NewCase(
                r.complaint,
                [statistics.NewPerson(row[hashes[0]], row[hashes[1]]) for row in rows],
                forwarded_late=bool(r.event_data.get("forwarded_late")),
            )
            for r, rows in zip(regs, people, strict=True)
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
