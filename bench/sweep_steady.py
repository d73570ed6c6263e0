"""Steady-state deadline sweeps on a database whose first sweep pass was stopped part-way.

    python -m bench.sweep_steady --database-url URL [--passes 20] --json FILE

At a million cases the first pass (which checks every open case) can take longer than a
benchmark run allows. This measures what the runner's sweep step measures after its first pass
(`--passes` passes one minute apart) at moments just before the first pass's unchecked backlog
comes due, so each pass sees only what a minute really brings (new events, thresholds falling
due) and not the backlog. It also reports how far the first pass got and the query plans of the
sweep's own statements (`bench.inproc.sweep_plans`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.dbenv import setup_django
from bench.measure import summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep_steady", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    setup_django(args.database_url)

    from django.db.models import Count, Min

    from bench.inproc import sweep_plans
    from xiaobao.complaints.choices import OPEN_STATUSES
    from xiaobao.complaints.models import Complaint
    from xiaobao.watch.models import WatchState
    from xiaobao.watch.sweep import sweep

    state = WatchState.objects.aggregate(
        rows=Count("pk"), checked=Count("checked_at"), first_check=Min("checked_at")
    )
    backlog_due = WatchState.objects.filter(checked_at__isnull=True).aggregate(
        m=Min("next_check_at")
    )["m"]
    if backlog_due is None:
        print("no unchecked backlog: use the runner's sweep step", file=sys.stderr)
        return 1
    start = backlog_due - timedelta(minutes=args.passes + 1)
    latencies, reports = [], []
    for i in range(args.passes):
        t = time.perf_counter()
        report = sweep(now=start + timedelta(minutes=i))
        latencies.append(time.perf_counter() - t)
        reports.append(str(report))
    plans = sweep_plans(sweep, start + timedelta(minutes=args.passes))
    out = {
        "open_cases": Complaint.objects.filter(status__in=OPEN_STATUSES).count(),
        "watch_rows": state["rows"],
        "first_pass_checked": state["checked"],
        "first_pass_started": str(state["first_check"]),
        "passes_from": str(start),
        **summary(latencies),
        "reports": reports,
        "plans": plans,
    }
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    print(json.dumps({k: v for k, v in out.items() if k not in ("plans", "reports")}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
