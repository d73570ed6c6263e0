"""Bulk import (issue 6): a referral file as the real ones come, the product's importer on it, and
the raw driver writing exactly the same rows, all in one run and one database.

Three tasks, each in its own process (so each has its own peak RSS):

* `import-file` writes the CSV (GB18030 like an Excel export, CRLF rows, narratives with embedded
  line breaks, tabs and full-width spaces, dates in five notations, codes or names, amounts with
  currency signs) from the generator's narratives;
* `import` records the highest primary key of every table, then runs
  `xiaobao.intake.importing.import_complaints` (what `manage.py import_complaints` calls) on
  the file, sampling its resident memory against the rows read so far;
* `import-raw` reads back every row the import inserted (primary key above the recorded one, in
  every table), deletes them, inserts them again with `sqlite3` / `psycopg` (executemany / COPY)
  in one transaction, and deletes them again, so the later benchmarks see the database as before.
"""

from __future__ import annotations

import csv
import json
import random
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import SHARED_DATA
from bench.measure import proc_status

HEADERS = (
    "工单编号",
    "标题",
    "诉求内容",
    "受理时间",
    "来电人",
    "联系电话",
    "证件号码",
    "联系地址",
    "承办单位",
    "渠道",
    "转办方受理日期",
    "诉求类型",
    "涉及金额",
    "业务类别",
    "投诉原因",
)
# --map for the importer: our headers are what a 12345 export calls its columns.
MAPPING = {
    "external_ref": "工单编号",
    "title": "标题",
    "narrative": "诉求内容",
    "received_at": "受理时间",
    "complainant_name": "来电人",
    "complainant_phone": "联系电话",
    "complainant_id_number": "证件号码",
    "complainant_address": "联系地址",
    "unit": "承办单位",
    "channel": "渠道",
    "referrer_received_on": "转办方受理日期",
    "demands": "诉求类型",
    "amount": "涉及金额",
    "business_category": "业务类别",
    "cause": "投诉原因",
}
ENCODING = "gb18030"
# (intake channel code, how the file names it, share of rows, reference prefix)
CHANNELS = (
    ("R12345", ("12345", "R12345"), 0.7, "12345-"),
    ("R12363", ("R12363",), 0.2, "PBC-"),
    ("R12378", ("R12378",), 0.1, "NFRA-"),
)
_EXCEL_EPOCH_ORDINAL = 693594  # date(1899, 12, 30).toordinal()


def _moment_text(rng: random.Random, moment: Any) -> tuple[str, str]:
    """A local date-time written the way one of the referral systems writes it (with a time, so
    the importer has nothing to warn about)."""
    m = moment
    styles = (
        ("slash", f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}:{m.second:02d}"),
        ("iso-t", m.strftime("%Y-%m-%dT%H:%M:%S")),
        ("iso-space", m.strftime("%Y-%m-%d %H:%M")),
        ("chinese", f"{m.year}年{m.month}月{m.day}日 {m.hour}时{m.minute}分"),
        ("excel-serial", f"{_excel_serial(m):.6f}"),
        ("dotted", f"{m.year}.{m.month}.{m.day} {m.hour:02d}:{m.minute:02d}:{m.second:02d}"),
    )
    return styles[int(rng.random() * len(styles))]


def _excel_serial(m: Any) -> float:
    seconds = m.hour * 3600 + m.minute * 60 + m.second
    return m.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400


def _day_text(rng: random.Random, day: Any) -> str:
    return (
        f"{day.year}/{day.month}/{day.day}",
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
        day.isoformat(),
    )[int(rng.random() * 4)]


def _amount_text(rng: random.Random, amount: Decimal | None) -> str:
    if amount is None:
        return ""
    roll = rng.random()
    if roll < 0.3:
        return f"¥{amount:,.2f}"
    if roll < 0.5:
        return f"{amount}元"
    if roll < 0.6:
        return f"人民币{amount}元"
    return str(amount)


def _messy(rng: random.Random, text: str) -> str:
    """Line breaks inside the cell (CRLF or LF, as pasted), stray tabs and full-width padding."""
    parts = [p for p in text.replace("。", "。\n").split("\n") if p]
    if len(parts) > 1 and rng.random() < 0.7:
        newline = "\r\n" if rng.random() < 0.5 else "\n"
        text = newline.join(parts)
    if rng.random() < 0.2:
        text = "\u3000\u3000" + text
    if rng.random() < 0.1:
        text = text.replace("，", "，\t", 1)
    return text


def write_file(path: Path, rows: int, seed: int) -> dict[str, Any]:
    """The referral file: `rows` new cases received over the last 90 days, streamed to disk."""
    from bench.narratives import Composer, Corpus
    from xiaobao.complaints.choices import Axis
    from xiaobao.complaints.models import TaxonomyTerm
    from xiaobao.complaints.textgen import compose_person
    from xiaobao.deadlines.engine import TZ
    from xiaobao.intake.importing import SEPARATORS
    from xiaobao.lib.clock import now
    from xiaobao.organisation.models import Unit

    rng = random.Random(seed)
    composer = Composer(Corpus.load(SHARED_DATA))
    outlets = list(Unit.objects.filter(kind="outlet", is_active=True).values_list("code", "name"))
    names = {
        (axis, code): name
        for axis, code, name in TaxonomyTerm.objects.filter(is_active=True).values_list(
            "axis", "code", "name"
        )
    }

    def term(axis: str, code: str) -> str:
        """The code or, as often, the name; what a referral system exports varies by column.
        A name with one of the importer's list separators in it ("解除合同/退保") can only be
        given by its code in a multi-valued column."""
        name = names.get((axis, code))
        usable = name and not (axis == Axis.DEMAND and SEPARATORS.search(name))
        return name if usable and rng.random() < 0.5 else code

    moment = now().astimezone(TZ)
    formats: dict[str, int] = {}
    weights = [share for *_x, share, _p in CHANNELS]
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with path.open("w", encoding=ENCODING, newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(HEADERS)
        for i in range(rows):
            received = moment - timedelta(minutes=rng.uniform(60, 90 * 24 * 60))
            received = received.replace(microsecond=0)
            code, name = outlets[i % len(outlets)]
            story = composer.compose(rng, received=received.date(), outlet=name)
            person = compose_person(rng)
            _code, spellings, _share, prefix = rng.choices(CHANNELS, weights)[0]
            style, received_text = _moment_text(rng, received)
            formats[style] = formats.get(style, 0) + 1
            demands = [term(Axis.DEMAND, d) for d in story.demands]
            phone = person.phone
            if rng.random() < 0.3:
                phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            out.writerow(
                [
                    f"{prefix}{received:%Y%m%d}-IMP{seed % 1000:03d}{i:07d}",
                    story.title,
                    _messy(rng, story.body),
                    received_text,
                    person.name,
                    phone,
                    person.id_number,
                    person.address,
                    code if rng.random() < 0.5 else name,
                    spellings[int(rng.random() * len(spellings))],
                    _day_text(rng, (received - timedelta(days=rng.randint(0, 3))).date()),
                    ("、" if rng.random() < 0.5 else ",").join(demands),
                    _amount_text(rng, story.amount),
                    term(Axis.BUSINESS_CATEGORY, story.category),
                    term(Axis.CAUSE, story.cause),
                ]
            )
    return {
        "available": True,
        "path": str(path),
        "rows": rows,
        "bytes": path.stat().st_size,
        "encoding": ENCODING,
        "received_at_formats": formats,
        "write_s": time.perf_counter() - started,
    }


# --- which rows a step inserted ------------------------------------------------------------------


def integer_tables() -> list[tuple[str, str]]:
    """(table, primary-key column) of every product table with an integer primary key."""
    from django.apps import apps
    from django.db import connection

    existing = set(connection.introspection.table_names())
    out = []
    seen = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        pk = meta.pk
        target = pk.target_field if pk.is_relation else pk  # a one-to-one primary key
        if target.get_internal_type() not in (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
        ):
            continue
        if meta.db_table in existing:
            seen.add(meta.db_table)
            out.append((meta.db_table, pk.column))
    return sorted(out)


def high_water_marks() -> dict[str, list[Any]]:
    """{table: [pk column, highest pk]} for every integer-keyed table, read now."""
    from django.db import connection

    marks: dict[str, list[Any]] = {}
    with connection.cursor() as cur:
        for table, column in integer_tables():
            q = connection.ops.quote_name
            cur.execute(f"SELECT COALESCE(MAX({q(column)}), 0) FROM {q(table)}")
            marks[table] = [column, int(cur.fetchone()[0])]
    return marks


# --- the import ----------------------------------------------------------------------------------


class MemorySampler:
    """Resident memory of this process every `every` seconds, with the rows read so far."""

    def __init__(self, progress: list[int], every: float = 0.5) -> None:
        self.progress = progress
        self.every = every
        self.samples: list[tuple[float, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = proc_status_self()
            if rss is not None:
                self.samples.append((time.perf_counter() - self._t0, self.progress[0], rss))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        rss = proc_status_self()
        if rss is not None:
            self.samples.append((time.perf_counter() - self._t0, self.progress[0], rss))

    def at_rows(self, rows: int) -> float | None:
        """RSS of the first sample taken once `rows` rows had been read."""
        return next((rss for _t, done, rss in self.samples if done >= rows), None)


def proc_status_self() -> float | None:
    import os

    return proc_status(os.getpid()).get("VmRSS")


def run_import(path: Path, marks_out: Path) -> dict[str, Any]:
    from xiaobao.complaints import services
    from xiaobao.intake import importing

    actor = importing.importer_user()  # created before the marks, so it is not "imported"
    marks = high_water_marks()
    marks_out.write_text(json.dumps(marks))
    rss_before = proc_status_self()

    # Count rows as the importer takes them (for the memory curve), through its own progress
    # callback (every 200 rows: the wizard's progress bar); the file itself may be read by the
    # importer's reader process, so a wrapper around the file's rows would not see them.
    progress = [0]
    reached: dict[int, float] = {}  # rows → when the importer first reported them

    def counted(rows: int) -> None:
        progress[0] = rows
        reached.setdefault(rows, time.perf_counter())

    # How long the year's registry sequence is locked: numbers are taken just before the commit.
    numbering: list[float] = []
    assign = services.DeferredNumbers.assign

    locked_at: list[float] = []

    def timed_assign(self: Any, *args: Any, **kwargs: Any) -> int:
        t = time.perf_counter()
        locked_at.append(t)
        try:
            return assign(self, *args, **kwargs)
        finally:
            numbering.append(time.perf_counter() - t)

    services.DeferredNumbers.assign = timed_assign  # type: ignore[method-assign]
    # On PostgreSQL the numbers are reserved a chunk at a time instead, each block in a short
    # transaction of its own on a second connection: the reserver times each one (`held`).
    from xiaobao.complaints.services import numbering as reserving

    holds: list[float] = []
    close = reserving.NumberReserver.close

    def closed(self: Any) -> None:
        holds.extend(self.held)
        close(self)

    reserving.NumberReserver.close = closed  # type: ignore[method-assign]
    # The lock is released by the commit: time that too (the after-commit hooks come later).
    from django.db import connection as proxy
    from django.db import connections

    conn = connections[proxy.alias]
    commits: list[float] = []

    def timed_commit() -> None:
        type(conn).commit(conn)
        commits.append(time.perf_counter())

    conn.commit = timed_commit  # type: ignore[method-assign]
    try:
        with MemorySampler(progress) as sampler:
            started = time.perf_counter()
            result = importing.import_complaints(
                actor=actor,
                path=path,
                mapping=dict(MAPPING),
                source_name=path.name,
                progress=counted,
            )
            wall = time.perf_counter() - started
    finally:
        services.DeferredNumbers.assign = assign  # type: ignore[method-assign]
        reserving.NumberReserver.close = close  # type: ignore[method-assign]
        del conn.commit
    rows = result.rows
    last_row_s = reached[rows] - started if rows in reached else None
    tenth = sampler.at_rows(max(1, rows // 10))
    full = sampler.at_rows(rows)
    growth = None
    if tenth is not None and full is not None and rows >= 10:
        growth = (full - tenth) / (rows * 0.9) * 10_000
    issues = result.issues()
    return {
        "available": True,
        "file_rows": rows,
        "created": result.created,
        "historical": result.historical,
        "committed": result.committed,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "duplicates": len(result.duplicates),
        "first_issues": [str(i) for i in issues[:5]],
        "wall_s": wall,
        "rows_per_s": result.created / wall if wall and result.committed else None,
        "rows_read_s": last_row_s,
        # After the last row: the commit, and the on-commit hooks of every case (index jobs).
        "after_last_row_s": wall - last_row_s if last_row_s is not None else None,
        # How the cases got their numbers: reserved a chunk at a time (each block committed at
        # once), or taken all at the end under the year's sequence lock.
        "numbering": "reserved" if holds else "at the end",
        "reservations": len(holds),
        # Registry numbers for every case: the time the year's sequence row was locked for them
        # (reserved: the sum of the short transactions; at the end: the renumbering).
        "numbering_s": sum(holds) if holds else (sum(numbering) if numbering else None),
        # The longest the year's sequence row stayed locked at once (reserved: the longest
        # reservation; at the end: from the numbering to the end of the import's commit).
        "lock_s": max(holds)
        if holds
        else (commits[0] - locked_at[0] if locked_at and commits else None),
        # After the commit: the after-commit hooks (the search-index jobs queued).
        "after_commit_s": started + wall - commits[0] if commits else None,
        "rss_before_mb": rss_before,
        "rss_at_10pct_mb": tenth,
        "rss_at_100pct_mb": full,
        "rss_growth_mb_per_10k_rows": growth,
        "rss_samples": _thin(sampler.samples, 40),
        "bytes": path.stat().st_size,
    }


def _thin(samples: list[tuple[float, int, float]], keep: int) -> list[list[float]]:
    step = max(1, len(samples) // keep)
    return [[round(t, 1), done, round(rss, 1)] for t, done, rss in samples[::step]]


# --- the same rows through the raw driver --------------------------------------------------------


def _generated_columns(raw: Any, table: str) -> set[str]:
    if raw.vendor == "postgresql":
        cur = raw.conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND is_generated = 'ALWAYS'",
            [table],
        )
        return {row[0] for row in cur.fetchall()}
    # SQLite: hidden 2 and 3 are generated (virtual, stored) columns.
    cur = raw.conn.execute(f"PRAGMA table_xinfo({table})")
    return {row[1] for row in cur.fetchall() if row[6] in (2, 3)}


def run_raw(url: str, marks_path: Path) -> dict[str, Any]:
    from bench.inproc import RawDriver

    marks: dict[str, list[Any]] = json.loads(marks_path.read_text())
    raw = RawDriver(url)
    captured: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    t = time.perf_counter()
    for table, (column, high) in marks.items():
        names, rows = raw.rows_after(table, column, high)
        if rows:
            # Generated columns (the search document's tsvector) are computed, never inserted.
            generated = _generated_columns(raw, table)
            keep = [i for i, name in enumerate(names) if name not in generated]
            if len(keep) < len(names):
                names = [names[i] for i in keep]
                rows = [tuple(row[i] for i in keep) for row in rows]
            captured[table] = (names, rows)
    read_s = time.perf_counter() - t
    rows_by_table = {table: len(rows) for table, (_names, rows) in captured.items()}
    total = sum(rows_by_table.values())
    from xiaobao.complaints.models import Complaint

    cases = rows_by_table.get(Complaint._meta.db_table, 0)
    out: dict[str, Any] = {
        "available": True,
        "cases": cases,
        "rows": total,
        "rows_by_table": rows_by_table,
        "read_s": read_s,
    }
    if not total:
        out["note"] = "the import inserted nothing (see the import step)"
        return out

    def delete_all() -> float:
        t = time.perf_counter()
        raw.begin()
        for table in captured:
            column, high = marks[table]
            raw.conn.execute(f"DELETE FROM {table} WHERE {column} > {raw.mark}", [high])
        raw.commit()
        return time.perf_counter() - t

    out["delete_s"] = delete_all()
    # Exactly the rows the import wrote, with their own keys, in one transaction (foreign keys
    # are deferred to the commit on both databases, so the table order does not matter).
    t = time.perf_counter()
    raw.begin()
    for table, (names, rows) in captured.items():
        raw.insert_many(table, names, rows)
    raw.commit()
    wall = time.perf_counter() - t
    out["insert_s"] = wall
    out["cases_per_s"] = cases / wall if wall else None
    out["rows_per_s"] = total / wall if wall else None
    out["cleanup_delete_s"] = delete_all()
    if raw.vendor == "postgresql":
        # The deleted rows' index entries sit at the top of the id and received-time indexes,
        # where the planner probes for the columns' current range: until a vacuum, planning a
        # search statement took 8-25 ms instead of 0.3 ms. The later steps get the tables as
        # they were (the id sequence stays ahead of the cases, as after a rolled-back import).
        t = time.perf_counter()
        for table in captured:
            raw.conn.execute(f'VACUUM (ANALYZE) "{table}"')
        out["vacuum_s"] = time.perf_counter() - t
    return out
