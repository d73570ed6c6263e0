"""Registry numbers reserved ahead of a bulk import's rows, each block in a short transaction of
its own on a second connection (PostgreSQL; see `DeferredNumbers`).

A number taken inside the import's own transaction would keep the year's sequence row locked until
that transaction commits, minutes later. A reservation here locks it for one UPDATE and a commit,
and records itself in the audit log in that same transaction: whatever becomes of the import
afterwards (refused rows, a failed or rolled-back import, a process that died), every number it
took is accounted for by an audit row naming the import, its file and its user. At the end the
unused tail goes back to the sequence when nobody has taken a number since (a compare-and-set), and
what cannot go back is recorded as voided, with the reason.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.models import RegistrySequence

ALIAS = "registry_numbers"  # the second connection, registered for this thread while an import runs
LOCK_TIMEOUT = "60s"  # a reservation never waits longer for the sequence row: it fails instead

_TABLE = RegistrySequence._meta.db_table
_TAKE = f'UPDATE "{_TABLE}" SET "last" = "last" + %s WHERE "year" = %s RETURNING "last"'
_GIVE_BACK = f'UPDATE "{_TABLE}" SET "last" = %s WHERE "year" = %s AND "last" = %s'


def number_text(prefix: str, year: int, n: int) -> str:
    return f"{prefix}{year}-{n:06d}"


def ranges_text(prefix: str, year: int, ranges: list[tuple[int, int]]) -> str:
    return "、".join(
        number_text(prefix, year, a)
        if a == b
        else f"{number_text(prefix, year, a)} 至 {number_text(prefix, year, b)}"
        for a, b in ranges
    )


class NumberReserver:
    """Takes, gives back and voids blocks of registry numbers on its own connection; every
    change is committed at once, with its audit row. `held` lists how long each transaction kept
    the year's sequence row locked (the benchmark reports it)."""

    def __init__(self, *, actor: Any, source: str, label: str, run: int | None = None) -> None:
        from xiaobao.organisation.models import Unit

        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        # The registry is the institution's: its audit rows are filed under head office.
        self.unit_id = (
            Unit.objects.filter(parent__isnull=True).order_by("pk").values_list("pk", flat=True)
        ).first()
        self.source = source
        self.label = label
        self.run = run
        self.held: list[float] = []
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        connections[ALIAS] = self.connection

    def close(self) -> None:
        del connections[ALIAS]
        self.connection.close()

    def _audit(self, action: str, year: int, summary: str, data: dict[str, Any]) -> None:
        AuditEvent.objects.using(ALIAS).create(
            actor_id=self.actor_id,
            unit_id=self.unit_id,
            action=action,
            object_type=RegistrySequence._meta.label_lower,
            object_id=str(year),  # the year's `RegistrySequence`
            summary=summary[:255],
            data={"import": self.label, "file": self.source, "run": self.run, **data},
        )

    def _data(self, prefix: str, year: int, ranges: list[tuple[int, int]]) -> dict[str, Any]:
        return {
            "year": year,
            "prefix": prefix,
            "ranges": [[a, b] for a, b in ranges],
            "numbers": ranges_text(prefix, year, ranges),
            "count": sum(b - a + 1 for a, b in ranges),
        }

    def take(self, prefix: str, year: int, count: int) -> int:
        """Reserve `count` numbers of `year` and return the first."""
        started = time.perf_counter()
        with transaction.atomic(using=ALIAS), self.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(_TAKE, [count, year])
            row = cursor.fetchone()
            if row is None:  # the year's first number: its row is created once
                RegistrySequence.objects.using(ALIAS).get_or_create(year=year)
                cursor.execute(_TAKE, [count, year])
                row = cursor.fetchone()
            last = int(row[0])
            first = last - count + 1
            self._audit(
                "registry_numbers.reserved",
                year,
                f"批量导入（{self.source}）预留投诉编号 {ranges_text(prefix, year, [(first, last)])}",
                {**self._data(prefix, year, [(first, last)]), "why": "导入的下一批行"},
            )
        self.held.append(time.perf_counter() - started)
        return first

    def give_back(self, prefix: str, year: int, first: int, last: int) -> bool:
        """Return `first`…`last` to the sequence if they are still its last numbers."""
        started = time.perf_counter()
        with transaction.atomic(using=ALIAS), self.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(_GIVE_BACK, [first - 1, year, last])
            returned = cursor.rowcount == 1
            if returned:
                self._audit(
                    "registry_numbers.returned",
                    year,
                    f"批量导入（{self.source}）未使用的投诉编号 "
                    f"{ranges_text(prefix, year, [(first, last)])} 已退回，由之后的登记继续使用",
                    self._data(prefix, year, [(first, last)]),
                )
        self.held.append(time.perf_counter() - started)
        return returned

    def void(self, prefix: str, year: int, ranges: list[tuple[int, int]], why: str) -> None:
        """Record numbers no case will carry (somebody has taken later ones meanwhile)."""
        with transaction.atomic(using=ALIAS):
            self._audit(
                "registry_numbers.voided",
                year,
                f"批量导入（{self.source}）预留的投诉编号 {ranges_text(prefix, year, ranges)} "
                f"作废：{why}",
                {**self._data(prefix, year, ranges), "why": why},
            )
