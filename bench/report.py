"""Write the runner's results as docs/benchmarks.md (Markdown tables, figures as measured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NA = "—"


def _ms(value: Any) -> str:
    if value is None:
        return NA
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    return f"{value:,.1f} ms"


def _rate(value: Any, unit: str = "/s") -> str:
    return NA if value is None else f"{value:,.0f}{unit}" if value >= 10 else f"{value:,.2f}{unit}"


def _mb(value: Any) -> str:
    return NA if value is None else f"{value:,.0f} MB"


def _why(entry: Any) -> str | None:
    """Why an entry has no figures ("not available: …", "failed: …"), or None when it has."""
    if not isinstance(entry, dict) or not entry:
        return "not run"
    if entry.get("available") is False:
        return f"not available: {entry.get('why', '')}"
    if "error" in entry:
        return f"failed: {str(entry['error']).splitlines()[0][:160]}"
    if entry.get("n") == 0:
        statuses = ", ".join(f"{v}× HTTP {k}" for k, v in (entry.get("statuses") or {}).items())
        return f"failed: no successful request ({statuses})"
    return None


def _lat(entry: Any) -> tuple[str, str, str]:
    """(median, p99, throughput) cells for a latency summary."""
    why = _why(entry)
    if why:
        return why, "", ""
    return _ms(entry.get("median_ms")), _ms(entry.get("p99_ms")), _rate(entry.get("per_s"))


def _server_rss(entry: Any) -> str:
    procs = (entry or {}).get("processes") or []
    workers = [p for p in procs if p.get("rss_mb") is not None]
    if not workers:
        return NA
    biggest = max(workers, key=lambda p: p.get("hwm_mb") or 0)
    return f"{_mb(biggest.get('rss_mb'))} (peak {_mb(biggest.get('hwm_mb'))})"


def _target(value_ms: Any, limit_ms: float) -> str:
    if value_ms is None:
        return ""
    return " ✓" if value_ms < limit_ms else " ✗"


def _db_rows(db: dict[str, Any]) -> list[list[str]]:
    http = db.get("http") or {}
    rows = []
    w = db.get("write") or {}
    why = _why(w)
    if why:
        rows.append(
            ["Register through the service (`complaint_register`, 1 client)", why, "", "", ""]
        )
    else:
        s, r, b = w["service"], w["raw_per_case"], w["raw_bulk"]
        rows.append(
            [
                "Register through the service (`complaint_register`, 1 client)",
                *_lat(s),
                _mb(w.get("peak_rss_mb")),
            ]
        )
        rows.append(
            ["Same rows, raw driver, one transaction per case (physical limit)", *_lat(r), ""]
        )
        rows.append(
            [
                "Same rows, raw driver, all in one transaction (COPY / executemany)",
                "",
                "",
                _rate(b.get("per_s")),
                "",
            ]
        )
    api = http.get("api") if "error" not in http else http
    med, p99, thr = _lat(api)
    if isinstance(api, dict) and "median_ms" in api:
        p99 += _target(api.get("p99_ms"), 100)
        thr += " ✓" if (api.get("per_s") or 0) >= 300 else " ✗"
    rows.append(
        [f"API create, {(api or {}).get('concurrency', 10)} concurrent clients", med, p99, thr, ""]
    )
    reg = http.get("registry") if "error" not in http else http
    med, p99, thr = _lat(reg)
    if isinstance(reg, dict) and "median_ms" in reg:
        med += _target(reg.get("median_ms"), 50)
    rows.append(["Registry list with filters, first page (HTTP, 1 client)", med, p99, thr, ""])
    se = db.get("search")
    med, p99, thr = _lat(se)
    if isinstance(se, dict) and "median_ms" in se:
        med += _target(se.get("median_ms"), 50)
        p99 += _target(se.get("p99_ms"), 200)
    rows.append(
        [
            "Chinese search (`search_complaints`, first 20)",
            med,
            p99,
            thr,
            _mb((se or {}).get("peak_rss_mb")),
        ]
    )
    sh = http.get("search")
    if sh:
        rows.append(
            ["Chinese search through the web page (`/search/?q=`, HTTP, 1 client)", *_lat(sh), ""]
        )
    sw: dict[str, Any] = db.get("sweep") or {}
    why = _why(sw)
    if why:
        rows.append(["Deadline sweep", why, "", "", ""])
    else:
        rows.append(
            [
                "Deadline sweep, steady state (one pass a minute)",
                _ms(sw.get("median_ms")) + _target(sw.get("median_ms"), 1000),
                _ms(sw.get("p99_ms")),
                "",
                _mb(sw.get("peak_rss_mb")),
            ]
        )
        rows.append(
            [
                f"Deadline sweep, first pass ({sw.get('open_cases', '?'):,} open cases: {sw.get('first_pass', '')})",
                _ms((sw.get("first_pass_s") or 0) * 1000),
                "",
                "",
                "",
            ]
        )
    wb: dict[str, Any] = db.get("workbook") or {}
    why = _why(wb)
    if why:
        rows.append(["Quarter's regulator workbook", why, "", "", ""])
    else:
        rows.append(
            [
                f"Quarter's regulator workbook ({wb.get('period')}, {wb.get('n')} runs)",
                _ms(wb.get("median_ms")) + _target(wb.get("median_ms"), 10_000),
                _ms(wb.get("p99_ms")),
                "",
                _mb(wb.get("peak_rss_mb")),
            ]
        )
    mem = http.get("memory")
    if mem:
        rss = (
            max((p.get("rss_mb") or 0) for p in mem.get("processes", []))
            if mem.get("processes")
            else None
        )
        rows.append(
            [
                f"Web process memory after {mem.get('requests', '?'):,} requests (largest process)",
                _server_rss(mem) + _target(rss, 300),
                "",
                "",
                "",
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += [
        "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows
    ]
    return out


def _ratio(ours: Any, theirs: Any) -> str:
    if not ours or not theirs:
        return NA
    return f"{theirs / ours:,.2f}×"


def write_report(results: dict[str, Any], path: Path) -> None:
    m = results["machine"]
    dbs = results["databases"]
    label = results.get("label") or "benchmark run"
    lines = [
        "# Benchmarks",
        "",
        f"> **{label}** — {m['date']}, {results['cases']:,} cases per database. "
        "Written by `python -m bench`; every figure below was measured in this one run.",
        "",
        "Targets (issue 10) apply to **1,000,000 cases on PostgreSQL**: ✓/✗ marks whether a "
        "figure of this run is inside the target, which says little at a smaller size.",
        "",
        "## Machine",
        "",
    ]
    pg = next((d.get("server_version") for d in dbs if d["vendor"] == "postgresql"), NA)
    lines += _table(
        [
            "CPU",
            "cores",
            "RAM",
            "OS",
            "Python",
            "SQLite",
            "PostgreSQL",
            "load average (start → end)",
        ],
        [
            [
                m["cpu"],
                str(m["cores"]),
                f"{m['ram_gib']} GiB",
                m["os"],
                m["python"],
                m["sqlite"],
                str(pg),
                f"{m['load_avg'][0]:.1f} → {m.get('load_avg_end', [0])[0]:.1f}",
            ]
        ],
    )
    load = max(m["load_avg"][0], m.get("load_avg_end", [0])[0])
    if load > (m.get("cores") or 1):
        lines += [
            "",
            f"**The machine was shared during this run** (load average up to {load:.1f} on "
            f"{m['cores']} cores, from other work): absolute times are inflated and noisy; "
            "compare the ratios measured within the run.",
        ]
    lines += [
        "",
        f"Command: `{results['argv']}` ({results.get('wall_s', 0) / 60:.0f} min). "
        f"HTTP benchmarks hit a real server process ({_server_kind(dbs)}) on 127.0.0.1 from "
        "client threads in the runner, which shares the same cores.",
        "",
        "## Data",
        "",
    ]
    rows = []
    gens = [d.get("generate") or {} for d in dbs]
    heads = ["", *[d["vendor"] for d in dbs]]

    def row(name: str, f: Any) -> None:
        rows.append([name, *[(_why(g) or f(g)) if g else "not run" for g in gens]])

    row("cases", lambda g: f"{g['cases']:,}")
    row("rows written (all tables)", lambda g: f"{g['total_rows']:,}")
    row("rows by table", lambda g: ", ".join(f"{k} {v:,}" for k, v in g["rows"].items()))
    row("statuses", lambda g: ", ".join(f"{k} {v:,}" for k, v in sorted(g["statuses"].items())))
    row(
        "generation rate",
        lambda g: (
            f"{g['cases_per_s']:,.0f} cases/s, {g['rows_per_s']:,.0f} rows/s "
            f"({g['phases'].get('cases', 0):,.0f} s)"
        ),
    )
    row(
        "search index build (product's `search_reindex`)",
        lambda g: (
            (
                f"{g['search_indexed']:,} docs, {g['search_docs_per_s']:,.0f} docs/s "
                f"({g['phases'].get('search_index', 0):,.0f} s)"
            )
            if g.get("search_indexed")
            else "not built"
        ),
    )
    row("generator peak RSS", lambda g: _mb(g.get("peak_rss_mb")))
    lines += _table(heads, rows)
    lines += [
        "",
        "Narratives are built at run time from the real texts in `../shared/data` (BDCI 2021 bank "
        "comments, 黑猫投诉 examples, citizen messages about banks), with bank and product names, "
        "amounts and dates swapped; nothing of them is stored in the repository.",
        "",
        "## Results",
        "",
    ]
    for db in dbs:
        lines += [f"### {db['vendor']}", ""]
        lines += _table(
            ["Benchmark", "median", "p99", "throughput", "peak RSS (process)"], _db_rows(db)
        )
        lines.append("")
        by_query = (db.get("http") or {}).get("registry_by_query")
        if by_query:
            lines.append(
                "Registry list, median by filter (hq officer): "
                + "; ".join(f"`{q}` {_ms(v)}" for q, v in by_query.items())
                + "."
            )
            lines.append("")
    lines += ["## Physical limit of writes", ""]
    prow = []
    for db in dbs:
        w = db.get("write") or {}
        if _why(w):
            prow.append([db["vendor"], _why(w) or "", "", "", "", ""])
            continue
        s, r, b = w["service"], w["raw_per_case"], w["raw_bulk"]
        prow.append(
            [
                db["vendor"],
                f"{_rate(s.get('per_s'))} ({_ms(s.get('median_ms'))})",
                f"{_rate(r.get('per_s'))} ({_ms(r.get('median_ms'))})",
                _rate(b.get("per_s")),
                f"{s['per_s'] / r['per_s']:.1%}" if r.get("per_s") else NA,
                f"{s['per_s'] / b['per_s']:.1%}" if b.get("per_s") else NA,
            ]
        )
    lines += _table(
        [
            "database",
            "service: cases/s (median)",
            "raw, per case: cases/s (median)",
            "raw, bulk: cases/s",
            "service ÷ raw per case",
            "service ÷ raw bulk",
        ],
        prow,
    )
    rows_per_case = next(
        (d["write"].get("rows_per_case") for d in dbs if not _why(d.get("write"))), None
    )
    lines += [
        "",
        "The raw driver inserts exactly the rows the service wrote (complaint, complainant, "
        f"register event, demand and tag links: {rows_per_case or 0:.1f} rows a case), read back "
        "and re-inserted with `sqlite3` / `psycopg` in the same run, then removed again.",
        "",
        "## Side by side with django-helpdesk",
        "",
    ]
    lines += _peer_section(dbs)
    lines += ["", "## Not available or failed", ""]
    missing = []
    for db in dbs:
        for key in ("generate", "write", "search", "sweep", "workbook"):
            why = _why(db.get(key))
            if why and why != "not run":
                missing.append(f"- {db['vendor']} / {key}: {why}")
        http = db.get("http") or {}
        for key in ("api", "registry"):
            why = _why(http.get(key)) if "error" not in http else _why(http)
            if why and why != "not run":
                missing.append(f"- {db['vendor']} / {key}: {why}")
        why = _why(db.get("peer"))
        if why and why != "not run":
            missing.append(f"- {db['vendor']} / peer: {why}")
    lines += missing or ["Nothing: every benchmark ran."]
    lines.append("")
    findings = Path(__file__).with_name("findings.md")
    if findings.exists():
        lines += [findings.read_text().rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def _server_kind(dbs: list[dict[str, Any]]) -> str:
    for db in dbs:
        kind = (db.get("http") or {}).get("server")
        if kind:
            return kind
    return "not started"


def _explain(ratio: str, key: str) -> str:
    if ratio == NA:
        return NA
    if key == "per_s":
        return f"helpdesk creates {ratio} as many per second"
    return f"helpdesk takes {ratio} as long (median)"


def _peer_section(dbs: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    rows = []
    for db in dbs:
        p = db.get("peer") or {}
        why = _why(p) if p else "not run"
        if why:
            rows.append([db["vendor"], why, "", "", ""])
            continue
        http = db.get("http") or {}
        pairs = [
            ("create through the API, 10 clients", http.get("api"), p.get("api"), "per_s"),
            (
                "queue / registry list filtered, first page",
                http.get("registry"),
                p.get("registry"),
                "median_ms",
            ),
            (
                "text search, HTTP (ours: /search/; peer: icontains)",
                http.get("search") or db.get("search"),
                p.get("search"),
                "median_ms",
            ),
        ]
        for name, ours, theirs, key in pairs:
            o, t = ours or {}, theirs or {}
            ratio = _ratio(o.get(key), t.get(key)) if not (_why(o) or _why(t)) else NA
            rows.append(
                [
                    db["vendor"],
                    name,
                    _why(o)
                    or f"{_ms(o.get('median_ms'))} / {_ms(o.get('p99_ms'))} / {_rate(o.get('per_s'))}",
                    _why(t)
                    or f"{_ms(t.get('median_ms'))} / {_ms(t.get('p99_ms'))} / {_rate(t.get('per_s'))}",
                    _explain(ratio, key),
                ]
            )
        load = p.get("load") or {}
        rows.append(
            [
                db["vendor"],
                "bulk load",
                "see Data",
                f"{load.get('tickets', 0):,} tickets + "
                f"{load.get('followups', 0):,} follow-ups, {_rate(load.get('rows_per_s'))} rows",
                "",
            ]
        )
        rows.append(
            [
                db["vendor"],
                "web process memory",
                _server_rss((db.get("http") or {}).get("memory")),
                _server_rss(p.get("memory")),
                "",
            ]
        )
    lines += _table(
        [
            "database",
            "operation",
            "Xiaobao median / p99 / throughput",
            "django-helpdesk median / p99 / throughput",
            "ratio",
        ],
        rows,
    )
    versions = next(
        (
            (d.get("peer") or {}).get("versions")
            for d in dbs
            if (d.get("peer") or {}).get("versions")
        ),
        None,
    )
    pins = next(
        ((d.get("peer") or {}).get("pins") for d in dbs if (d.get("peer") or {}).get("pins")), None
    )
    lines += [
        "",
        f"Peer installed by the runner into its own virtual environment (pins: {', '.join(pins or [])}; "
        f"installed: {versions or 'n/a'}), with a project skeleton written at run time and the same "
        "number of tickets bulk-loaded with the same narratives. Its list is the datatables "
        "endpoint behind its ticket list (which also counts every matching row); its search is "
        "the ticket list's search string (icontains over title, description and other fields).",
    ]
    return lines
