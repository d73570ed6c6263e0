"""Early warning on constructed series: a known surge, a steady series, repeats and clusters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.tests.conftest import at
from xiaobao.jobs.registry import handler
from xiaobao.reports.choices import AlertKind
from xiaobao.reports.models import Alert
from xiaobao.reports.services import early_warning_run
from xiaobao.reports.warning import METHOD, poisson_tail, surge_test, windows

from .conftest import someone

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 4, 1)  # observation window: 25–31 March; history: the 12 weeks before
CAUSES = ["SERVICE", "RULES", "DISCLOSURE", "CONTRACT", "MARKETING", "OTHER"]


def test_windows():
    spans = windows(AS_OF)
    assert spans[0] == (date(2026, 3, 25), date(2026, 3, 31))
    assert spans[1] == (date(2026, 3, 18), date(2026, 3, 24))
    assert len(spans) == 13 and spans[-1][0] == date(2025, 12, 31)


def test_surge_test_on_constructed_series():
    quiet = [1] * 12
    assert surge_test(8, quiet)["threshold"] == 4.0  # mean + 3 wins over mean + 3·sd when sd = 0
    assert surge_test(4, quiet) is None  # below the floor of 5
    noisy = [2, 8, 3, 9, 2, 7, 3, 8, 2, 9, 3, 8]  # mean 5.33, sd 2.90
    assert surge_test(14, noisy) is None  # threshold 14.02: a busy week, not a surge
    found = surge_test(15, noisy)
    assert found is not None and found["threshold"] == pytest.approx(14.02, abs=0.01)
    assert found["poisson_p"] < 0.01
    assert surge_test(9, []) is None


def test_poisson_tail():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353, abs=1e-4)
    assert poisson_tail(8, 1.0) == pytest.approx(1.02e-5, rel=0.01)


def history(make_case, org, *, per_week, cause="PRICING", unit=None, weeks=12):
    """`per_week` cases in each of the 12 history weeks, on varying weekdays."""
    for w in range(1, weeks + 1):
        start = AS_OF - timedelta(days=1 + 7 * w + 6)
        for i in range(per_week):
            make_case(
                received=at(start.year, start.month, start.day, 10) + timedelta(days=(i * 3) % 7),
                cause=cause if isinstance(cause, str) else cause[(w + i) % len(cause)],
                unit=unit or org.sub_a,
                accept=False,
            )


def this_week(make_case, org, n, *, cause="PRICING", unit=None, category="CARD_CREDIT"):
    for i in range(n):
        make_case(
            received=at(2026, 3, 25 + i % 7, 11),
            cause=cause if isinstance(cause, str) else cause[i % len(cause)],
            category=category,
            unit=unit or org.sub_a,
            accept=False,
        )


def test_a_surge_raises_alerts_with_evidence_and_a_risk_notice(make_case, org):
    from xiaobao.organisation.choices import DepartmentFunction
    from xiaobao.organisation.services import department_create

    hq_office = department_create(
        actor=None,
        unit=org.hq,
        code="XBB",
        name="消费者权益保护部",
        function=DepartmentFunction.CONSUMER_PROTECTION,
    )
    history(make_case, org, per_week=1)
    this_week(make_case, org, 8)
    make_case.move(at(2026, 4, 1, 6))
    raised = early_warning_run(as_of=AS_OF)
    subjects = {a.subject_key: a for a in raised}
    assert {
        "business_category:CARD",
        "business_category:CARD_CREDIT",
        "cause:PRICING",
        "unit:BR-a",
        "unit:SUB-a",
    } <= set(subjects)
    assert subjects["business_category:CARD_CREDIT"].subject == "业务细类：银行卡/信用卡"
    assert "cluster:BR-a:CARD:PRICING" in subjects  # 8 cases, one branch, same category + cause
    alert = subjects["cause:PRICING"]
    assert alert.kind == AlertKind.SURGE and alert.unit == org.hq and alert.count == 8
    assert alert.evidence["history"] == [1] * 12
    assert alert.evidence["mean"] == 1.0 and alert.evidence["threshold"] == 4.0
    assert alert.period_start == date(2026, 3, 25) and alert.period_end == date(2026, 3, 31)
    assert "定价收费" in alert.risk_notice and "8件" in alert.risk_notice
    assert "每周1.0件" in alert.risk_notice and "一是" in alert.risk_notice
    assert alert.department == hq_office
    assert subjects["unit:SUB-a"].unit == org.branch_a  # told to the branch's office …
    assert subjects["unit:SUB-a"].department == hq_office  # … or the nearest one above it
    assert subjects["unit:BR-a"].risk_notice == ""  # a unit's own rise is not for the public
    cluster = subjects["cluster:BR-a:CARD:PRICING"]
    assert cluster.unit == org.branch_a and len(cluster.evidence["cases"]) == 8
    assert cluster.evidence["registry_url"].startswith("/complaints/?")
    assert AuditEvent.objects.filter(action="alert.raise").count() == len(raised)
    # Running again (same day, or the next) raises nothing new.
    assert early_warning_run(as_of=AS_OF) == []
    assert early_warning_run(as_of=AS_OF + timedelta(days=1)) == []


def test_a_steady_series_raises_nothing(make_case, org):
    history(make_case, org, per_week=5, cause=CAUSES)
    this_week(make_case, org, 6, cause=CAUSES)  # within mean (5) + 3
    make_case.move(at(2026, 4, 1, 6))
    assert early_warning_run(as_of=AS_OF, dry_run=True) == []


def test_branch_b_rise_is_told_to_branch_b(make_case, org, people):
    history(make_case, org, per_week=1, unit=org.sub_b)
    this_week(make_case, org, 6, unit=org.sub_b, cause=CAUSES)
    make_case.move(at(2026, 4, 1, 6))
    raised = {a.subject_key: a for a in early_warning_run(as_of=AS_OF)}
    assert raised["unit:BR-b"].unit == org.branch_b
    from xiaobao.organisation.scope import visible_to

    assert not visible_to(people.officer_a, Alert.objects.all()).exists()
    assert visible_to(people.officer_b, Alert.objects.all()).count() == 2  # BR-b and SUB-b


def test_repeat_complainant(make_case, org):
    p = someone(1)
    make_case(received=at(2026, 1, 10, 10), people=[p], accept=False)
    make_case(received=at(2026, 2, 10, 10), people=[someone(1, id_serial=0)], unit=org.sub_b)
    first = make_case(received=at(2026, 3, 10, 10), people=[someone(4, phone_serial=1)])
    make_case(received=at(2026, 3, 11, 10), people=[p], merge_into=first)  # merged: still counts
    make_case(received=at(2026, 3, 12, 10), people=[someone(2)], accept=False)
    make_case(received=at(2026, 3, 13, 10), people=[someone(2)], accept=False)  # only two
    make_case(received=at(2026, 3, 14, 10), people=[someone(3)], decline=True)
    make_case(received=at(2026, 3, 15, 10), people=[someone(3)], decline=True)
    make_case(received=at(2026, 3, 16, 10), people=[someone(3)], accept=False)  # declined don't
    make_case.move(at(2026, 4, 1, 6))
    raised = [a for a in early_warning_run(as_of=AS_OF) if a.kind == AlertKind.REPEAT]
    assert len(raised) == 1
    alert = raised[0]
    assert alert.count == 4 and alert.unit == org.hq  # cases in branches A and B
    assert alert.subject == "重复投诉人：李*"
    assert all("330102" not in str(c) and "139" not in str(c) for c in alert.evidence["cases"])
    assert early_warning_run(as_of=AS_OF + timedelta(days=1)) == []
    make_case(received=at(2026, 4, 1, 9), people=[p], accept=False)
    make_case.move(at(2026, 4, 2, 6))
    again = [a for a in early_warning_run(as_of=date(2026, 4, 2)) if a.kind == AlertKind.REPEAT]
    assert len(again) == 1 and again[0].count == 5


def test_command_and_job(make_case, org, capsys):
    history(make_case, org, per_week=1)
    this_week(make_case, org, 8)
    make_case.move(at(2026, 4, 1, 6))
    call_command("early_warning", as_of=AS_OF, dry_run=True, verbosity=2)
    out = capsys.readouterr().out
    assert "would raise" in out and "异常上升" in out
    assert Alert.objects.count() == 0
    result = handler("reports.early_warning")({"as_of": "2026-04-01"})
    assert result["raised"] == Alert.objects.count() > 0
    assert "max(均值 + 3×标准差, 均值 + 3)" in METHOD.describe()[0]
