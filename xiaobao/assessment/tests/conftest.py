"""Fixtures for assessment: a test-only metric whose figures a test sets per unit, and a quarterly
internal scheme for branches, published before the quarter began."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from xiaobao.assessment import services
from xiaobao.assessment.choices import IndicatorKind, Normalisation, SchemeStatus
from xiaobao.assessment.models import Scheme
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import metrics
from xiaobao.lib.clock import replay

# Figures of the test-only metrics, by unit code; a test changes them to simulate later data.
FIGURES: dict[str, dict[str, Any]] = {"testing.coverage": {}, "testing.incidents": {}}

LAST_YEAR = date.today().year - 1
Q = {"first": date(LAST_YEAR, 7, 1), "last": date(LAST_YEAR, 9, 30)}


def _reader(key: str) -> Any:
    def read(*, unit: Any, first: date, last: date) -> Any:
        return FIGURES[key].get(unit.code)

    return read


@pytest.fixture(autouse=True)
def test_metrics():
    """Register the test-only metrics for one test, and take them out again afterwards."""
    for values in FIGURES.values():
        values.clear()
    metrics.metric(
        "testing.coverage", label="测试覆盖率", unit_label="%", higher_is_better=True,
        drill=lambda *, unit, first, last: f"/testing/coverage/?unit={unit.code}",
    )(_reader("testing.coverage"))  # fmt: skip
    metrics.metric("testing.incidents", label="测试事件数", higher_is_better=False)(
        _reader("testing.incidents")
    )
    yield FIGURES
    for key in FIGURES:
        metrics._REGISTRY.pop(key, None)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def published_scheme(
    actor: Any, *, code: str = "Q-INT", year: int = LAST_YEAR, staff_roles: tuple[str, ...] = ()
) -> Scheme:
    """A branch scheme: coverage (auto, 40), timeliness (auto, live complaints metric, 30),
    manual (30), incidents deducted 2 each capped at 6, a manual veto."""
    with replay(datetime(year - 1, 12, 20, 10, tzinfo=TZ)):
        scheme = services.scheme_create(
            actor=actor,
            data=services.SchemeData(
                code=code,
                name=f"{year}年度分行消保考核",
                year=year,
                kpi_share=Decimal("4"),
                staff_roles=staff_roles,
            ),
        )
        add = services.indicator_add
        D = services.IndicatorData
        add(actor=actor, scheme=scheme, data=D(
            code="A1", name="宣教覆盖率", kind=IndicatorKind.AUTO, weight=Decimal(40),
            metric_key="testing.coverage", target=Decimal(100), zero_at=Decimal(50),
        ))  # fmt: skip
        add(actor=actor, scheme=scheme, data=D(
            code="A2", name="投诉按时办结率", kind=IndicatorKind.AUTO, weight=Decimal(30),
            metric_key="complaints.timely_rate", target=Decimal(100), zero_at=Decimal(80),
            normalisation=Normalisation.NONE,
        ))  # fmt: skip
        add(actor=actor, scheme=scheme, data=D(
            code="M1", name="制度执行", kind=IndicatorKind.MANUAL, weight=Decimal(30),
        ))  # fmt: skip
        add(actor=actor, scheme=scheme, data=D(
            code="D1", name="违规事件", kind=IndicatorKind.DEDUCTION, metric_key="testing.incidents",
            per_event=Decimal(2), cap=Decimal(6),
        ))  # fmt: skip
        add(actor=actor, scheme=scheme, data=D(
            code="V1", name="重大投诉处置不当", kind=IndicatorKind.VETO,
        ))  # fmt: skip
        services.scheme_advance(actor=actor, scheme=scheme, to=SchemeStatus.APPROVED)
        scheme = services.scheme_advance(actor=actor, scheme=scheme, to=SchemeStatus.PUBLISHED)
    return scheme


@pytest.fixture
def scheme(people) -> Scheme:
    from django.contrib.auth.models import Permission

    # Approval is senior management's right; the officer here holds it for brevity.
    people.hq_officer.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    people.hq_officer = type(people.hq_officer).objects.get(pk=people.hq_officer.pk)
    return published_scheme(people.hq_officer)
