"""Inserting many model objects at once, as fast as the database takes them.

`insert` is `QuerySet.bulk_create` for plain new rows, without building one multi-row INSERT
statement (whose every parameter Django compiles and the client quotes): COPY on PostgreSQL,
one `executemany` on SQLite, with the same values, for a fraction of the client's work. A bulk
import's chunks and the jobs it queues go through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, TypeVar, cast

from django.db import connection, models
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def insert(objs: list[M], *, keys: bool = False) -> list[M]:
    """Insert new `objs` (all of one model, without primary keys) like `bulk_create(objs)`.

    The values are each field's own `pre_save` and `get_db_prep_save`, as Django's INSERT takes
    them, sent with COPY on PostgreSQL and with one `executemany` on SQLite. `keys`: the objects
    get their primary keys (on PostgreSQL taken from the table's sequence beforehand, since COPY
    returns nothing; on SQLite, which has a single writer, the rows just inserted are numbered
    consecutively); otherwise they may not learn them. Like `bulk_create`: no save signals, and
    every foreign key must already hold its target's key."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor not in ("postgresql", "sqlite"):
        return model._default_manager.bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    postgres = connection.vendor == "postgresql"
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if keys and postgres:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(objs)],
            )
            for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = key
        with_pk = keys and postgres
        fields = [f for f in meta.concrete_fields if not f.generated and (with_pk or f is not pk)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        db = cursor.db  # the connection itself, not the thread-local proxy: asked per value
        plan = _Plan(fields, postgres)
        read = attrgetter(*(f.attname for f in fields))

        def values(obj: M) -> list[Any]:
            row = list(read(obj)) if len(fields) > 1 else [read(obj)]
            for i in plan.to_convert(row):
                field = fields[i]
                row[i] = field.get_db_prep_save(field.pre_save(obj, True), db)
            return row

        if postgres:
            # Errors as Django's own (IntegrityError …): the raw cursor is outside its wrapper.
            with (
                db.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for obj in objs:
                    copy.write_row(values(obj))
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", [values(o) for o in objs]
            )
            if keys:
                cursor.execute("SELECT last_insert_rowid()")
                last = cursor.fetchone()[0]
                for obj, key in zip(objs, range(last - len(objs) + 1, last + 1), strict=True):
                    obj.pk = key
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows of `model` without building model instances (link rows, statistics
    rows: thousands per import chunk): each row gives the values of the fields `names`, in that
    order, as the instances would hold them (a foreign key by its `…_id`). Fields not named take
    their defaults; there is no `pre_save`, so an `auto_now` field must be named. Returns the
    number of rows written. Like `insert`: COPY on PostgreSQL, `executemany` on SQLite."""
    meta = model._meta
    named = [cast("Field[Any, Any]", meta.get_field(n)) for n in names]
    rest = [
        f for f in meta.concrete_fields if f not in named and not f.generated and f is not meta.pk
    ]
    fields = [*named, *rest]
    defaults = [f.get_default() for f in rest]
    if connection.vendor not in ("postgresql", "sqlite"):
        objs = [
            model(**{f.attname: v for f, v in zip(fields, [*row, *defaults], strict=True)})
            for row in rows
        ]
        return len(model._default_manager.bulk_create(objs))
    postgres = connection.vendor == "postgresql"
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    plan = _Plan(fields, postgres)
    count = 0
    with connection.cursor() as cursor:
        db = cursor.db

        def values(given: Sequence[Any]) -> list[Any]:
            row = [*given, *defaults]
            if len(row) != len(fields):
                raise ValueError(f"{len(given)} values for the {len(named)} fields {names}")
            for i in plan.to_convert(row):
                row[i] = fields[i].get_db_prep_save(row[i], db)
            return row

        if postgres:
            with (
                db.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(values(row))
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(fields))
            prepared = [values(row) for row in rows]
            if prepared:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)
            count = len(prepared)
    return count


class _Plan:
    """Which values of a row Django's own conversion must see: the positions whose value is not
    of its field's plain type (or None), worked out once per combination of value types (an
    import's rows share a few), instead of looking at every value of every row."""

    def __init__(self, fields: Sequence[Field[Any, Any]], postgres: bool) -> None:
        self.plain = [_plain_type(f, postgres) for f in fields]
        self.by_types: dict[tuple[type, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def to_convert(self, row: list[Any]) -> list[int] | tuple[int, ...]:
        types = tuple(map(type, row))
        found = self.by_types.get(types)
        if found is None:
            found = self.by_types[types] = self._positions(types)
        convert, zoned = found
        if not zoned:
            return convert
        # A date-time is plain only when aware: asked of each value.
        naive = [i for i in zoned if not getattr(row[i], "tzinfo", None)]
        return sorted([*convert, *naive]) if naive else convert

    def _positions(self, types: tuple[type, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        convert: list[int] = []
        zoned: list[int] = []
        for i, (kind, plain) in enumerate(zip(types, self.plain, strict=True)):
            if plain is None:
                convert.append(i)
            elif kind is type(None):
                continue
            elif kind is plain:
                if plain is datetime:
                    zoned.append(i)
            elif plain is str and issubclass(kind, str):
                # A text field's conversion (`to_python`) returns any str as it is: a choice
                # (TextChoices members are str) goes to the database unchanged.
                continue
            else:
                convert.append(i)
        return tuple(convert), tuple(zoned)


# Fields whose value, when already of this exact type (or None), is what Django would send:
# their conversions return it unchanged. Subclasses (an encrypted text field …) are not here.
_PLAIN: dict[type[Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.FloatField: float,
}


def _plain_type(field: Field[Any, Any], postgres: bool) -> type | None:
    if isinstance(field, models.ForeignKey) and type(field) in (
        models.ForeignKey,
        models.OneToOneField,
    ):
        target = field.target_field
        return int if type(target) in (models.AutoField, models.BigAutoField) else None
    if postgres and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ):
        # psycopg takes dates and aware date-times as they are (Django's PostgreSQL operations
        # pass them through); a naive date-time still goes through Django (its warning).
        if type(field) is models.DateTimeField:
            return datetime
        if type(field) is models.DateField:
            return date
    return _PLAIN.get(type(field))
