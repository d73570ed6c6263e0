"""The partners.* keys of the metric contract, counted in a unit's subtree over a period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from xiaobao.lib import metrics
from xiaobao.partners import services
from xiaobao.partners.choices import ExitStep
from xiaobao.partners.tests.conftest import ALL_CLAUSES, pdf, period

pytestmark = pytest.mark.django_db

CONTRACT = (
    "partners.listed",
    "partners.admitted",
    "partners.exited",
    "partners.evaluated_share",
    "partners.complaints",
    "partners.agreements_lacking_clauses",
    "partners.licences_expired",
)


def _values(unit):
    today = timezone.localdate()
    first = today - timedelta(days=30)
    return {k.split(".")[1]: metrics.value(k, unit=unit, first=first, last=today) for k in CONTRACT}


def test_every_contract_key_is_registered():
    assert set(CONTRACT) <= set(metrics.registry())


def test_the_figures_follow_the_list(people, org, make_partner, make_case):
    a = make_partner(status="listed", name="A分行用")
    b = make_partner(status="listed", name="B分行用", allowed_units=[org.branch_b])
    make_partner(status="proposed", name="拟准入")
    leaving = make_partner(status="listed", name="退出者")
    services.licence_add(
        actor=people.hq_officer,
        partner=a,
        name="许可证",
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    agreement = services.agreement_create(
        actor=people.hq_officer,
        partner=b,
        data=services.AgreementData(
            number="N-1",
            title="协议",
            starts_on=date(2026, 1, 1),
            ends_on=date(2030, 1, 1),
            clauses=ALL_CLAUSES[1:],
            data_scope="手机号",
        ),
    )
    services.agreement_sign(actor=people.hq_officer, agreement=agreement, exception_reason="存量")
    case = make_case(days=3)
    services.complaint_link(actor=people.handler_a, partner=a, complaint=case, role="seller")
    services.complaint_link(actor=people.handler_a, partner=b, complaint=case, role="servicer")
    first, last = period()
    evaluation = services.evaluation_create(
        actor=people.hq_officer,
        partner=a,
        data=services.EvaluationData(period_start=first, period_end=last),
    )
    services.evaluation_conclude(actor=people.hq_officer, evaluation=evaluation, result="continue")
    exit = services.exit_start(
        actor=people.hq_officer, partner=leaving, reason="到期", planned_on=last
    )
    for step in ExitStep.values:
        services.exit_confirm(
            actor=people.hq_officer, exit=exit, step=step, note="完成", evidence=[pdf()]
        )
    services.exit_complete(actor=people.hq_officer, exit=exit)

    hq = _values(org.hq)
    assert hq == {
        "listed": 2,
        "admitted": 3,
        "exited": 1,
        "evaluated_share": metrics.rate(1, 2),
        "complaints": 1,  # one case, linked to two partners, counts once
        "agreements_lacking_clauses": 1,
        "licences_expired": 1,
    }
    branch_b = _values(org.branch_b)
    assert branch_b["listed"] == 1 and branch_b["complaints"] == 0
    assert branch_b["agreements_lacking_clauses"] == 1 and branch_b["licences_expired"] == 0
    assert _values(org.branch_a)["complaints"] == 1
