"""Background jobs of the reports app; each one calls one service."""

from __future__ import annotations

from datetime import date
from typing import Any

from xiaobao.jobs.registry import job
from xiaobao.reports import facts, services


@job("reports.early_warning")
def early_warning(payload: dict[str, Any]) -> dict[str, Any]:
    """payload: {"as_of": "YYYY-MM-DD" (default today), "unit": CODE (default everything)}."""
    as_of = date.fromisoformat(payload["as_of"]) if payload.get("as_of") else None
    raised = services.early_warning_run(as_of=as_of, unit_code=payload.get("unit"))
    return {"raised": len(raised), "alerts": [a.pk for a in raised]}


@job("reports.build")
def build(payload: dict[str, Any]) -> dict[str, Any]:
    """payload: {"run": ReportRun id}."""
    run = services.report_run_build(run_id=int(payload["run"]))
    return {"run": run.pk, "status": run.status}


@job("reports.refresh_people")
def refresh_people(payload: dict[str, Any]) -> dict[str, Any]:
    """payload: {"ids": [complaint ids]} whose person keys were written while another
    transaction held their people (see facts._refresh_people)."""
    facts.refresh_people(payload["ids"])
    return {"cases": len(payload["ids"])}
