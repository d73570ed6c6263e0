"""Fixtures for the inspection tests: an active checklist, inspectors (internal and a vendor's),
and a factory that takes a visit as far along its workflow as a test needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from conftest import create_user
from xiaobao.inspections import services
from xiaobao.inspections.choices import ScoringType, Severity, VisitKind
from xiaobao.inspections.models import Checklist, Visit
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.choices import Role
from xiaobao.outreach.tests.conftest import photo, photos  # noqa: F401  (re-exported)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


ITEMS = [
    services.ItemData("服务环境", "ENV-01", "营业厅公示收费标准", ScoringType.YES_NO, 10),
    services.ItemData("服务规范", "SVC-01", "主动询问客户需求", ScoringType.SCALE, 20, scale_max=4),
    services.ItemData(
        "服务规范",
        "SVC-02",
        "柜面服务差错",
        ScoringType.DEDUCTION,
        10,
        deduction=5,
        severity=Severity.MEDIUM,
    ),
    services.ItemData(
        "适当性",
        "SUIT-01",
        "理财销售执行风险测评与双录",
        ScoringType.YES_NO,
        20,
        red_line=True,
        severity=Severity.HIGH,
    ),
]


@pytest.fixture
def checklist(people) -> Checklist:
    made = services.checklist_create(
        actor=people.hq_officer, code="MS", name="神秘人暗访清单", items=ITEMS
    )
    return services.checklist_activate(actor=people.hq_officer, checklist=made)


@pytest.fixture
def inspector(org):
    """An internal inspector of branch A's office: the outlets below are not their own unit."""
    return create_user("inspector_a", org.branch_a, Role.INSPECTOR)


@pytest.fixture
def vendor(org):
    return create_user("vendor_1", org.hq, Role.INSPECTION_VENDOR)


GOOD = {"ENV-01": ("yes", ""), "SVC-01": ("4", ""), "SVC-02": ("0", ""), "SUIT-01": ("yes", "")}
BAD = {
    "ENV-01": ("no", "未公示"),
    "SVC-01": ("3", ""),
    "SVC-02": ("1", "找零差错"),
    "SUIT-01": ("yes", ""),
}

VisitFactory = Callable[..., Visit]


@pytest.fixture
def make_visit(people, org, checklist, inspector) -> VisitFactory:
    def make(
        *,
        status: str = "planned",
        results: dict | None = None,
        outlet: Any = None,
        by: Any = None,
        office: Any = None,
        **record: Any,
    ) -> Visit:
        by = by or inspector
        office = office or people.officer_a
        visit = services.visit_create(
            actor=office,
            outlet=outlet or org.outlet_a,
            kind=VisitKind.MYSTERY,
            scenario="wealth",
            checklist=checklist,
            inspector=by,
        )
        if status == "planned":
            return visit
        data = services.RecordData(
            results=results or BAD, visited_at=clock_now() - timedelta(hours=2), **record
        )
        visit = services.visit_record(actor=by, visit=visit, data=data, photos=photos(1))
        if status == "draft":
            return visit
        visit = services.visit_submit(actor=by, visit=visit)
        if status == "submitted":
            return visit
        visit = services.visit_publish(actor=office, visit=visit)
        if status == "published":
            return visit
        raise ValueError(status)

    return make
