"""Run every benchmark on SQLite and PostgreSQL, side by side with django-helpdesk, and write
docs/benchmarks.md.

    python -m bench [--cases N] [--database-url URL ...] [--only NAME ...] [--no-peer]

Every step runs in its own process (so each reports its own peak RSS): the generator, one
process per in-process benchmark, a real web server (gunicorn) for the HTTP benchmarks, and the
peer in its own virtual environment. The PostgreSQL databases (xiaobao_bench, helpdesk_bench)
are created and dropped by the runner. Figures from one run are compared with each other only.
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
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

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

STEPS = ("generate", "write", "search", "workbook", "sweep", "api", "registry", "peer")
CONCURRENCY = 10


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


def _auth(prep: dict[str, Any], who: str = "hq") -> dict[str, str]:
    return {"Cookie": f"{prep['session_cookie']}={prep['sessions'][who]}"}


def http_benchmarks(
    url: str, prep: dict[str, Any], selected: set[str], opts: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gunicorn = web.ensure_gunicorn()
    env = server_env(url)
    env["DEBUG"] = "0"
    server = web.start_server(
        python=sys.executable,
        wsgi="xiaobao.wsgi:application",
        env=env,
        cwd=REPO_ROOT,
        log=tmp / "server.log",
        workers=opts.server_workers,
        threads=opts.server_threads,
        use_gunicorn=gunicorn is not None,
        manage=REPO_ROOT / "manage.py",
        extra_path=[gunicorn] if gunicorn is not None else [],
    )
    out["server"] = server.kind
    requests_sent = 0
    try:
        # Warm every worker: imports, template loading, the first connection.
        warm = [web.Request("GET", "/complaints/", headers=_auth(prep)) for _ in range(8)]
        web.run_load(server.port, warm, concurrency=4, time_limit_s=120)
        requests_sent += len(warm)
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
                reqs = [
                    web.Request("POST", "/api/v1/complaints/", json.dumps(p).encode(), headers)
                    for p in prep["payloads"]
                ]
                result = web.run_load(server.port, reqs, concurrency=CONCURRENCY, time_limit_s=900)
                requests_sent += len(reqs)
                out["api"] = {"available": True, "concurrency": CONCURRENCY, **result.report()}
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
        out["memory"] = {"requests": requests_sent, "processes": server.memory()}
    finally:
        server.stop()
    return out


def _encode(query: str) -> str:
    return "&".join(
        f"{k}={quote(v)}" for k, _, v in (part.partition("=") for part in query.split("&"))
    )


# --- the peer ------------------------------------------------------------------------------------


def peer_url(url: str) -> str:
    if vendor_of(url) == "sqlite":
        return f"sqlite:///{WORK_DIR / 'helpdesk-bench.sqlite3'}"
    return urlunsplit(urlsplit(url)._replace(path="/helpdesk_bench"))


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


def run_database(url: str, selected: set[str], opts: argparse.Namespace) -> dict[str, Any]:
    vendor = vendor_of(url)
    tmp = WORK_DIR / f"run-{vendor}"
    tmp.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"url": url, "vendor": vendor}
    db = ["--database-url", url]
    if "generate" in selected:
        fresh_database(url)
        log(f"{vendor}: generating {opts.cases:,} cases")
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
    tasks = [
        ("search", opts.rounds // 2 or 1),
        ("workbook", 3),
        ("write", opts.write_n),
        ("sweep", 20),
    ]
    for name, n in tasks:
        if name in selected:
            log(f"{vendor}: {name}")
            res[name] = json_step(
                [
                    "-m",
                    "bench.inproc",
                    name,
                    *db,
                    "--n",
                    str(n),
                    "--out",
                    str(tmp / f"{name}.json"),
                ],
                tmp / f"{name}.json",
                timeout=opts.timeout,
            )
    prep: dict[str, Any] = {}
    if selected & {"api", "registry", "peer"}:
        prep = json_step(
            [
                "-m",
                "bench.inproc",
                "prepare-http",
                *db,
                "--n",
                str(opts.api_n),
                "--out",
                str(tmp / "prepare.json"),
            ],
            tmp / "prepare.json",
            timeout=opts.timeout,
        )
    if selected & {"api", "registry"} and "error" not in prep:
        log(f"{vendor}: HTTP benchmarks")
        try:
            res["http"] = http_benchmarks(url, prep, selected, opts, tmp)
        except Exception as exc:
            res["http"] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    if "peer" in selected and opts.peer:
        log(f"{vendor}: peer (django-helpdesk)")
        try:
            res["peer"] = peer_benchmarks(url, opts.cases, prep.get("payloads", []), opts, tmp)
        except Exception as exc:
            res["peer"] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    if vendor == "postgresql":
        res["server_version"] = postgres_version(url)
        if not opts.keep:
            postgres_recreate(url, drop_only=True)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--only", action="append", choices=STEPS, help="repeatable")
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument(
        "--no-search-index", action="store_true", help="skip building the search index"
    )
    parser.add_argument("--write-n", type=int, default=500, help="registrations timed")
    parser.add_argument("--api-n", type=int, default=1000, help="API creates sent")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of list/search queries")
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per step")
    parser.add_argument("--label", default="", help="e.g. 'small validation run'")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    opts = parser.parse_args(argv)
    urls = opts.urls or [DEFAULT_SQLITE, DEFAULT_POSTGRES]
    selected = set(opts.only or STEPS)
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
        "settings": {
            "concurrency": CONCURRENCY,
            "write_n": opts.write_n,
            "api_n": opts.api_n,
            "rounds": opts.rounds,
        },
    }
    for url in urls:
        log(f"== {url}")
        results["databases"].append(run_database(url, selected, opts))
        (WORK_DIR / "results.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str)
        )
    results["machine"]["load_avg_end"] = os.getloadavg()
    results["wall_s"] = time.time() - started
    (WORK_DIR / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str)
    )
    write_report(results, opts.out)
    log(f"wrote {opts.out} ({results['wall_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
