"""Run every benchmark on SQLite and PostgreSQL, side by side with django-helpdesk, and write
docs/benchmarks.md.

    python -m bench [--cases N] [--database-url URL ...] [--only NAME ...] [--no-peer]

Every step runs in its own process (so each reports its own peak RSS): the generator, one
process per in-process benchmark, a real web server (gunicorn) for the HTTP benchmarks, and the
peer in its own virtual environment. Figures from one run are compared with each other only.

With `generate` among the steps, the runner creates the databases (the PostgreSQL ones:
xiaobao_bench, helpdesk_bench) and drops them at the end unless --keep. Without it (`--skip
generate`, or `--only` without it) it runs on the databases as they are, e.g. filled beforehand
by `python -m bench.generate --json var/bench/run-{vendor}/generate.json`: that file, if present,
gives the report its Data section, and a database the runner did not create is never dropped.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from bench import REPO_ROOT, WORK_DIR
from bench import http as web
from bench import peer as peer_mod
from bench.dbenv import (
    DEFAULT_POSTGRES,
    DEFAULT_SQLITE,
    fresh_database,
    postgres_recreate,
    server_env,
    vendor_of,
)
from bench.measure import machine, postgres_version
from bench.report import write_report

STEPS = (
    "generate",
    "search",
    "workbook",
    "dashboard",
    "summary",
    "classify",
    "duplicates",
    "write",
    "import",
    "sweep",
    "api",
    "registry",
    "peer",
)
CONCURRENCY = 10  # the API level compared with the peer
API_LEVELS = (1, CONCURRENCY, 50)
CLASSIFY_TARGETS = ("category", "cause", "demand")
IMPORT_ROWS = 100_000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def python_step(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def json_step(args: list[str], out: Path, *, timeout: float) -> dict[str, Any]:
    """Run `python -m …` writing JSON to `out`; failures and time-outs become report entries."""
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        done = python_step(args, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s (bounded by the runner)"}
    if not out.exists():
        tail = (done.stderr or done.stdout)[-1500:]
        return {"error": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(out.read_text())
    result.setdefault("step_wall_s", time.perf_counter() - started)
    return result


# --- HTTP benchmarks -----------------------------------------------------------------------------


# Time a fresh gunicorn's workers are given to start (fork, copy, connect) after its port opens.
SERVER_START_S = 1.0


def _auth(prep: dict[str, Any], who: str = "hq") -> dict[str, str]:
    return {"Cookie": f"{prep['session_cookie']}={prep['sessions'][who]}"}


def http_benchmarks(
    url: str, prep: dict[str, Any], selected: set[str], opts: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gunicorn = web.ensure_gunicorn()
    env = server_env(url)
    env["DEBUG"] = "0"

    def start(log: str, poll_s: float = 0.3) -> web.Server:
        return web.start_server(
            python=sys.executable,
            wsgi="xiaobao.wsgi:application",
            env=env,
            cwd=REPO_ROOT,
            log=tmp / log,
            workers=opts.server_workers,
            threads=opts.server_threads,
            use_gunicorn=gunicorn is not None,
            manage=REPO_ROOT / "manage.py",
            extra_path=[gunicorn] if gunicorn is not None else [],
            preload=True,  # as deployed (xiaobao/watch/deploy): the dictionary loads in the master
            config="python:xiaobao.gunicorn_conf",  # as deployed: each worker opens its pool first
            poll_s=poll_s,
        )

    # The very first searches of a fresh server, one per worker at once (keep-alive, two each).
    first = [
        web.Request("GET", "/search/?q=" + quote(q), headers=_auth(prep))
        for q in prep["search_queries"][: 2 * opts.server_workers]
    ]
    requests_sent = 0
    if "search" in selected:
        # Sent the moment the port opens, on a server of their own: gunicorn opens the port
        # before it forks its workers, so these wait for the first worker to start, and it takes
        # every connection that is waiting by then (the others start up to 0.1 s apart).
        server = start("server-startup.log", poll_s=0.005)
        try:
            startup = web.run_load(server.port, first, concurrency=opts.server_workers)
            out["search_startup_ms"] = [round(t * 1000, 1) for t in startup.latencies]
        finally:
            server.stop()
    server = start("server.log")
    out["server"] = server.kind
    try:
        if "search" in selected:
            # The first searches of fresh workers, once they have started (they start in
            # 0.05-0.25 s here; given SERVER_START_S): a worker that loads the segmenter's
            # dictionary on its first search, or opens its first connection then, shows here
            # (about 2 s before the master preloaded it).
            time.sleep(SERVER_START_S)
            cold = web.run_load(server.port, first, concurrency=opts.server_workers)
            requests_sent += len(first)
            out["search_cold_ms"] = [round(t * 1000, 1) for t in cold.latencies]
        # Warm every worker: imports, template loading, the first connection.
        warm = [web.Request("GET", "/complaints/", headers=_auth(prep)) for _ in range(8)]
        web.run_load(server.port, warm, concurrency=4, time_limit_s=120)
        requests_sent += len(warm)
        if "search" in selected:
            # The same first searches again, as many at once, now that every worker is warm:
            # what a cold start adds is the difference (the first ones run two at a time on two
            # cores, so the warm median of one at a time is no yardstick for them).
            again = web.run_load(server.port, first, concurrency=opts.server_workers)
            requests_sent += len(first)
            out["search_warm_again_ms"] = [round(t * 1000, 1) for t in again.latencies]
        if "api" in selected:
            token = prep.get("token")
            status = web.probe(
                server.port,
                "/api/v1/complaints/?page_size=1",
                {"Authorization": f"Bearer {token}"} if token else _auth(prep),
            )
            if status == 404 or not token:
                out["api"] = {"available": False, "why": f"GET /api/v1/complaints/ → {status}"}
            else:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                levels: dict[str, Any] = {}
                for clients, payloads in api_batches(prep["payloads"], opts.api_n):
                    reqs = [
                        web.Request("POST", "/api/v1/complaints/", json.dumps(p).encode(), headers)
                        for p in payloads
                    ]
                    cpu = server.cpu_seconds()
                    result = web.run_load(server.port, reqs, concurrency=clients, time_limit_s=900)
                    cpu = server.cpu_seconds() - cpu
                    requests_sent += len(reqs)
                    levels[str(clients)] = {
                        "available": True,
                        "concurrency": clients,
                        **result.report(),
                        # The web workers' CPU per successful create (PostgreSQL's not included).
                        "cpu_ms_per_create": round(1000 * cpu / max(1, len(result.latencies)), 1),
                    }
                out["api_levels"] = levels
                out["api"] = levels.get(str(CONCURRENCY)) or next(iter(levels.values()))
        if "registry" in selected:
            reqs = []
            for _ in range(opts.rounds):
                for who in ("hq", "branch"):
                    for q in prep["registry_queries"]:
                        path = "/complaints/" + ("?" + _encode(q) if q else "")
                        reqs.append(web.Request("GET", path, headers=_auth(prep, who)))
            result = web.run_load(server.port, reqs, concurrency=1, time_limit_s=900)
            requests_sent += len(reqs)
            out["registry"] = {"available": True, "concurrency": 1, **result.report()}
            out["registry_by_filter"] = _by_path(
                reqs, result, lambda p: unquote(p.partition("?")[2])
            )
            per_query: dict[str, list[float]] = {}
            # One more pass, timed per query, to show which filter is the slow one.
            for q in prep["registry_queries"]:
                path = "/complaints/" + ("?" + _encode(q) if q else "")
                res = web.run_load(
                    server.port, [web.Request("GET", path, headers=_auth(prep))] * 5, concurrency=1
                )
                per_query[q or "(no filter)"] = res.latencies
                requests_sent += 5
            from bench.measure import summary

            out["registry_by_query"] = {
                k: summary(v).get("median_ms") for k, v in per_query.items()
            }
        if "search" in selected:
            status = web.probe(server.port, "/search/?q=" + quote("年费"), _auth(prep))
            if status != 200:
                out["search"] = {"available": False, "why": f"GET /search/?q=… → {status}"}
            else:
                reqs = [
                    web.Request("GET", "/search/?q=" + quote(q), headers=_auth(prep, who))
                    for _ in range(max(1, opts.rounds // 2))
                    for who in ("hq", "branch")
                    for q in prep["search_queries"]
                ]
                result = web.run_load(server.port, reqs, concurrency=1, time_limit_s=900)
                requests_sent += len(reqs)
                out["search"] = {"available": True, "concurrency": 1, **result.report()}
                out["search_by_query"] = _by_path(reqs, result, lambda p: unquote(p[11:]))
        out["memory"] = {"requests": requests_sent, "processes": server.memory()}
    finally:
        server.stop()
    return out


def _by_path(
    reqs: list[web.Request], result: web.LoadResult, name: Any
) -> dict[str, dict[str, Any]]:
    """Median and slowest latency per request path (of a load sent one at a time)."""
    if len(reqs) != len(result.latencies):
        return {}  # some failed: latencies no longer line up with their requests
    from bench.measure import summary

    by_path: dict[str, list[float]] = {}
    for req, latency in zip(reqs, result.latencies, strict=True):
        by_path.setdefault(name(req.path) or "(no filter)", []).append(latency)
    return {
        key: {"median_ms": summary(v).get("median_ms"), "max_ms": round(max(v) * 1000, 1)}
        for key, v in by_path.items()
    }


def api_batches(payloads: list[dict[str, Any]], n: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """(clients, its own `n` payloads) for every level of API_LEVELS, lowest first."""
    return [
        (clients, payloads[i * n : (i + 1) * n])
        for i, clients in enumerate(API_LEVELS)
        if payloads[i * n : (i + 1) * n]
    ]


def _encode(query: str) -> str:
    return "&".join(
        f"{k}={quote(v)}" for k, _, v in (part.partition("=") for part in query.split("&"))
    )


# --- the peer ------------------------------------------------------------------------------------


def peer_url(url: str) -> str:
    """The peer's database beside ours: xiaobao_bench → helpdesk_bench, xiaobao_X → helpdesk_X
    (so a run on a scratch database never touches the full run's peer database)."""
    if vendor_of(url) == "sqlite":
        return f"sqlite:///{WORK_DIR / 'helpdesk-bench.sqlite3'}"
    name = urlsplit(url).path.lstrip("/")
    peer = name.replace("xiaobao", "helpdesk") if "xiaobao" in name else f"{name}_helpdesk"
    return urlunsplit(urlsplit(url)._replace(path=f"/{peer}"))


def datatables_path(query: dict[str, Any]) -> str:
    b64 = base64.b64encode(json.dumps(query).encode()).decode()
    return (
        f"/helpdesk/datatables_ticket_list/{b64}"
        "?draw=1&start=0&length=25&order%5B0%5D%5Bcolumn%5D=5&order%5B0%5D%5Bdir%5D=desc"
    )


def peer_benchmarks(
    url: str, cases: int, payloads: list[dict[str, Any]], opts: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {"pins": list(peer_mod.PINS)}
    try:
        python = peer_mod.ensure_venv()
    except (peer_mod.PeerUnavailableError, subprocess.TimeoutExpired) as exc:
        return {"available": False, "why": str(exc)}
    peer_mod.write_project()
    out["versions"] = peer_mod.versions(python)
    purl = peer_url(url)
    fresh_database(purl)
    log(f"  peer: loading {cases:,} tickets into {vendor_of(purl)}")
    out["load"] = peer_mod.load(python, purl, cases, opts.seed, opts.years)
    prep = peer_mod.prepare(python, purl)
    env = peer_mod.peer_env(purl)
    server = web.start_server(
        python=str(python),
        wsgi="peerbench_wsgi:application",
        env=env,
        cwd=peer_mod.PROJECT,
        log=tmp / "peer-server.log",
        workers=opts.server_workers,
        threads=opts.server_threads,
        use_gunicorn=True,  # the peer's own venv has it
        extra_path=[peer_mod.PROJECT],
    )
    out["server"] = server.kind
    cookie = {"Cookie": f"{prep['session_cookie']}={prep['session']}"}
    token = {"Authorization": f"Token {prep['token']}"}
    queues = prep["queues"]
    sent = 0
    try:
        warm = [web.Request("GET", datatables_path({"search_string": ""}), headers=cookie)] * 4
        web.run_load(server.port, warm, concurrency=2, time_limit_s=300)
        sent += len(warm)
        headers = {**token, "Content-Type": "application/json"}
        reqs = [
            web.Request(
                "POST",
                "/helpdesk/api/tickets/",
                json.dumps(
                    {
                        "queue": queues[i % len(queues)],
                        "title": p["title"],
                        "description": p["narrative"],
                        "submitter_email": f"bench{i}@example.com",
                        "priority": 3,
                    }
                ).encode(),
                headers,
            )
            for i, p in enumerate(payloads)
        ]
        out["api"] = {
            "concurrency": CONCURRENCY,
            **web.run_load(server.port, reqs, concurrency=CONCURRENCY, time_limit_s=900).report(),
        }
        sent += len(reqs)
        filters: list[dict[str, Any]] = [
            {"filtering": {"status__in": [1, 2]}, "sorting": "created", "sortreverse": True},
            {
                "filtering": {"queue__id__in": [queues[0]]},
                "sorting": "created",
                "sortreverse": True,
            },
            {"filtering": {"status__in": [4], "priority__in": [1, 2]}},
            {"filtering": {"queue__id__in": queues[:3], "status__in": [1, 2, 3]}},
            {"filtering": {"assigned_to__id__isnull": True}, "sorting": "created"},
        ]
        reqs = [
            web.Request("GET", datatables_path({**f, "search_string": ""}), headers=cookie)
            for _ in range(opts.rounds)
            for f in filters
        ]
        out["registry"] = {
            "concurrency": 1,
            **web.run_load(server.port, reqs, concurrency=1, time_limit_s=900).report(),
        }
        sent += len(reqs)
        words = ["年费", "降额", "催收", "征信", "理财", "手续费", "提额", "利息", "销卡", "客服"]
        reqs = [
            web.Request("GET", datatables_path({"search_string": w}), headers=cookie)
            for _ in range(max(1, opts.rounds // 2))
            for w in words
        ]
        out["search"] = {
            "concurrency": 1,
            "queries": words,
            **web.run_load(server.port, reqs, concurrency=1, time_limit_s=900).report(),
        }
        sent += len(reqs)
        out["memory"] = {"requests": sent, "processes": server.memory()}
    finally:
        server.stop()
        if vendor_of(purl) == "postgresql" and not opts.keep:
            postgres_recreate(purl, drop_only=True)
    return out


# --- one database --------------------------------------------------------------------------------


def count_cases(url: str) -> int | None:
    """Complaints in an existing database (raw driver: no Django in the runner)."""
    from bench.dbenv import sqlite_path
    from bench.inproc import RawDriver

    if vendor_of(url) == "sqlite" and not sqlite_path(url).exists():
        return None  # connecting would create an empty file
    try:
        raw = RawDriver(url)
        row = raw.conn.execute("SELECT COUNT(*) FROM complaints_complaint").fetchone()
        raw.conn.close()
    except Exception:  # no database or no such table yet: the report says the data are missing
        return None
    return int(row[0])


def existing_data(url: str, tmp: Path, vendor: str) -> dict[str, Any]:
    """The figures of a database generated before the run (`generate.json`), or why there are
    none; either way the report says the data were not generated by this run."""
    path = tmp / "generate.json"
    if not path.exists():
        return {
            "reused": True,
            "available": False,
            "why": f"existing {vendor} database used as it is; {path} not found",
            "cases": count_cases(url),
        }
    data: dict[str, Any] = json.loads(path.read_text())
    data["reused"] = True
    data["cases_now"] = count_cases(url)  # earlier runs' writes and API creates stay
    data["finished_at"] = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(path.stat().st_mtime))
    data["wall_s"] = sum((data.get("phases") or {}).values())
    return data


def inproc(
    name: str, db: list[str], tmp: Path, timeout: float, *extra: str, out: str = ""
) -> dict[str, Any]:
    target = tmp / f"{out or name}.json"
    return json_step(
        ["-m", "bench.inproc", name, *db, *extra, "--out", str(target)], target, timeout=timeout
    )


def import_rows(opts: argparse.Namespace, cases: int) -> int:
    if opts.import_rows:
        return int(opts.import_rows)
    return min(IMPORT_ROWS, max(1000, cases // 10))


def run_import(db: list[str], tmp: Path, opts: argparse.Namespace, rows: int) -> dict[str, Any]:
    """File, import, raw driver: three processes. The raw step also removes the imported rows, so
    it runs whenever the import may have committed anything."""
    work = tmp / "import"
    csv_path, marks = work / f"referrals-{rows}.csv", work / "marks.json"
    marks.unlink(missing_ok=True)
    out: dict[str, Any] = {"rows": rows}
    log(f"  import: writing {rows:,} rows")
    out["file"] = inproc(
        "import-file", db, tmp, opts.timeout, "--n", str(rows), "--path", str(csv_path)
    )
    if "error" in out["file"]:
        return out
    log("  import: the product's importer")
    out["import"] = inproc(
        "import", db, tmp, opts.import_timeout, "--path", str(csv_path), "--marks", str(marks)
    )
    if marks.exists():
        log("  import: the same rows through the raw driver")
        out["raw"] = inproc("import-raw", db, tmp, opts.timeout, "--marks", str(marks))
    if not opts.keep:
        csv_path.unlink(missing_ok=True)
    return out


def run_classify(db: list[str], tmp: Path, opts: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"train": {}}
    since = time.time()
    failed = ""
    for target in opts.classify_targets:
        if failed:
            # Every target trains on the same closed cases: one that ran out of time or memory
            # says what the next would do, at the same cost.
            out["train"][target] = {"error": f"not attempted: training {failed} failed"}
            continue
        log(f"  classify: training {target}")
        out["train"][target] = result = inproc(
            "classify-train",
            db,
            tmp,
            opts.classify_timeout,
            "--target",
            target,
            out=f"classify-train-{target}",
        )
        if "error" in result:
            failed = target
    log("  classify: prediction")
    out["predict"] = inproc("classify-predict", db, tmp, opts.timeout, "--n", str(opts.predict_n))
    out["cleanup"] = inproc(
        "classify-cleanup", db, tmp, opts.timeout, "--since", f"{since - 1:.3f}"
    )
    return out


def run_database(url: str, selected: set[str], opts: argparse.Namespace) -> dict[str, Any]:
    vendor = vendor_of(url)
    tmp = WORK_DIR / f"run-{vendor}"
    tmp.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"url": url, "vendor": vendor, "step_s": {}}
    db = ["--database-url", url]

    @contextmanager
    def step(name: str) -> Iterator[None]:
        """Log the step and keep its wall time (for planning a run at another size)."""
        log(f"{vendor}: {name}")
        started = time.perf_counter()
        try:
            yield
        finally:
            res["step_s"][name] = time.perf_counter() - started

    created = "generate" in selected  # only a database the runner made is dropped at the end
    if created:
        fresh_database(url)
        with step(f"generate ({opts.cases:,} cases)"):
            res["generate"] = json_step(
                [
                    "-m",
                    "bench.generate",
                    "--cases",
                    str(opts.cases),
                    "--years",
                    str(opts.years),
                    "--seed",
                    str(opts.seed),
                    *db,
                    "--json",
                    str(tmp / "generate.json"),
                    *(["--no-search-index"] if opts.no_search_index else []),
                ],
                tmp / "generate.json",
                timeout=opts.timeout * 4,
            )
    else:
        res["generate"] = existing_data(url, tmp, vendor)
        log(f"{vendor}: existing data ({res['generate'].get('cases', '?')} cases), not regenerated")
    cases = res["generate"].get("cases") or opts.cases
    # Read-only steps first, then the writes; the import removes what it imported.
    tasks = [
        ("search", opts.rounds // 2 or 1, []),
        ("workbook", 3, []),
        ("dashboard", 3, []),
        ("summary", 2, ["--path", str(tmp / "summary")]),
    ]
    for name, n, extra in tasks:
        if name in selected:
            with step(name):
                res[name] = inproc(name, db, tmp, opts.timeout, "--n", str(n), *extra)
    if "classify" in selected:
        with step("classify"):
            res["classify"] = run_classify(db, tmp, opts)
    if "duplicates" in selected:
        with step("duplicates"):
            res["duplicates"] = inproc("duplicates", db, tmp, opts.timeout, "--n", str(opts.dup_n))
    if "write" in selected:
        with step("write"):
            res["write"] = inproc("write", db, tmp, opts.timeout, "--n", str(opts.write_n))
    if "import" in selected:
        with step("import"):
            res["import"] = run_import(db, tmp, opts, import_rows(opts, cases))
    if "sweep" in selected:
        with step("sweep"):
            res["sweep"] = inproc("sweep", db, tmp, opts.timeout, "--n", "20")
    prep: dict[str, Any] = {}
    if selected & {"api", "registry", "peer"}:
        with step("prepare-http"):
            prep = inproc(
                "prepare-http",
                db,
                tmp,
                opts.timeout,
                "--n",
                str(opts.api_n),
                "--batches",
                str(len(API_LEVELS)),
                out="prepare",
            )
    if selected & {"api", "registry"} and "error" not in prep:
        with step("HTTP benchmarks"):
            try:
                res["http"] = http_benchmarks(url, prep, selected, opts, tmp)
            except Exception as exc:
                res["http"] = {
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(),
                }
    if "peer" in selected and opts.peer:
        with step("peer (django-helpdesk)"):
            try:
                same = dict(api_batches(prep.get("payloads", []), opts.api_n)).get(CONCURRENCY, [])
                res["peer"] = peer_benchmarks(url, cases, same, opts, tmp)
            except Exception as exc:
                res["peer"] = {
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(),
                }
    if vendor == "postgresql":
        res["server_version"] = postgres_version(url)
        if created and not opts.keep:
            postgres_recreate(url, drop_only=True)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--only", action="append", choices=STEPS, help="repeatable")
    parser.add_argument(
        "--skip", action="append", choices=STEPS, default=[], help="repeatable, e.g. generate"
    )
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL databases the runner created, and the import file",
    )
    parser.add_argument(
        "--no-search-index", action="store_true", help="skip building the search index"
    )
    parser.add_argument("--write-n", type=int, default=500, help="registrations timed")
    parser.add_argument(
        "--api-n", type=int, default=1000, help="API creates sent at each concurrency level"
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        help=f"rows of the import file (default {IMPORT_ROWS:,}, or a tenth of the cases if "
        "less, at least 1,000)",
    )
    parser.add_argument(
        "--import-timeout", type=float, help="seconds for the import itself (default 2 × --timeout)"
    )
    parser.add_argument(
        "--classify-target",
        action="append",
        dest="classify_targets",
        choices=CLASSIFY_TARGETS,
        help="classifiers to train (repeatable; default: all three, as classifier_train does)",
    )
    parser.add_argument(
        "--classify-timeout", type=float, help="seconds per classifier training (default --timeout)"
    )
    parser.add_argument("--predict-n", type=int, default=1000, help="texts classified in a batch")
    parser.add_argument("--dup-n", type=int, default=200, help="texts checked for duplicates")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of list/search queries")
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per step")
    parser.add_argument("--label", default="", help="e.g. 'small validation run'")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--results",
        type=Path,
        default=WORK_DIR / "results.json",
        help="the run's figures as JSON (for `python -m bench.report`, which merges runs)",
    )
    opts = parser.parse_args(argv)
    urls = opts.urls or [DEFAULT_SQLITE, DEFAULT_POSTGRES]
    selected = set(opts.only or STEPS) - set(opts.skip) - (set() if opts.peer else {"peer"})
    opts.classify_targets = opts.classify_targets or list(CLASSIFY_TARGETS)
    opts.classify_timeout = opts.classify_timeout or opts.timeout
    opts.import_timeout = opts.import_timeout or opts.timeout * 2
    log(f"steps: {', '.join(s for s in STEPS if s in selected)}")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "machine": machine(),
        "argv": shlex.join(
            ["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])]
        ),
        "cases": opts.cases,
        "label": opts.label,
        "databases": [],
        "steps": [s for s in STEPS if s in selected],
        "settings": {
            "concurrency": CONCURRENCY,
            "api_levels": list(API_LEVELS),
            "write_n": opts.write_n,
            "api_n": opts.api_n,
            "rounds": opts.rounds,
            "predict_n": opts.predict_n,
            "dup_n": opts.dup_n,
            "classify_targets": opts.classify_targets,
        },
    }
    for url in urls:
        log(f"== {url}")
        results["databases"].append(run_database(url, selected, opts))
        opts.results.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    generated = {d["generate"].get("cases") for d in results["databases"] if d.get("generate")}
    generated.discard(None)
    if len(generated) == 1:
        results["cases"] = generated.pop()  # what the databases hold, whoever generated them
    results["machine"]["load_avg_end"] = os.getloadavg()
    results["wall_s"] = time.time() - started
    opts.results.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    write_report(results, opts.out)
    log(f"wrote {opts.out} ({results['wall_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
