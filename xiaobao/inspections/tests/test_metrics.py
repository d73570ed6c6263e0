"""The metric keys of the contract, computed from published visits and accepted findings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xiaobao.inspections import services
from xiaobao.inspections.models import Finding
from xiaobao.inspections.tests.conftest import GOOD
from xiaobao.lib import metrics
from xiaobao.lib.clock import now as clock_now

pytestmark = pytest.mark.django_db

CONTRACT = (
    "inspections.visits",
    "inspections.visits_mystery",
    "inspections.outlets_covered",
    "inspections.outlet_coverage",
    "inspections.mean_score",
    "inspections.findings",
    "inspections.findings_rectified",
    "inspections.findings_on_time_rate",
    "inspections.repeat_findings",
    "inspections.test_complaints_unregistered",
    "inspections.examinations",
)


def test_every_contract_key_is_registered():
    registered = set(metrics.registry())
    assert set(CONTRACT) <= registered


def _value(key, unit, first, last):
    return metrics.get(key).fn(unit=unit, first=first, last=last)


def test_figures_count_published_visits_and_accepted_rectifications(make_visit, people, org):
    today = timezone.localdate(clock_now())
    first, last = today - timedelta(days=30), today
    make_visit(status="submitted")  # not yet published: not counted
    bad = make_visit(status="published")
    make_visit(status="published", results=GOOD)
    hq = org.hq
    assert _value("inspections.visits", hq, first, last) == 2
    assert _value("inspections.visits_mystery", hq, first, last) == 2
    assert _value("inspections.outlets_covered", hq, first, last) == 1
    assert _value("inspections.outlet_coverage", hq, first, last) == Decimal("50.0")
    assert _value("inspections.mean_score", hq, first, last) == Decimal(
        "83.34"
    )  # (66.67 + 100) / 2
    assert _value("inspections.findings", hq, first, last) == 0  # pending confirmation
    services.visit_finalise(actor=people.officer_a, visit=bad, now=clock_now() + timedelta(days=10))
    assert _value("inspections.findings", hq, first, last) == 2
    finding = Finding.objects.filter(visit=bad).first()
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    services.finding_submit(
        actor=people.outlet_handler_a, finding=finding, note="好了", files=[pdf]
    )
    assert _value("inspections.findings_rectified", hq, first, last) == 0
    services.finding_accept(actor=people.officer_a, finding=finding)
    assert _value("inspections.findings_rectified", hq, first, last) == 1
    assert _value("inspections.findings_on_time_rate", hq, first, last) == Decimal("50.0")
    assert _value("inspections.visits", org.branch_b, first, last) == 0
    assert _value("inspections.outlet_coverage", org.branch_b, first, last) == Decimal("0.0")
    assert _value("inspections.repeat_findings", hq, first, last) == 0
    assert _value("inspections.test_complaints_unregistered", hq, first, last) == 0
    assert _value("inspections.examinations", hq, first, last) == 0
