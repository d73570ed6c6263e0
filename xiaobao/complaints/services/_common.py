"""Helpers every stage shares: rights, row locks, events and transitions, claimed moments,
taxonomy terms, registry numbers and the handler check."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, ParamSpec

from django.db import connection
from django.utils import timezone

from xiaobao.complaints import hooks
from xiaobao.complaints.choices import (
    Axis,
    Kind,
)
from xiaobao.complaints.models import (
    Complaint,
    ComplaintEvent,
    RegistrySequence,
    TaxonomyTerm,
)
from xiaobao.complaints.transitions import target_status
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import memo
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_text
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.reports import facts as statistics

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
    new_case: statistics.NewCase | None = None,
) -> ComplaintEvent:
    """Record `action` on the case, keep the statistics store in step and tell the listeners.
    `new_case`: the case was just registered (the store writes its rows from these objects)."""
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
    # Every change of a case writes an event: keep the store in step.
    statistics.refresh([complaint.pk], new=new_case)
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
        raise DomainError(
            "%(what)s不能晚于当前时间。",
            params={"what": lazy_text(what)},
            code="in_future",
            field=field_name,
        )


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
        raise DomainError(
            "%(what)s须包含时区。", params={"what": lazy_text(what)}, field=field_name
        )
    _not_future(moment, what, field_name)
    accepted = complaint.events.filter(action="accept").order_by("occurred_at").first()
    earliest = accepted.occurred_at if accepted is not None else complaint.received_at
    # Forms record minutes, and a notice follows its decision (checked by the caller) by
    # minutes: five minutes' grace, as elsewhere.
    if moment < earliest - timedelta(minutes=5):
        raise DomainError(
            "%(what)s不能早于受理时间（%(accepted_at)s）。",
            params={
                "what": lazy_text(what),
                "accepted_at": format(earliest.astimezone(TZ), "%Y-%m-%d %H:%M"),
            },
            code="before_acceptance",
            field=field_name,
        )
    days = _backdate_days()
    if moment < now - timedelta(days=days):
        raise DomainError(
            "%(what)s最多只能补记%(days)s日内的时间。",
            params={"what": lazy_text(what), "days": days},
            code="too_far_back",
            field=field_name,
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
                "%(axis)s代码“%(code)s”不存在。",
                params={"axis": axis.label, "code": value},
                code="unknown_code",
                field=field_name,
            )
        term = found
    if term.axis != axis:
        raise DomainError(
            "“%(term)s”不是%(axis)s代码。",
            params={"term": term.name, "axis": axis.label},
            code="wrong_axis",
            field=field_name,
        )
    if not term.is_active:
        raise DomainError(
            "%(axis)s“%(term)s”已停用，请选择在用的代码。",
            params={"axis": axis.label, "term": term.name},
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
    """Every (axis, code) asked for by code, from the process's copy of the taxonomy."""
    keys = {(str(axis), value) for axis, value in wanted if isinstance(value, str) and value}
    known = memo.remembered("taxonomy_terms", _all_terms, stamp=memo.TAXONOMY)
    return {key: known[key] for key in keys if key in known}


def _all_terms() -> dict[tuple[str, str], TaxonomyTerm]:
    # A few hundred rows: one read per process and taxonomy version beats one per form.
    return {(t.axis, t.code): t for t in TaxonomyTerm.objects.all()}


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
    """Registry numbers for a long transaction (a bulk import) that never keep the year's
    sequence locked for long. Two ways, chosen by `deferred_registry_numbers(reserver=…)`:

    * **reserved** (PostgreSQL, when the import's transaction is the outermost one): before each
      chunk is written, `need()` reserves the numbers its rows need through a `NumberReserver`,
      in a short transaction of its own on a second connection that commits at once (and records
      the reservation in the audit log). The sequence row is locked for milliseconds per chunk;
      other registrations go on between chunks and take the numbers after the block. The cases
      are written with their final numbers, in the order they are registered; nothing is
      renumbered. A number a refused row leaves (`release`) goes to the next row of the import,
      and unused numbers carry over to the next chunk. `settle()`, after the transaction ended,
      gives the unused tail back when nobody took a number since (compare-and-set) and records
      the rest in the audit log as voided, saying why: gaps are possible (a failed, rolled-back
      or crashed import), and every one is explained there.
    * **deferred** (SQLite, which has one writer anyway; a dry run; an import inside a caller's
      transaction, whose fate it cannot know): each case gets a placeholder
      (``~ab12TS2026-17``) and `assign()` takes all the numbers at the end with one UPDATE per
      year and renames the cases, in the order they were registered. A rolled-back import takes
      no number at all.

    Taking a number inside the import's own transaction instead would lock the year's sequence
    row until the import commits, holding up every other registration of that year for minutes."""

    PLACEHOLDER = re.compile(r"^~[0-9a-f]{4}(?P<prefix>TS|HC)(?P<year>\d{4})-(?P<n>\d+)$")

    def __init__(self, reserver: Any = None) -> None:
        self.token = secrets.token_hex(2)
        self.reserver = reserver  # a `numbering.NumberReserver`: the reserved way
        self.stopped = False  # an import that will be rolled back reserves nothing more
        self.counts: dict[tuple[str, int], int] = {}
        self.blocks: dict[tuple[str, int], list[list[int]]] = {}  # reserved, in order
        self.assigned: dict[tuple[str, int], int] = {}
        self.ids: tuple[int, int] | None = None  # lowest and highest primary key given one

    def need(self, wanted: Mapping[tuple[str, int], int]) -> None:
        """Reserve what the next cases ({(kind, year): count}) need beyond what is left over."""
        if self.reserver is None or self.stopped:
            return
        for (kind, year), count in sorted(wanted.items()):
            key = (_registry_prefix(kind), year)
            short = count - self._left(key)
            if short > 0:
                self._reserve(key, short)

    def stop(self) -> None:
        """The transaction will be rolled back: the next cases take placeholders."""
        self.stopped = True

    def _left(self, key: tuple[str, int]) -> int:
        reserved = sum(last - first + 1 for first, last in self.blocks.get(key, []))
        return reserved - self.counts.get(key, 0)

    def _reserve(self, key: tuple[str, int], count: int) -> None:
        first = self.reserver.take(key[0], key[1], count)
        blocks = self.blocks.setdefault(key, [])
        if blocks and blocks[-1][1] == first - 1:
            blocks[-1][1] = first + count - 1
        else:
            blocks.append([first, first + count - 1])

    def _nth(self, key: tuple[str, int], n: int) -> int:
        for first, last in self.blocks[key]:
            if n <= last - first + 1:
                return first + n - 1
            n -= last - first + 1
        raise IndexError(n)

    def placeholder(self, kind: str, year: int) -> str:
        """The case's number: a reserved one, or a placeholder for `assign` to replace."""
        key = (_registry_prefix(kind), year)
        self.counts[key] = n = self.counts.get(key, 0) + 1
        if self.reserver is not None and self._left(key) < 0 and not self.stopped:
            self._reserve(key, 1)  # not foreseen by `need` (it counts every row)
        if self.reserver is not None and self._left(key) >= 0:
            return f"{key[0]}{year}-{self._nth(key, n):06d}"
        return f"~{self.token}{key[0]}{year}-{n}"

    def mark(self) -> dict[tuple[str, int], int]:
        """Where the numbering stands, to `release()` what a rolled-back savepoint took."""
        return dict(self.counts)

    def release(self, mark: dict[tuple[str, int], int]) -> None:
        """Forget the numbers taken since `mark` (their cases were rolled back), so the next
        cases take them again and the numbers keep having no gaps."""
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

    def settle(self, *, kept: bool, why: str) -> None:
        """After the transaction ended (`kept`: committed): give the reserved numbers no kept
        case carries back to the sequence if nobody took one since, else record them in the
        audit log as voided (`why`). Each in its own committed transaction."""
        if self.reserver is None:
            return
        for key, blocks in sorted(self.blocks.items()):
            used = self.counts.get(key, 0) if kept else 0
            unused: list[tuple[int, int]] = []
            for first, last in blocks:
                size = last - first + 1
                if used < size:
                    unused.append((first + used, last))
                used = max(0, used - size)
            if unused and self.reserver.give_back(key[0], key[1], *unused[-1]):
                unused.pop()
            if unused:
                self.reserver.void(key[0], key[1], unused, why)

    def assign(self, chunk: int = 5_000) -> int:
        """Number every placeholder (inside the caller's transaction); returns how many.

        One UPDATE per prefix and year computes each number from its placeholder's ordinal,
        over the primary-key range the placeholders were given (other sessions' cases in that
        range keep their numbers: the LIKE leaves them out). It is called only when every case
        that took a placeholder was saved (a refused row's savepoint is rolled back and its
        placeholder `release`d), so the numbers have no gaps; a count that does not match
        aborts the transaction. With reserved numbers there is nothing to do."""
        if self.ids is None or self.reserver is not None:
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
def deferred_registry_numbers(reserver: Any = None) -> Iterator[DeferredNumbers]:
    """Cases registered inside take their numbers from the `DeferredNumbers` given: reserved
    through `reserver` (call `need()` before each chunk and `settle()` once the transaction has
    ended), or placeholders (call `assign()` before the transaction ends)."""
    numbers = DeferredNumbers(reserver)
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


# A registration's number is taken as its last write, not its first: the year's sequence row
# stays locked from the number until the commit, so every other registration of the year waits
# for that stretch (one statement and the commit, instead of the whole registration). Until
# then the case carries a placeholder of its own (64 random bits: no two cases share one).
_LATE = "~n"


def _late_registry_no() -> str:
    """A placeholder for `_number_late` to replace; an import's `DeferredNumbers` instead."""
    deferred = _deferred.get()
    if deferred is not None:
        return ""
    return f"{_LATE}{secrets.token_hex(8)}"


def _number_late(complaint: Complaint, kind: str, year: int) -> None:
    """Give a case registered with `_late_registry_no` its number (the caller's last write
    before commit), and let the edges that copied the placeholder put the number in its place."""
    if not complaint.registry_no.startswith(_LATE):
        return
    number = _next_registry_no(kind, year)
    Complaint.objects.filter(pk=complaint.pk).update(registry_no=number)
    complaint.registry_no = number
    for listener in hooks.renumber_listeners:
        listener([number])


def _ancestors_payload(unit: Unit) -> list[dict[str, Any]]:
    return [{"id": u.pk, "code": u.code, "name": u.name} for u in unit.ancestors()]


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
