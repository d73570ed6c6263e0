"""Every registered complaint metric equals a direct count over the quarter's cases."""

from __future__ import annotations

from datetime import date

import pytest

from xiaobao.complaints.models import Complaint
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import metrics
from xiaobao.plans.models import Task
from xiaobao.plans.services import task_accept, task_submit
from xiaobao.reports.selectors import viewer_for
from xiaobao.reports.summary import work_summary_content

pytestmark = pytest.mark.django_db

Q1 = {"first": date(2026, 1, 1), "last": date(2026, 3, 31)}


def _direct(unit):
    """Cases received in Q1 in the subtree, counted by hand: merged and declined ones are not."""
    cases = [
        c
        for c in Complaint.objects.filter(unit__path__startswith=unit.path)
        if date(2026, 1, 1) <= c.received_at.astimezone(TZ).date() <= date(2026, 3, 31)
        and c.status not in ("merged", "declined")
        and c.kind == "complaint"
    ]
    answered = [c for c in cases if c.notified_at is not None]
    return {
        "complaints.received": len(cases),
        "complaints.closed": len(answered) + sum(c.status == "withdrawn" for c in cases),
        "complaints.timely_rate": metrics.rate(
            sum(bool(c.timely) for c in answered), len(answered)
        ),
        "complaints.rectifications": Task.objects.filter(
            source_kind="complaint_rectification", source_id__in=[c.pk for c in cases]
        ).count(),
    }


@pytest.mark.parametrize("unit_name", ["hq", "branch_a", "branch_b"])
def test_complaint_metrics_equal_direct_counts(quarter, org, unit_name):
    unit = getattr(org, unit_name)
    for key, expected in _direct(unit).items():
        assert metrics.value(key, unit=unit, **Q1) == expected, key


def test_rectification_metrics_follow_the_task_engine_and_match_the_summary(quarter, people, org):
    assert metrics.value("complaints.rectifications_done", unit=org.hq, **Q1) == 0
    task = Task.objects.get()
    task_submit(actor=people.hq_officer, task=task, note="已修订告知书")
    task_accept(actor=people.hq_officer, task=task)
    summary = work_summary_content(viewer=viewer_for(None), **Q1).context["rect"]
    assert (
        metrics.value("complaints.rectifications_done", unit=org.hq, **Q1) == summary["done"] == 1
    )
    assert metrics.value("complaints.rectifications", unit=org.hq, **Q1) == summary["total"] == 1
    assert metrics.value("complaints.rectifications_done", unit=org.branch_b, **Q1) == 0
