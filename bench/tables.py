"""Fast bulk writes of plain row dicts into a model's table: COPY on PostgreSQL, executemany on
SQLite, through the connection Django already holds.

The column list comes from the model's own metadata, so a field another issue adds with a
default is filled with that default; a new required field without one fails loudly. Values arrive
already in their database form (ciphertext for encrypted fields, hashes computed by the caller);
only dates, times, decimals and JSON are converted here, once per column kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

Convert = Callable[[Any], Any]
_MISSING = object()


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _sqlite_datetime(value: Any) -> Any:
    if value is None:
        return None
    # Django stores aware datetimes on SQLite as naive UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]").
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _bool(value: Any) -> Any:
    return None if value is None else int(value)


class TableWriter:
    """Buffers rows for one model and writes them in one statement per flush."""

    def __init__(self, model: type[models.Model], *, now: datetime) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.vendor = connection.vendor
        self.columns: list[str] = []
        self.keys: list[str] = []
        self.defaults: list[Any] = []
        self.converters: list[tuple[int, Convert]] = []
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        for f in model._meta.concrete_fields:
            self.columns.append(f.column)
            self.keys.append(f.attname)
            self.defaults.append(self._default(f, now))
            convert = self._converter(f)
            if convert is not None:
                self.converters.append((len(self.columns) - 1, convert))

    def _default(self, f: models.Field[Any, Any], now: datetime) -> Any:
        if f.primary_key:
            return _MISSING
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        if f.default is not NOT_PROVIDED:
            return f.get_default()
        if f.null:
            return None
        if f.blank and isinstance(f, models.CharField | models.TextField):
            return ""
        return _MISSING

    def _converter(self, f: models.Field[Any, Any]) -> Convert | None:
        if isinstance(f, models.JSONField):
            return _json
        if self.vendor != "sqlite":
            return None  # psycopg adapts datetimes, dates, decimals and booleans itself
        if isinstance(f, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(f, models.DateField | models.DecimalField):
            return _text
        if isinstance(f, models.BooleanField):
            return _bool
        return None

    def add(self, row: dict[str, Any]) -> None:
        values = [row.get(k, d) for k, d in zip(self.keys, self.defaults, strict=True)]
        for i, convert in self.converters:
            values[i] = convert(values[i])
        if _MISSING in values:
            missing = [k for k, v in zip(self.keys, values, strict=True) if v is _MISSING]
            raise ValueError(f"{self.table}: no value for required column(s) {missing}")
        self.rows.append(tuple(values))

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> int:
        if not self.rows:
            return 0
        raw = connection.connection
        assert raw is not None
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        if self.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            raw.executemany(f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})', self.rows)
        n = len(self.rows)
        self.written += n
        self.rows = []
        return n


def next_id(model: type[models.Model]) -> int:
    """The first free primary key (rows get explicit ids so children can point at them)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT MAX(id) FROM {model._meta.db_table}")
        found = cur.fetchone()
    return int((found[0] if found else None) or 0) + 1


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL's sequences past them (SQLite tracks this itself)."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
