"""Dashboards and the work summary (issue 8), timed through the product's own selectors.

The dashboard pages (xiaobao/reports/views.py: trends, causes, units, timeliness) each bind the
filter form to the default period (the trailing twelve months) and call `complaint_statistics`
once per table or chart; `_dashboard_calls` lists those calls page by page, with the same
arguments, and one "run" makes all of them, as a user opening the four tabs would. Each page is
also requested whole through Django's test client as the head-office officer (form, statistics,
templates and ECharts options; no network), since the target is per page: `pages`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bench.measure import summary

TIME_BOUND_S = 300  # after the first run, no new run starts once this much has been spent


def build_rollups() -> dict[str, Any]:
    """Bring the monthly rollups up to date before timing reads (xiaobao.reports.rollups; the
    scheduled job does it in production, and a freshly generated database has none): the
    build is reported, not counted in the reads. Nothing for code without rollups."""
    try:
        from xiaobao.reports import rollups
    except ImportError:
        return {}
    t = time.perf_counter()
    months = rollups.build_stale()
    return {"rollups_built": months, "rollups_build_s": time.perf_counter() - t}


def _dashboard_calls(user: Any) -> list[tuple[str, Callable[[], Any]]]:
    """(name, call) for every statistics call of the four dashboard pages, default filters."""
    from django.http import QueryDict

    from xiaobao.reports.forms import DashboardForm
    from xiaobao.reports.selectors import complaint_statistics

    first, last = DashboardForm.default_range()
    data = QueryDict(mutable=True)
    data.update({"received_from": first.isoformat(), "received_to": last.isoformat()})
    data.update({"grain": "month"})
    form = DashboardForm(data, user=user)
    if not form.is_valid():
        raise RuntimeError(f"dashboard form rejected its own defaults: {form.errors.as_text()}")
    filters = form.filters()
    grain = form.cleaned_data["grain"]
    depth = form.base_unit().depth + 1

    def stats(**kwargs: Any) -> Callable[[], Any]:
        return lambda: complaint_statistics(user=user, filters=filters, **kwargs)

    return [
        ("trends: by period", stats(dimensions=["period"], grain=grain, repeats="total")),
        ("trends: by intake channel", stats(dimensions=["intake_channel"], repeats="none")),
        ("causes: by cause", stats(dimensions=["cause"], repeats="total")),
        ("causes: by business category", stats(dimensions=["business_category"], repeats="none")),
        (
            "causes: by business category, sub-categories",
            stats(dimensions=["business_category"], rollup=False, repeats="none"),
        ),
        ("units: ranking by unit", stats(dimensions=["unit"], unit_depth=depth)),
        ("timeliness: by unit", stats(dimensions=["unit"], unit_depth=depth, repeats="total")),
        ("timeliness: by period", stats(dimensions=["period"], grain=grain, repeats="none")),
    ]


def task_dashboard(url: str, runs: int) -> dict[str, Any]:
    from xiaobao.organisation.models import User
    from xiaobao.reports.forms import DashboardForm

    user = User.objects.get(username="hq_officer")
    built = build_rollups()
    calls = _dashboard_calls(user)
    per_query: dict[str, list[float]] = {name: [] for name, _call in calls}
    totals: list[float] = []
    rows: dict[str, int] = {}
    population = None
    spent = 0.0
    for i in range(runs):
        if i and spent > TIME_BOUND_S:
            break
        run_started = time.perf_counter()
        for name, call in calls:
            t = time.perf_counter()
            result = call()
            per_query[name].append(time.perf_counter() - t)
            rows[name] = len(result.rows)
            population = result.total.received
        totals.append(time.perf_counter() - run_started)
        spent += totals[-1]
    first, last = DashboardForm.default_range()
    pages = _time_pages(user, runs)
    return {
        "available": True,
        "period": f"{first.isoformat()} – {last.isoformat()}",
        "cases_in_period": population,
        "queries": len(calls),
        "first_run_s": totals[0],
        **summary(totals),
        "by_query": {
            name: {**summary(times), "rows": rows.get(name)} for name, times in per_query.items()
        },
        "pages": pages,
        **built,
    }


PAGES = {
    "trends": "reports:dashboard",
    "causes": "reports:causes",
    "units": "reports:units",
    "timeliness": "reports:timeliness",
}


def _time_pages(user: Any, runs: int) -> dict[str, Any]:
    """Each dashboard page requested whole (default filters), `runs` times, after one warm-up
    request that is reported as `first_s`."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    out: dict[str, Any] = {}
    for page, name in PAGES.items():
        url = reverse(name)
        times: list[float] = []
        for _i in range(runs + 1):
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        out[page] = {"first_s": times[0], **summary(times[1:])}
    return out


# --- work summary --------------------------------------------------------------------------------


def last_full_quarter(today: date) -> tuple[date, date]:
    q = (today.month - 1) // 3  # quarters already over this year
    if q == 0:
        return date(today.year - 1, 10, 1), date(today.year - 1, 12, 31)
    first = date(today.year, 3 * (q - 1) + 1, 1)
    last = date(today.year, 3 * q + 1, 1) - timedelta(days=1)
    return first, last


def task_summary(url: str, runs: int, out_dir: Any) -> dict[str, Any]:
    """`manage.py generate_report work-summary` for the last full quarter and year: the command
    resolves the unit (`viewer_for`), calls `report_build` and writes the bytes; so do we."""
    try:
        from xiaobao.reports.choices import RunKind
        from xiaobao.reports.selectors import viewer_for
        from xiaobao.reports.services import report_build
    except ImportError as exc:
        return {"available": False, "why": f"the work summary is not there ({exc})"}
    from pathlib import Path

    from xiaobao.deadlines.engine import TZ
    from xiaobao.lib.clock import now

    today = now().astimezone(TZ).date()
    q_first, q_last = last_full_quarter(today)
    periods = {
        "quarter": (q_first, q_last),
        "year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = build_rollups()
    for label, (first, last) in periods.items():
        times: list[float] = []
        size = 0
        for i in range(runs):
            if i and sum(times) > TIME_BOUND_S / 2:
                break
            t = time.perf_counter()
            viewer = viewer_for(None)
            _name, content = report_build(
                kind=RunKind.WORK_SUMMARY,
                unit=viewer.unit,
                params={"from": first.isoformat(), "to": last.isoformat()},
            )
            (out_dir / f"summary-{label}.docx").write_bytes(content)
            times.append(time.perf_counter() - t)
            size = len(content)
        results[label] = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "bytes": size,
            "first_s": times[0],
            "runs_s": times,
            **summary(times),
        }
    return {"available": True, **results}
