"""Finish a generated database whose generator was stopped while building the search index.

    python -m bench.finish --database-url URL --generated-seconds S [--workers 2] --json FILE

On a shared 2-core machine the generator's single-process index build can crawl; this resumes it
with the product's own `search_reindex(stale_only=True, workers=N)` (only cases without a current
document), merges SQLite's FTS segments as a full rebuild would, settles the database like the
generator does, and writes the same JSON the generator writes. The rows and statuses are counted
from the database; the generation time is the figure the generator printed before it was stopped
(`--generated-seconds`), and the JSON says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.dbenv import setup_django
from bench.generate import peak_rss_mb, settle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.finish", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generated-seconds", type=float, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    vendor = setup_django(args.database_url)

    from django.db import connection
    from django.db.models import Count

    from bench.generate import table_models
    from xiaobao.complaints.models import Complaint
    from xiaobao.language.models import SearchDocument
    from xiaobao.language.services import search_reindex

    before = SearchDocument.objects.count()
    print(f"{vendor}: {before:,} documents indexed by the generator; resuming", flush=True)
    started = time.perf_counter()
    step = [started]

    def progress(done: int) -> None:
        if time.perf_counter() - step[0] > 30:
            step[0] = time.perf_counter()
            print(f"  indexed {done:,} ({done / (step[0] - started):,.0f} docs/s)", flush=True)

    done = search_reindex(batch=1000, stale_only=True, workers=args.workers, progress=progress)
    if vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO language_search_fts(language_search_fts) VALUES('optimize')")
    index_s = time.perf_counter() - started
    print(f"  {done:,} documents in {index_s:.1f} s ({done / index_s:,.0f}/s)", flush=True)
    t0 = time.perf_counter()
    settle(vendor)
    settle_s = time.perf_counter() - t0

    models: dict[str, Any] = table_models()
    rows = {key: model.objects.count() for key, model in models.items()}
    statuses = dict(Complaint.objects.values_list("status").annotate(n=Count("pk")).order_by())
    cases = rows["complaint"]
    total = sum(rows.values())
    out = {
        "vendor": vendor,
        "cases": cases,
        "rows": rows,
        "total_rows": total,
        "statuses": statuses,
        "phases": {"cases": args.generated_seconds, "search_index": index_s, "settle": settle_s},
        "cases_per_s": cases / args.generated_seconds,
        "rows_per_s": total / args.generated_seconds,
        "search_indexed": before + done,
        "search_docs_per_s": done / index_s if index_s else None,
        "search_index_note": (
            f"the generator indexed {before:,} documents single-process while sharing the machine, "
            f"then was stopped; the other {done:,} were indexed by bench.finish with "
            f"{args.workers} workers (rate shown is theirs)"
        ),
        "peak_rss_mb": peak_rss_mb(),
        "years": args.years,
        "seed": args.seed,
        "finished_by": "bench.finish",
    }
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(json.dumps({k: out[k] for k in ("statuses", "total_rows")}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
