"""Benchmarks that run inside one Django process (one task per process, so each has its own
peak RSS), and the preparation of the HTTP benchmarks.

    python -m bench.inproc TASK --database-url URL --out result.json [--n N]

Tasks: write (the registration service against the raw driver), search, sweep (with the plans of
its queries), workbook, prepare-http (API token, session cookies, request bodies and registry
queries); dashboard and summary (bench/dashboards.py); classify-train, classify-predict,
classify-cleanup and duplicates (bench/language.py); import-file, import and import-raw
(bench/bulkimport.py).
A feature another issue has not delivered yet is reported as "not available", never as a failure.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import itertools
import json
import random
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import SHARED_DATA
from bench.dbenv import setup_django, sqlite_path, vendor_of
from bench.measure import self_peak_rss_mb, summary

SEARCH_QUERIES = (
    "年费",
    "信用卡 降额",
    "催收",
    "征信",
    "理财 收益",
    "手续费",
    "提额",
    "贷款 利息",
    "销卡",
    "客服 态度",
)
CHANNELS = ("COUNTER", "HOTLINE", "WEB_APP", "R12345", "R12363", "LETTER")
REFERRAL = {"R12345": "12345-", "R12363": "PBC-", "R12378": "NFRA-"}


def not_available(why: str) -> dict[str, Any]:
    return {"available": False, "why": why}


# --- inputs shared by the service, API and raw-driver writes -------------------------------------


def intake_inputs(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` registrations as plain data: what a handler would type (or an integration send)."""
    from bench.narratives import Composer, Corpus
    from xiaobao.complaints.textgen import compose_person
    from xiaobao.deadlines.engine import TZ
    from xiaobao.lib.clock import now
    from xiaobao.organisation.models import Unit

    rng = random.Random(seed)
    composer = Composer(Corpus.load(SHARED_DATA))
    outlets = list(Unit.objects.filter(kind="outlet", is_active=True).values_list("code", "name"))
    moment = now()
    out = []
    for i in range(n):
        code, name = outlets[i % len(outlets)]
        received = moment - timedelta(minutes=rng.uniform(5, 600))
        story = composer.compose(rng, received=received.astimezone(TZ).date(), outlet=name)
        person = compose_person(rng)
        channel = rng.choice(CHANNELS)
        item: dict[str, Any] = {
            "unit": code,
            "received_at": received.isoformat(),
            "intake_channel": channel,
            "title": story.title,
            "narrative": story.body,
            "complainants": [
                {
                    "name": person.name,
                    "id_number": person.id_number,
                    "phone": person.phone,
                    "address": person.address,
                }
            ],
            "demands": list(story.demands),
            "amount": str(story.amount) if story.amount is not None else None,
            "business_channel": "COUNTER",
            "business_category": story.category,
            "cause": story.cause,
            "level": "NORMAL",
        }
        if channel in REFERRAL:
            item["external_ref"] = f"{REFERRAL[channel]}{received:%Y%m%d}-B{i:05d}"
            item["referrer_received_on"] = (received - timedelta(days=2)).date().isoformat()
        out.append(item)
    return out


# --- write: the service against the raw driver ---------------------------------------------------


def _service_call(item: dict[str, Any], actor: Any, units: dict[str, Any]) -> Any:
    from decimal import Decimal

    from xiaobao.complaints import services

    return services.complaint_register(
        actor=actor,
        unit=units[item["unit"]],
        received_at=datetime.fromisoformat(item["received_at"]),
        intake_channel=item["intake_channel"],
        title=item["title"],
        narrative=item["narrative"],
        complainants=[services.ComplainantData(**c) for c in item["complainants"]],
        demands=item["demands"],
        amount=Decimal(item["amount"]) if item["amount"] else None,
        business_channel=item["business_channel"],
        business_category=item["business_category"],
        cause=item["cause"],
        level=item["level"],
        external_ref=item.get("external_ref", ""),
        referrer_received_on=datetime.fromisoformat(item["referrer_received_on"]).date()
        if item.get("referrer_received_on")
        else None,
    )


def _tables() -> list[tuple[str, str]]:
    """(table, column naming the complaint) for every table one registration writes."""
    from xiaobao.complaints.models import Complainant, Complaint, ComplaintEvent

    return [
        (Complaint._meta.db_table, "id"),
        (Complainant._meta.db_table, "complaint_id"),
        (ComplaintEvent._meta.db_table, "complaint_id"),
        (Complaint.demands.through._meta.db_table, "complaint_id"),
        (Complaint.tags.through._meta.db_table, "complaint_id"),
    ]


class RawDriver:
    """The database's own driver, outside Django: the physical limit for the same rows."""

    def __init__(self, url: str) -> None:
        self.vendor = vendor_of(url)
        if self.vendor == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(str(sqlite_path(url)), isolation_level=None)
            # The product's own SQLite settings, so the comparison is like for like.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
            self.mark = "%s"

    def rows(
        self, table: str, column: str, ids: list[int]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        marks = ", ".join([self.mark] * len(ids))
        cur = self.conn.execute(
            f"SELECT * FROM {table} WHERE {column} IN ({marks}) ORDER BY id", ids
        )
        names = [d[0] for d in cur.description]
        data = cur.fetchall()
        if self.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            data = [tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in r) for r in data]
        return names, data

    def rows_after(
        self, table: str, column: str, high: int
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Every row of `table` whose `column` is above `high`, in key order, ready to insert."""
        cur = self.conn.execute(
            f'SELECT * FROM "{table}" WHERE "{column}" > {self.mark} ORDER BY "{column}"', [high]
        )
        names = [d[0] for d in cur.description]
        data = cur.fetchall()
        if self.vendor == "postgresql" and data:
            from psycopg.types.json import Jsonb

            # By column type, not by value: a JSON column may hold a bare string or number.
            json_oids = {114, 3802}  # json, jsonb
            wrap = [d.type_code in json_oids for d in cur.description]
            if any(wrap):
                data = [
                    tuple(
                        Jsonb(v) if w and v is not None else v for v, w in zip(r, wrap, strict=True)
                    )
                    for r in data
                ]
        return names, data

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE" if self.vendor == "sqlite" else "BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def insert_one(self, table: str, names: list[str], row: tuple[Any, ...]) -> int:
        cols = ", ".join(names)
        marks = ", ".join([self.mark] * len(names))
        if self.vendor == "sqlite":
            return int(
                self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", row).lastrowid
            )
        cur = self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id", row)
        return int(cur.fetchone()[0])

    def insert_many(self, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(names)
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(names))
            self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
            return
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)

    def max_id(self, table: str) -> int:
        row = self.conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
        return int(row[0])

    def delete(self, table: str, column: str, ids: list[int]) -> None:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join([self.mark] * len(chunk))
            self.conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)

    def fix_sequence(self, table: str) -> None:
        if self.vendor == "postgresql":
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )


def task_write(url: str, n: int, seed: int) -> dict[str, Any]:
    from xiaobao.organisation.models import Unit, User

    actor = User.objects.get(username="hq_officer")
    units = {u.code: u for u in Unit.objects.filter(kind="outlet")}
    items = intake_inputs(n + 5, seed)
    for item in items[:5]:  # warm-up: imports, caches, prepared plans
        _service_call(item, actor, units)
    latencies, ids = [], []
    started = time.perf_counter()
    for item in items[5:]:
        t = time.perf_counter()
        ids.append(_service_call(item, actor, units).pk)
        latencies.append(time.perf_counter() - t)
    service = summary(latencies, wall_s=time.perf_counter() - started)

    # The same rows again, through the raw driver: read back exactly what the service wrote.
    raw = RawDriver(url)
    tables = _tables()
    captured = {table: raw.rows(table, col, ids) for table, col in tables}
    complaint_table = tables[0][0]
    c_names, c_rows = captured[complaint_table]
    rows_per_case = sum(len(rows) for _names, rows in captured.values()) / max(1, len(ids))
    children: dict[int, list[tuple[str, list[str], tuple[Any, ...]]]] = {}
    for table, _col in tables[1:]:
        names, rows = captured[table]
        fk = names.index("complaint_id")
        for r in rows:
            children.setdefault(r[fk], []).append((table, names, r))
    no_id = [i for i, name in enumerate(c_names) if name != "id"]
    reg = c_names.index("registry_no")

    def copy_of(row: tuple[Any, ...], prefix: str, k: int) -> tuple[Any, ...]:
        values = list(row)
        values[reg] = f"{prefix}{k:010d}"
        return tuple(values)

    # (1) one transaction per case, like the service: the per-row physical limit.
    new_ids: list[int] = []
    per_case = []
    started = time.perf_counter()
    for k, row in enumerate(c_rows):
        t = time.perf_counter()
        raw.begin()
        new = raw.insert_one(
            complaint_table,
            [c_names[i] for i in no_id],
            tuple(copy_of(row, "RA", k)[i] for i in no_id),
        )
        by_table: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table, names, child in children.get(row[0], []):
            keep = [i for i, name in enumerate(names) if name != "id"]
            fk = names.index("complaint_id")
            values = [new if i == fk else child[i] for i in keep]
            by_table.setdefault(table, ([names[i] for i in keep], []))[1].append(tuple(values))
        for table, (names, rows) in by_table.items():
            if raw.vendor == "sqlite":
                raw.insert_many(table, names, rows)
            else:
                marks = ", ".join(["%s"] * len(names))
                with raw.conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows
                    )
        raw.commit()
        per_case.append(time.perf_counter() - t)
        new_ids.append(new)
    raw_per_case = summary(per_case, wall_s=time.perf_counter() - started)

    # (2) every case in one transaction with COPY / executemany: the bulk physical limit.
    started = time.perf_counter()
    raw.begin()
    next_ids = {table: raw.max_id(table) + 1 for table, _col in tables}
    mapping = {}
    complaint_rows = []
    for k, row in enumerate(c_rows):
        mapping[row[0]] = next_ids[complaint_table] + k
        values = list(copy_of(row, "RB", k))
        values[c_names.index("id")] = mapping[row[0]]
        complaint_rows.append(tuple(values))
    raw.insert_many(complaint_table, c_names, complaint_rows)
    for table, _col in tables[1:]:
        names, rows = captured[table]
        fk, pk = names.index("complaint_id"), names.index("id")
        out = []
        for k, r in enumerate(rows):
            values = list(r)
            values[fk] = mapping[r[fk]]
            values[pk] = next_ids[table] + k
            out.append(tuple(values))
        raw.insert_many(table, names, out)
    raw.commit()
    bulk_wall = time.perf_counter() - started
    for table, _col in tables:
        raw.fix_sequence(table)
    bulk_ids = list(mapping.values())

    # Leave the registry as the service left it: remove the raw copies.
    raw.begin()
    for table, col in reversed(tables):
        raw.delete(table, col, new_ids + bulk_ids)
    raw.commit()
    cases = len(ids)
    return {
        "available": True,
        "cases": cases,
        "rows_per_case": rows_per_case,
        "service": service,
        "raw_per_case": raw_per_case,
        "raw_bulk": {
            "n": cases,
            "wall_s": bulk_wall,
            "per_s": cases / bulk_wall if bulk_wall else None,
        },
    }


# --- search, sweep, workbook ---------------------------------------------------------------------


def _call_by_names(fn: Callable[..., Any], **candidates: Any) -> Any:
    """Call `fn` with whichever of the candidate argument names its signature accepts."""
    aliases = {
        "user": ("user", "viewer", "actor", "request_user"),
        "query": ("query", "q", "text", "terms", "search"),
        "limit": ("limit", "page_size", "size"),
    }
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    for key, value in candidates.items():
        for name in aliases.get(key, (key,)):
            if name in params:
                kwargs[name] = value
                break
    return fn(**kwargs)


def _materialise(result: Any, limit: int = 20) -> int:
    from django.db.models import QuerySet

    if isinstance(result, QuerySet):
        return len(list(result[:limit]))
    for attr in ("results", "hits", "rows", "items", "page"):
        inner = getattr(result, attr, None)
        if inner is not None and not callable(inner):
            return len(list(itertools.islice(iter(inner), limit)))
    if isinstance(result, tuple) and result:
        return _materialise(result[0], limit)
    return len(list(itertools.islice(iter(result), limit)))


def task_search(url: str, rounds: int) -> dict[str, Any]:
    try:
        module = importlib.import_module("xiaobao.language.search")
    except ImportError as exc:
        return not_available(f"xiaobao/language/search.py is not there yet ({exc})")
    fn = getattr(module, "search_complaints", None)
    if fn is None:
        return not_available("xiaobao.language.search has no search_complaints")
    from xiaobao.organisation.models import User

    user = User.objects.get(username="hq_officer")
    branch = User.objects.get(username="hz_officer")
    for q in SEARCH_QUERIES:  # warm-up: the segmenter's dictionary, plans, caches
        _materialise(_call_by_names(fn, user=user, query=q, limit=20))
    latencies, hits = [], []
    started = time.perf_counter()
    for _ in range(rounds):
        for who in (user, branch):
            for q in SEARCH_QUERIES:
                t = time.perf_counter()
                found = _materialise(_call_by_names(fn, user=who, query=q, limit=20))
                latencies.append(time.perf_counter() - t)
                hits.append(found)
    out = summary(latencies, wall_s=time.perf_counter() - started)
    return {
        "available": True,
        **out,
        "queries": list(SEARCH_QUERIES),
        "mean_hits_first_page": sum(hits) / len(hits),
    }


def task_sweep(url: str, passes: int) -> dict[str, Any]:
    try:
        from xiaobao.watch.sweep import sweep
    except ImportError as exc:
        return not_available(f"xiaobao.watch.sweep.sweep is not there ({exc})")
    from xiaobao.complaints.choices import OPEN_STATUSES
    from xiaobao.complaints.models import Complaint
    from xiaobao.lib.clock import now

    open_cases = Complaint.objects.filter(status__in=OPEN_STATUSES).count()
    moment = now()
    t = time.perf_counter()
    first = sweep(now=moment)
    first_s = time.perf_counter() - t
    latencies = []
    reports = []
    for i in range(passes):
        t = time.perf_counter()
        report = sweep(now=moment + timedelta(minutes=i + 1))
        latencies.append(time.perf_counter() - t)
        reports.append(str(report))
    try:
        plans = sweep_plans(sweep, moment + timedelta(minutes=passes + 1))
    except Exception as exc:  # the figures above stand without the plan
        plans = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    return {
        "available": True,
        "open_cases": open_cases,
        "first_pass_s": first_s,
        "first_pass": str(first),
        **summary(latencies),
        "last_pass": reports[-1] if reports else "",
        "plans": plans,
    }


def sweep_plans(sweep: Callable[..., Any], moment: datetime) -> dict[str, Any]:
    """Run one more pass recording every statement it sends (SQL and parameters, as given to the
    driver), pick the query that selects the due watch rows and the one that reads the event log,
    and ask the database for their plans with the very same SQL and parameters."""
    from django.db import connection

    from xiaobao.complaints.models import ComplaintEvent
    from xiaobao.watch.models import WatchState

    sent: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        sweep(now=moment)
    watch, events = WatchState._meta.db_table, ComplaintEvent._meta.db_table

    def pick(table: str, column: str) -> tuple[str, Any] | None:
        return next(
            (
                (sql, params)
                for sql, params in sent
                if sql.lstrip().upper().startswith("SELECT")
                and f'"{table}"' in sql.split(" WHERE ")[0]
                and column in sql
                and "ORDER BY" in sql
            ),
            None,
        )

    chosen = {
        "due_rows": pick(watch, "next_check_at"),
        "event_log": pick(events, '"id" >'),
    }
    out: dict[str, Any] = {"statements_in_one_pass": len(sent), "vendor": connection.vendor}
    for name, found in chosen.items():
        if found is None:
            out[name] = {"why": "no such statement in the pass"}
            continue
        sql, params = found
        entry: dict[str, Any] = {"sql": sql, "params": [str(p) for p in params or ()]}
        entry["plan"] = explain(sql, params)
        if name == "due_rows":
            # The same statement when every watched case is due (the first pass's situation).
            # Parameters arrive as the backend adapted them (text on SQLite, datetime on
            # PostgreSQL): swap the pass's moment, in that form, for one ten years later.
            ops = connection.ops
            later = moment + timedelta(days=3650)
            swap = {
                str(ops.adapt_datetimefield_value(moment)): ops.adapt_datetimefield_value(later)
            }
            far = [later if p == moment else swap.get(str(p), p) for p in params]
            entry["plan_all_due"] = explain(sql, far)
        out[name] = entry
    return out


def explain(sql: str, params: Any) -> str:
    """The database's plan for `sql`: EXPLAIN QUERY PLAN on SQLite; EXPLAIN (ANALYZE, BUFFERS) on
    PostgreSQL, inside a transaction that is rolled back (the statement may lock rows)."""
    from django.db import connection, transaction

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            rows = cur.fetchall()
        depth: dict[int, int] = {0: 0}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node] - 1) + str(detail))
        return "\n".join(lines)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            lines = [str(r[0]) for r in cur.fetchall()]
        transaction.set_rollback(True)
    return "\n".join(lines)


def task_workbook(url: str, runs: int) -> dict[str, Any]:
    try:
        from xiaobao.reports.selectors import viewer_for
        from xiaobao.reports.workbook import ReportPeriod, regulator_workbook
    except ImportError as exc:
        return not_available(f"the regulator workbook is not there ({exc})")
    from xiaobao.deadlines.engine import TZ
    from xiaobao.lib.clock import now

    today = now().astimezone(TZ).date()
    quarter = (today.month - 1) // 3  # the last complete quarter
    code = f"{today.year - 1}Q4" if quarter == 0 else f"{today.year}Q{quarter}"
    period = ReportPeriod.parse(code)
    viewer = viewer_for(None)
    from bench.dashboards import build_rollups

    built = build_rollups()
    latencies, size = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        size = len(regulator_workbook(viewer=viewer, period=period))
        latencies.append(time.perf_counter() - t)
        if sum(latencies) > 120:  # bounded: a slow workbook is measured fewer times, not skipped
            break
    return {
        "available": True,
        "period": code,
        "bytes": size,
        "first_s": latencies[0],
        **summary(latencies),
        **built,
    }


# --- preparing the HTTP benchmarks ---------------------------------------------------------------


def _session(username: str) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend

    from xiaobao.organisation.models import User

    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend a login through the model backend records (the lockout backend in front of
    # it only counts attempts and cannot load a user).
    store[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def registry_queries() -> list[str]:
    from xiaobao.deadlines.engine import TZ
    from xiaobao.lib.clock import now
    from xiaobao.organisation.models import Unit

    year_ago = (now().astimezone(TZ) - timedelta(days=365)).date().isoformat()
    branch = (
        Unit.objects.filter(kind="branch").order_by("path").values_list("code", flat=True).first()
    )
    return [
        "",
        "status=registered&status=accepted",
        f"business_category=CARD&received_from={year_ago}",
        "cause=PRICING&status=closed",
        "intake_channel=R12363&intake_channel=R12378",
        "due=overdue",
        f"unit={branch}&status=closed",
        "q=年费",
        "major=true",
        "sort=due&status=accepted",
    ]


def task_prepare_http(url: str, n: int, seed: int, batches: int = 1) -> dict[str, Any]:
    from django.conf import settings

    from xiaobao.organisation.models import User

    out: dict[str, Any] = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": {"hq": _session("hq_officer"), "branch": _session("hz_officer")},
        "registry_queries": registry_queries(),
        "search_queries": list(SEARCH_QUERIES),
    }
    try:
        from xiaobao.api.services import api_token_create
    except ImportError:
        out["token"] = None
    else:
        _token, raw = api_token_create(
            actor=None, owner=User.objects.get(username="hq_officer"), name="benchmark"
        )
        out["token"] = raw
    # `n` different payloads for every concurrency level (the runner slices them), so no level
    # re-sends what another one created.
    out["payloads"] = intake_inputs(n * max(1, batches), seed)
    return out


def _bulk(name: str) -> Any:
    from bench import bulkimport

    return getattr(bulkimport, name)


def _lang(name: str) -> Any:
    from bench import language

    return getattr(language, name)


def _dash(name: str) -> Any:
    from bench import dashboards

    return getattr(dashboards, name)


TASKS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "write": lambda a: task_write(a.database_url, a.n, a.seed),
    "search": lambda a: task_search(a.database_url, a.n),
    "sweep": lambda a: task_sweep(a.database_url, a.n),
    "workbook": lambda a: task_workbook(a.database_url, a.n),
    "prepare-http": lambda a: task_prepare_http(a.database_url, a.n, a.seed, a.batches),
    "dashboard": lambda a: _dash("task_dashboard")(a.database_url, a.n),
    "summary": lambda a: _dash("task_summary")(a.database_url, a.n, a.path),
    "classify-train": lambda a: _lang("task_train")(a.database_url, a.target),
    "classify-predict": lambda a: _lang("task_predict")(a.database_url, a.n, a.seed),
    "classify-cleanup": lambda a: _lang("task_cleanup")(a.database_url, a.since),
    "duplicates": lambda a: _lang("task_duplicates")(a.database_url, a.n, a.seed),
    "import-file": lambda a: _bulk("write_file")(a.path, a.n, a.seed),
    "import": lambda a: _bulk("run_import")(a.path, a.marks),
    "import-raw": lambda a: _bulk("run_raw")(a.database_url, a.marks),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batches", type=int, default=1, help="prepare-http: payload sets")
    parser.add_argument("--target", help="classify-train: category, cause or demand")
    parser.add_argument("--since", type=float, help="classify-cleanup: epoch seconds")
    parser.add_argument("--path", type=Path, help="import-file, import: the CSV; summary: a dir")
    parser.add_argument("--marks", type=Path, help="import, import-raw: the high-water marks")
    args = parser.parse_args(argv)
    setup_django(args.database_url)
    started = time.perf_counter()
    try:
        result = TASKS[args.task](args)
    except Exception as exc:  # recorded in the report; the runner goes on with the next task
        result = {
            "available": True,
            "error": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(),
        }
    result["task_wall_s"] = time.perf_counter() - started
    result["peak_rss_mb"] = self_peak_rss_mb()
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
