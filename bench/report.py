"""Write the runner's results as docs/benchmarks.md (Markdown tables, figures as measured)."""

from __future__ import annotations

import statistics
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
    levels = http.get("api_levels") or {"10": http.get("api")}
    for clients, api in levels.items():
        api = api if "error" not in http else http
        med, p99, thr = _lat(api)
        # Issue 10's targets are marked at 10 clients, the level compared with the peer.
        if isinstance(api, dict) and "median_ms" in api and str(clients) == "10":
            p99 += _target(api.get("p99_ms"), 100)
            thr += " ✓" if (api.get("per_s") or 0) >= 300 else " ✗"
        n = (api or {}).get("concurrency", clients)
        cpu = (api or {}).get("cpu_ms_per_create")
        rows.append(
            [
                f"API create, {n} concurrent client{'s' if str(n) != '1' else ''} (issue 6)"
                + (f"; web CPU {cpu} ms per create" if cpu is not None else ""),
                med,
                p99,
                thr,
                "",
            ]
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
    for key, label in (
        ("search_startup_ms", "sent the moment a fresh server's port opens (workers starting)"),
        ("search_cold_ms", "fresh workers, started, nothing served yet"),
        ("search_warm_again_ms", "the same, every worker warm"),
    ):
        if http.get(key):
            times = sorted(http[key])
            rows.append(
                [
                    f"First searches, 2 at a time: {label}; median and slowest",
                    _ms(statistics.median(times)),
                    _ms(times[-1]),
                    "",
                    "",
                ]
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
    rows += _issue_rows(db)
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


def _issue_rows(db: dict[str, Any]) -> list[list[str]]:
    """Headline rows of issues 6, 8 and 9 for the results table (details in their sections)."""
    rows: list[list[str]] = []
    d = db.get("dashboard")
    if d:
        why = _why(d)
        rows.append(
            [
                f"Dashboard main queries: {d.get('queries', '?')} statistics calls of the 4 pages, "
                f"trailing 12 months (issue 8)",
                *((why, "", "") if why else (_ms(d.get("median_ms")), _ms(d.get("p99_ms")), "")),
                _mb(d.get("peak_rss_mb")) if not why else "",
            ]
        )
    sm = db.get("summary")
    if sm:
        why = _why(sm)
        for key, name in (("quarter", "last full quarter"), ("year", "last full year")):
            e = sm.get(key) or {}
            rows.append(
                [
                    f"Work summary (Word), {name} {e.get('from', '')} – {e.get('to', '')} (issue 8)",
                    *(
                        (why, "", "")
                        if why
                        else (_ms(e.get("median_ms")), _ms(e.get("p99_ms")), "")
                    ),
                    _mb(sm.get("peak_rss_mb")) if not why and key == "quarter" else "",
                ]
            )
    imp = (db.get("import") or {}).get("import")
    if db.get("import"):
        why = _why(imp) or _why((db.get("import") or {}).get("file"))
        rows.append(
            [
                f"Bulk import of a {db['import'].get('rows', 0):,}-row referral file (issue 6)",
                why or f"{_secs((imp or {}).get('wall_s'))} in all",
                "",
                "" if why else _rate((imp or {}).get("rows_per_s"), " rows/s"),
                "" if why else _mb((imp or {}).get("peak_rss_mb")),
            ]
        )
    cl = db.get("classify") or {}
    for target, t in (cl.get("train") or {}).items():
        why = _why(t)
        rows.append(
            [
                f"Classifier training, {target} (`classifier_train`) (issue 9)",
                why or f"{_secs(t.get('wall_s'))} on {t.get('cases_used', 0):,} cases",
                "",
                "" if why else _rate(t.get("cases_per_s"), " cases/s"),
                "" if why else _mb(t.get("peak_rss_mb")),
            ]
        )
    pr = cl.get("predict")
    if pr:
        why = _why(pr)
        cat = ((pr or {}).get("targets") or {}).get("category") or {}
        if why or not cat.get("batch"):
            rows.append(["Classification, category (issue 9)", why or "no model", "", "", ""])
        else:
            rows.append(
                [
                    f"Classification, category, batch of {cat['batch']['n']:,} (issue 9)",
                    "",
                    "",
                    _rate(cat["batch"].get("per_s"), " texts/s"),
                    _mb(pr.get("peak_rss_mb")),
                ]
            )
            rows.append(
                [
                    "Classification, category, one text at a time (issue 9)",
                    *_lat(cat.get("single")),
                    "",
                ]
            )
            if (pr.get("suggest") or {}).get("targets"):
                rows.append(
                    [
                        f"`suggest()` for one case ({pr['suggest']['targets']} models) (issue 9)",
                        *_lat(pr.get("suggest")),
                        "",
                    ]
                )
    du = db.get("duplicates")
    if du:
        why = _why(du)
        if why:
            rows.append(["Duplicate check per new complaint (issue 9)", why, "", "", ""])
        else:
            rows.append(
                [
                    f"Duplicate check per new complaint, `find_duplicates` ({du.get('texts')} texts) (issue 9)",
                    *_lat(du.get("find_duplicates")),
                    _mb(du.get("peak_rss_mb")),
                ]
            )
            rows.append(
                [
                    "Same complainant's open cases on submit, `duplicates_for` (issue 9)",
                    *_lat(du.get("duplicates_for")),
                    "",
                ]
            )
    return rows


def _bytes(value: Any) -> str:
    if not value:
        return NA
    return f"{value / 2**20:,.1f} MiB" if value >= 2**20 else f"{value / 1024:,.0f} KiB"


def _brief(value: Any) -> str:
    """Seconds, or milliseconds below one second (a lock held for a moment)."""
    if value is None or value >= 1:
        return _secs(value)
    return f"{value * 1000:,.0f} ms"


def _secs(value: Any) -> str:
    if value is None:
        return NA
    if value >= 120:
        return f"{value / 60:,.1f} min"
    return f"{value:,.1f} s"


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
        + (
            f"HTTP benchmarks hit a real server process ({_server_kind(dbs)}) on 127.0.0.1 from "
            "client threads in the runner, which shares the same cores."
            if _server_kind(dbs) != "not started"
            else "No HTTP benchmark in this run."
        ),
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
    for db, g in zip(dbs, gens, strict=True):
        if g.get("reused") and not g.get("finished_at"):
            counted = f"{g['cases']:,} cases" if g.get("cases") is not None else "no cases table"
            lines += [
                "",
                f"{db['vendor']}: an existing database was used as it is ({counted}); it was not "
                f"generated by this run, and no `run-{db['vendor']}/generate.json` gives its "
                "generation figures.",
            ]
        elif g.get("reused"):
            when = f"finished {g['finished_at']}, {_secs(g.get('wall_s'))} in its recorded phases"
            if g.get("finished_by"):
                when += f", completed by `{g['finished_by']}`"
            now = g.get("cases_now")
            held = (
                f" The database holds {now:,} cases at the start of this run (earlier runs' "
                "registrations and API creates stay)."
                if now and now != g.get("cases")
                else ""
            )
            lines += [
                "",
                f"{db['vendor']}: the data were generated before this run, by a separate command "
                f"(`python -m bench.generate … --json …/run-{db['vendor']}/generate.json`; {when}); "
                f"this run did not regenerate them.{held}",
            ]
            if g.get("search_index_note"):
                lines[-1] += f" Search index: {g['search_index_note']}."
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
    ]
    lines += _import_section(dbs)
    lines += _dashboard_section(dbs)
    lines += _language_section(dbs)
    lines += _plan_section(dbs)
    lines += [
        "## Side by side with django-helpdesk",
        "",
    ]
    lines += _peer_section(dbs)
    lines += _step_times(dbs)
    lines += ["", "## Not available or failed", ""]
    missing = []
    for db in dbs:
        for key in ("generate", "write", "search", "sweep", "workbook", "dashboard", "summary"):
            why = _why(db.get(key))
            if why and why != "not run":
                missing.append(f"- {db['vendor']} / {key}: {why}")
        nested = {
            "import": ("file", "import", "raw"),
            "classify": ("predict", "cleanup"),
        }
        for key, parts in nested.items():
            for part in parts:
                entry = (db.get(key) or {}).get(part)
                why = _why(entry) if entry is not None else None
                if why and why != "not run":
                    missing.append(f"- {db['vendor']} / {key} {part}: {why}")
        for target, entry in ((db.get("classify") or {}).get("train") or {}).items():
            why = _why(entry)
            if why:
                missing.append(f"- {db['vendor']} / classifier training {target}: {why}")
        why = _why(db.get("duplicates")) if db.get("duplicates") else None
        if why:
            missing.append(f"- {db['vendor']} / duplicates: {why}")
        plans = (db.get("sweep") or {}).get("plans") or {}
        if "error" in plans:
            missing.append(f"- {db['vendor']} / sweep query plan: {_why(plans)}")
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


# --- sections of issues 6, 7, 8 and 9 --------------------------------------------------------------


def _import_section(dbs: list[dict[str, Any]]) -> list[str]:
    runs = [(db["vendor"], db.get("import")) for db in dbs if db.get("import")]
    if not runs:
        return []
    lines = ["## Bulk import (issue 6)", ""]
    rows = []
    for vendor, run in runs:
        f, imp, raw = run.get("file") or {}, run.get("import") or {}, run.get("raw") or {}
        why = _why(f) or _why(imp)
        if why:
            rows.append([vendor, why, "", "", "", "", "", ""])
            continue
        growth = imp.get("rss_growth_mb_per_10k_rows")
        ratio = NA
        if imp.get("rows_per_s") and raw.get("cases_per_s"):
            ratio = f"{imp['rows_per_s'] / raw['cases_per_s']:.1%}"
        rows.append(
            [
                vendor,
                f"{imp.get('created', 0):,} of {imp.get('file_rows', 0):,} "
                f"({'committed' if imp.get('committed') else 'rolled back'}; "
                f"{imp.get('errors', 0)} errors, {imp.get('warnings', 0)} warnings)",
                f"{_secs(imp.get('wall_s'))} (after the last row: {_secs(imp.get('after_last_row_s'))}"
                + (
                    f"; registry numbers, under the sequence lock: {_secs(imp['numbering_s'])}"
                    + (
                        f" in all, reserved in {imp['reservations']:,} blocks"
                        if imp.get("numbering") == "reserved"
                        else ""
                    )
                    if imp.get("numbering_s") is not None
                    else ""
                )
                + (
                    (
                        f"; longest hold of the sequence lock: {_brief(imp['lock_s'])}"
                        if imp.get("numbering") == "reserved"
                        else f"; sequence lock held to the end of the commit: {_secs(imp['lock_s'])}"
                    )
                    if imp.get("lock_s") is not None
                    else ""
                )
                + (
                    f"; after-commit hooks: {_secs(imp['after_commit_s'])}"
                    if imp.get("after_commit_s") is not None
                    else ""
                )
                + ")",
                _rate(imp.get("rows_per_s"), " rows/s"),
                f"{_mb(imp.get('peak_rss_mb'))}; {_mb(imp.get('rss_at_10pct_mb'))} at 10% → "
                f"{_mb(imp.get('rss_at_100pct_mb'))} at 100% of the rows"
                + (f" ({growth:+,.1f} MB per 10,000 rows)" if growth is not None else ""),
                _why(raw)
                or f"{_rate(raw.get('cases_per_s'), ' cases/s')} ({raw.get('rows', 0):,} rows in "
                f"{_secs(raw.get('insert_s'))})",
                ratio,
                _mb(raw.get("peak_rss_mb")) if raw else "",
            ]
        )
    lines += _table(
        [
            "database",
            "cases imported",
            "wall time",
            "throughput",
            "importer peak RSS; RSS along the file",
            "same rows, raw driver, one transaction",
            "import ÷ raw",
            "raw process peak RSS",
        ],
        rows,
    )
    first = next((r for _v, r in runs if (r.get("file") or {}).get("rows")), {})
    f = first.get("file") or {}
    formats = ", ".join(f"{k} {v:,}" for k, v in (f.get("received_at_formats") or {}).items())
    tables = next(
        (
            (r.get("raw") or {}).get("rows_by_table")
            for _v, r in runs
            if (r.get("raw") or {}).get("rows_by_table")
        ),
        None,
    )
    lines += [
        "",
        f"The file: {f.get('rows', 0):,} new referral cases (12345 / 12363 / 12378) received over "
        f"the last 90 days, {_bytes(f.get('bytes'))} of {f.get('encoding', '?').upper()} "
        "CSV with CRLF rows, narratives from the generator's texts with line breaks (CRLF or LF), "
        "tabs and full-width spaces inside the cells, units and taxonomy codes given by code or by "
        "name, phone numbers with spaces, amounts as `¥1,200.00`, `1200元`, `人民币1200元`; "
        f"receipt times written six ways ({formats}). It is written to the runner's work "
        "directory by its own process, imported by `import_complaints` (the function behind "
        "`manage.py import_complaints`, all rows in one transaction) in another, and deleted "
        "afterwards. RSS along the file is sampled every half second against the rows read so far.",
        "",
        "The raw driver then reads back every row the import inserted (in every table: "
        + (", ".join(f"{t} {n:,}" for t, n in tables.items()) if tables else "—")
        + "), deletes them, inserts them again with `sqlite3` executemany / `psycopg` COPY in one "
        "transaction (timed), and deletes them again, so the later steps see the data as "
        "generated. Updates the import made to existing rows (the registry number counter) are "
        "not repeated.",
        "",
    ]
    return lines


def _dashboard_section(dbs: list[dict[str, Any]]) -> list[str]:
    have = [db for db in dbs if db.get("dashboard") or db.get("summary")]
    if not have:
        return []
    lines = ["## Dashboards and the work summary (issue 8)", ""]
    names: list[str] = []
    for db in have:
        for name in (db.get("dashboard") or {}).get("by_query") or {}:
            if name not in names:
                names.append(name)
    heads = ["statistics call (page: table)", *[f"{db['vendor']} median / p99" for db in have]]
    rows = []
    for name in names:
        cells = [name]
        for db in have:
            q = ((db.get("dashboard") or {}).get("by_query") or {}).get(name) or {}
            cells.append(
                f"{_ms(q.get('median_ms'))} / {_ms(q.get('p99_ms'))} ({q.get('rows', '?')} rows)"
                if q
                else NA
            )
        rows.append(cells)
    total = ["all of them (one run)"]
    for db in have:
        d = db.get("dashboard") or {}
        total.append(
            _why(d)
            or f"{_ms(d.get('median_ms'))} / {_ms(d.get('p99_ms'))} over {d.get('n')} runs "
            f"(first {_secs(d.get('first_run_s'))})"
        )
    rows.append(total)
    lines += _table(heads, rows)
    d = next((db.get("dashboard") for db in have if db.get("dashboard", {}).get("period")), {})
    lines += [
        "",
        "Each call is `complaint_statistics` as the dashboard views make it (xiaobao/reports/"
        f"views.py), for the head-office officer, over the default period ({d.get('period', '?')}, "
        f"{d.get('cases_in_period') or 0:,} counted cases); the timeliness page repeats the units "
        "and trends calls, so they are timed twice. Template rendering is not included.",
        "",
    ]
    rows = []
    for db in have:
        sm = db.get("summary") or {}
        why = _why(sm)
        for key in ("quarter", "year"):
            e = sm.get(key) or {}
            rows.append(
                [
                    db["vendor"],
                    key,
                    f"{e.get('from', '')} – {e.get('to', '')}",
                    why or ", ".join(_secs(t) for t in e.get("runs_s") or []),
                    "" if why else f"{e.get('bytes', 0) / 1024:,.0f} KiB",
                ]
            )
    lines += _table(["database", "work summary", "period", "each run", "document"], rows)
    lines += [
        "",
        "The work summary is built as `manage.py generate_report work-summary --from … --to … "
        "--out FILE.docx` builds it (`viewer_for` the whole institution, then `report_build`), "
        "in its own process; the first run includes loading the code and the templates.",
        "",
    ]
    return lines


def _language_section(dbs: list[dict[str, Any]]) -> list[str]:
    have = [db for db in dbs if db.get("classify") or db.get("duplicates")]
    if not have:
        return []
    lines = ["## Classification and duplicates (issue 9)", ""]
    rows = []
    caps: set[str] = set()
    for db in have:
        for target, t in ((db.get("classify") or {}).get("train") or {}).items():
            why = _why(t)
            if why:
                rows.append([db["vendor"], target, why, "", "", "", "", ""])
                continue
            m = t.get("metrics") or {}
            used = t.get("cases_used") or 0
            if t.get("capped"):
                caps.add(f"capped: {used:,} of {t.get('labelled_cases', 0):,}")
            elif used:
                caps.add("no cap")
            for name, value in (t.get("cap_constants") or {}).items():
                caps.add(f"{name} = {value:,}")
            rows.append(
                [
                    db["vendor"],
                    target,
                    f"{t.get('labelled_cases', 0):,} (used {used:,}: "
                    f"{m.get('n_train', 0):,} + {m.get('n_holdout', 0):,} held out)",
                    _secs(t.get("wall_s")),
                    _rate(t.get("cases_per_s"), " cases/s"),
                    _mb(t.get("peak_rss_mb")),
                    f"{m.get('accuracy', NA)} / {m.get('macro_f1', NA)}",
                    f"{t.get('outcome', '')}, {(t.get('model_bytes') or 0) / 2**20:,.1f} MiB",
                ]
            )
    if rows:
        lines += _table(
            [
                "database",
                "target",
                "labelled (closed) cases",
                "training time",
                "rate",
                "peak RSS",
                "held-out accuracy / macro-F1",
                "outcome, model",
            ],
            rows,
        )
        limit = next(
            (
                t.get("memory_limit_gib")
                for db in have
                for t in ((db.get("classify") or {}).get("train") or {}).values()
                if t.get("memory_limit_gib")
            ),
            None,
        )
        lines += [
            "",
            "Training is `classifier_train(target=…)`, what `manage.py classifier_train` runs for "
            "each target: every closed, classified case is read, a candidate is fitted on four "
            "fifths and scored on the rest, then (with no better active version) fitted again on "
            "all and stored. Size of the training set: "
            + (", ".join(sorted(caps)) or "not measured")
            + " (the product trains on every labelled case it finds). One process per target"
            + (f", its address space limited to {limit:,.1f} GiB" if limit else "")
            + "; the versions stored by this run are deleted afterwards.",
            "",
        ]
    rows = []
    for db in have:
        pr = (db.get("classify") or {}).get("predict")
        if not pr:
            continue
        why = _why(pr)
        if why:
            rows.append([db["vendor"], why, "", "", ""])
            continue
        for target, e in (pr.get("targets") or {}).items():
            if not e.get("batch"):
                rows.append([db["vendor"], target, e.get("model", ""), "", ""])
                continue
            single = e.get("single") or {}
            rows.append(
                [
                    db["vendor"],
                    target,
                    e.get("model", ""),
                    f"{_rate(e['batch'].get('per_s'), ' texts/s')} ({e['batch'].get('n', 0):,} texts)",
                    f"{_ms(single.get('median_ms'))} / {_ms(single.get('p99_ms'))} "
                    f"({_rate(single.get('per_s'), ' texts/s')})",
                ]
            )
        sg = pr.get("suggest") or {}
        rows.append(
            [
                db["vendor"],
                f"`suggest()` ({sg.get('targets', '?')} models)",
                "the stored versions",
                "",
                f"{_ms(sg.get('median_ms'))} / {_ms(sg.get('p99_ms'))} ({_rate(sg.get('per_s'), ' texts/s')})"
                if sg.get("targets")
                else "not measured: no stored version to suggest from",
            ]
        )
    if rows:
        lines += _table(
            ["database", "target", "model", "batch", "one text at a time: median / p99"], rows
        )
        lines += [
            "",
            "Prediction texts are new narratives from the generator, each seen once (the "
            "segmenter caches words per text, so a repeated text would skip its segmentation).",
            "",
        ]
    rows = []
    for db in have:
        du = db.get("duplicates")
        if not du:
            continue
        why = _why(du)
        if why:
            rows.append([db["vendor"], why, "", "", ""])
            continue
        f, s = du.get("find_duplicates") or {}, du.get("duplicates_for") or {}
        rows.append(
            [
                db["vendor"],
                f"{_ms(f.get('median_ms'))} / {_ms(f.get('p99_ms'))}",
                f"{_ms(s.get('median_ms'))} / {_ms(s.get('p99_ms'))}",
                f"{du.get('planted_found', 0)} of {du.get('planted', 0)}",
                f"{du.get('mean_candidates', 0):.2f}",
            ]
        )
    if rows:
        lines += _table(
            [
                "database",
                "`find_duplicates` median / p99",
                "`duplicates_for` median / p99",
                "retold cases found",
                "candidates per text",
            ],
            rows,
        )
        n = next((db["duplicates"].get("texts") for db in have if db.get("duplicates")), 0)
        lines += [
            "",
            f"{n} new complaints, as the head-office officer registering them for their unit: "
            "`find_duplicates` is the registration form's live check while the handler types, "
            "and the register view's merge offer once the case is saved (same ID or phone among "
            "open cases, and near-identical text among the last 90 days' cases of the unit's "
            "subtree, candidates from the full-text index); `duplicates_for` is the register "
            "view's check on submit (the same complainant's open cases). A quarter of "
            "the texts retell a recent case under a referral header (half with its phone number), "
            "and should be found.",
            "",
        ]
    return lines


def _plan_section(dbs: list[dict[str, Any]]) -> list[str]:
    have = [db for db in dbs if (db.get("sweep") or {}).get("plans")]
    if not have:
        return []
    lines = ["## Deadline sweep: query plans (issue 7)", ""]
    for db in have:
        plans = db["sweep"]["plans"]
        what = (
            "`EXPLAIN QUERY PLAN`"
            if db["vendor"] == "sqlite"
            else "`EXPLAIN (ANALYZE, BUFFERS)`, rolled back"
        )
        lines += [f"### {db['vendor']}", ""]
        why = _why(plans) if "error" in plans else None
        if why:
            lines += [why, ""]
            continue
        lines.append(
            f"Captured from one steady-state pass ({plans.get('statements_in_one_pass', '?')} "
            f"statements), as sent to the driver, then explained with the same parameters ({what})."
        )
        lines.append("")
        for key, title in (
            ("due_rows", "Due watch rows (the check phase's batch)"),
            ("event_log", "Event log past the cursor (the discover phase)"),
        ):
            e = plans.get(key) or {}
            if "sql" not in e:
                lines += [f"{title}: {e.get('why', 'not captured')}", ""]
                continue
            lines += [
                f"{title}; parameters {', '.join(e.get('params') or []) or 'none'}:",
                "",
                "```sql",
                e["sql"],
                "```",
                "",
                "```",
                e.get("plan", ""),
                "```",
                "",
            ]
            if e.get("plan_all_due") and e["plan_all_due"] != e.get("plan"):
                lines += [
                    "The same statement with every watched case due (a moment ten years later, "
                    "as on a first pass):",
                    "",
                    "```",
                    e["plan_all_due"],
                    "```",
                    "",
                ]
    return lines


def _step_times(dbs: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for db in dbs:
        for name in db.get("step_s") or {}:
            if name not in names:
                names.append(name)
    if not names:
        return []
    rows = [[name, *[_secs((db.get("step_s") or {}).get(name)) for db in dbs]] for name in names]
    return [
        "",
        "## Time per step",
        "",
        *_table(["step (own processes)", *[db["vendor"] for db in dbs]], rows),
    ]


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


def merge(paths: list[Path]) -> dict[str, Any]:
    """Several runs' results (e.g. one per database, each run once its data was ready) as one:
    the databases side by side, the first run's machine, the later runs' argv and wall time kept."""
    import json

    runs = [json.loads(p.read_text()) for p in paths]
    merged = dict(runs[0])
    # One entry per database: runs over the same database (different steps) are combined.
    by_url: dict[str, dict[str, Any]] = {}
    for run in runs:
        for db in run["databases"]:
            entry = by_url.setdefault(db["url"], {})
            for key, value in db.items():
                if isinstance(value, dict) and isinstance(entry.get(key), dict):
                    entry[key] = {**entry[key], **value}
                elif key not in entry or value:
                    entry[key] = value
    merged["databases"] = list(by_url.values())
    merged["argv"] = "; ".join(run["argv"] for run in runs)
    merged["wall_s"] = sum(run.get("wall_s") or 0 for run in runs)
    merged["steps"] = list(dict.fromkeys(s for run in runs for s in run["steps"]))
    sizes = {run["cases"] for run in runs}
    if len(sizes) != 1:
        raise SystemExit(f"runs over different data sizes cannot be merged: {sorted(sizes)}")
    return merged


def main(argv: list[str] | None = None) -> int:
    """python -m bench.report RESULTS.json [RESULTS.json …] [--out docs/benchmarks.md]"""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", type=Path, nargs="+")
    parser.add_argument("--label", default="", help="the report's title (default: the first run's)")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent.parent / "docs/benchmarks.md"
    )
    opts = parser.parse_args(argv)
    merged = merge(opts.results)
    merged["label"] = opts.label or merged.get("label", "")
    write_report(merged, opts.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
