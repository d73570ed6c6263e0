"""Done-when of issue 24 (services): a quarterly run scores every branch from live metrics and
manual inputs, an appeal changes one score with a recorded decision, a locked run is unchanged by
later data, and a correction is a new run with its reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from xiaobao.assessment import services
from xiaobao.assessment.choices import IndicatorKind, RunStatus, SchemeStatus
from xiaobao.assessment.models import Result, Score
from xiaobao.assessment.tests.conftest import LAST_YEAR, Q
from xiaobao.audit.models import RecordEvent
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def _score(run, unit, code) -> Score:
    return Score.objects.get(run=run, unit=unit, staff=None, indicator__code=code)


def _result(run, unit) -> Result:
    return Result.objects.get(run=run, unit=unit, staff=None)


@pytest.fixture
def run(scheme, people, org, test_metrics):
    test_metrics["testing.coverage"].update({"BR-a": 90, "BR-b": 60})
    test_metrics["testing.incidents"].update({"BR-a": 0, "BR-b": 2})
    run = services.run_create(
        actor=people.hq_officer, scheme=scheme, unit=org.hq, label=f"{LAST_YEAR}年第三季度", **Q
    )
    for unit, points in ((org.branch_a, 25), (org.branch_b, 28)):
        services.score_set(
            actor=people.hq_officer, score=_score(run, unit, "M1"), points=points, note="档案齐全"
        )
        services.score_set(actor=people.hq_officer, score=_score(run, unit, "V1"), points=0)
    return run


def test_quarterly_run_scores_every_branch_from_metrics_and_manual_inputs(run, org):
    results = {r.unit.code: r for r in run.results.select_related("unit")}
    assert set(results) == {"BR-a", "BR-b"}  # every branch, nothing else
    a, b = results["BR-a"], results["BR-b"]
    # A: coverage 90 → 40 × (90−50)/50 = 32; manual 25; no complaints → timeliness 无数据.
    assert _score(run, org.branch_a, "A1").points == Decimal("32.00")
    timeliness = _score(run, org.branch_a, "A2")
    assert timeliness.no_data and timeliness.points is None
    assert a.total == Decimal("57.00") and a.maximum == Decimal("70")
    assert a.percent == Decimal("81.4") and a.grade == "B" and a.rank == 1
    # B: coverage 60 → 8; manual 28; two incidents → −4.
    assert _score(run, org.branch_b, "D1").points == Decimal("-4.00")
    assert b.total == Decimal("32.00") and b.percent == Decimal("45.7") and b.grade == "D"
    assert b.rank == 2
    assert _score(run, org.branch_a, "A1").drill_url == "/testing/coverage/?unit=BR-a"
    # A metric without its own drill-down opens the metric library at the same unit and period.
    assert timeliness.drill_url == (
        f"/metrics/?unit=BR-a&first={LAST_YEAR}-07-01&last={LAST_YEAR}-09-30#complaints.timely_rate"
    )


def test_appeal_changes_one_score_with_a_recorded_decision(run, people, org):
    from xiaobao.watch.models import Notification

    services.run_advance(actor=people.hq_officer, run=run, to=RunStatus.PREVIEW)
    services.run_advance(actor=people.hq_officer, run=run, to=RunStatus.APPEAL)
    told = Notification.objects.filter(recipient=people.officer_b).order_by("pk")
    assert [n.title for n in told] == [
        f"考核结果预览：{LAST_YEAR}年第三季度",
        f"考核结果开放申诉：{LAST_YEAR}年第三季度",
    ]
    assert not Notification.objects.filter(recipient=people.handler_a).exists()
    target = _score(run, org.branch_b, "M1")
    with pytest.raises(PermissionDeniedError):  # branch A may not appeal B's score
        services.appeal_file(actor=people.officer_a, score=target, reason="不服")
    appeal = services.appeal_file(
        actor=people.officer_b, score=target, reason="已补充制度档案", requested_points="30"
    )
    with pytest.raises(InvalidTransitionError):  # undecided appeal blocks finalising
        services.run_advance(actor=people.hq_officer, run=run, to=RunStatus.FINAL)
    with pytest.raises(DomainError) as exc:
        services.appeal_decide(
            actor=people.hq_officer, appeal=appeal, upheld=True, decision="", points="30"
        )
    assert exc.value.field == "decision"
    before = {s.pk: s.points for s in run.scores.all()}
    services.appeal_decide(
        actor=people.hq_officer, appeal=appeal, upheld=True, decision="档案核实无误", points="30"
    )
    after = {s.pk: s.points for s in run.scores.all()}
    changed = [pk for pk in before if before[pk] != after[pk]]
    assert changed == [target.pk] and after[target.pk] == Decimal("30.00")
    assert _result(run, org.branch_b).total == Decimal("34.00")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.points_before, appeal.points_after) == (
        "upheld", Decimal("28.00"), Decimal("30.00"),
    )  # fmt: skip
    event = RecordEvent.objects.get(object_id=appeal.pk, action="upheld")
    assert event.reason == "档案核实无误" and event.data == {"before": "28.00", "after": "30.00"}


def test_locked_run_is_unchanged_by_later_data_and_corrected_by_a_new_run(
    run, people, org, test_metrics
):
    for to in (RunStatus.PREVIEW, RunStatus.APPEAL, RunStatus.FINAL, RunStatus.LOCKED):
        services.run_advance(actor=people.hq_officer, run=run, to=to)
    frozen = {(s.unit_id, s.indicator_id): (s.value, s.points) for s in run.scores.all()}
    totals = {r.unit_id: (r.total, r.rank, r.grade) for r in run.results.all()}
    test_metrics["testing.coverage"]["BR-a"] = 100  # later data arrives
    with pytest.raises(InvalidTransitionError):
        services.run_refresh(actor=people.hq_officer, run=run)
    with pytest.raises(InvalidTransitionError):
        services.score_set(actor=people.hq_officer, score=_score(run, org.branch_a, "M1"), points=1)
    assert {(s.unit_id, s.indicator_id): (s.value, s.points) for s in run.scores.all()} == frozen
    assert {r.unit_id: (r.total, r.rank, r.grade) for r in run.results.all()} == totals
    with pytest.raises(DomainError):
        services.run_correct(actor=people.hq_officer, run=run, reason=" ")
    new = services.run_correct(actor=people.hq_officer, run=run, reason="A分行覆盖数据补录")
    assert new.corrects == run and new.correction_reason == "A分行覆盖数据补录"
    assert _score(new, org.branch_a, "A1").points == Decimal("40.00")
    assert _score(new, org.branch_a, "M1").points == Decimal("25.00")  # manual carried over
    run.refresh_from_db()
    assert run.status == RunStatus.LOCKED
    assert {r.unit_id: (r.total, r.rank, r.grade) for r in run.results.all()} == totals


def test_veto_gives_the_lowest_grade_and_last_rank(run, people, org):
    services.score_set(
        actor=people.hq_officer, score=_score(run, org.branch_a, "V1"), points=1,
        note="监管通报重大投诉处置不当",
    )  # fmt: skip
    a = _result(run, org.branch_a)
    assert a.vetoed and a.grade == "D" and a.rank == 2


def test_manual_scores_are_checked_and_needed_before_preview(scheme, people, org):
    run = services.run_create(actor=people.hq_officer, scheme=scheme, unit=org.hq, label="Q3", **Q)
    with pytest.raises(DomainError) as exc:
        services.run_advance(actor=people.hq_officer, run=run, to=RunStatus.PREVIEW)
    assert exc.value.field == "points"
    with pytest.raises(DomainError, match="0到30分"):
        services.score_set(
            actor=people.hq_officer, score=_score(run, org.branch_a, "M1"), points=31
        )
    with pytest.raises(DomainError, match="系统取数"):
        services.score_set(actor=people.hq_officer, score=_score(run, org.branch_a, "A1"), points=1)
    with pytest.raises(PermissionDeniedError):
        services.score_set(actor=people.officer_a, score=_score(run, org.branch_a, "M1"), points=1)


def test_scheme_rules(people, scheme):
    officer = people.hq_officer
    draft = services.scheme_create(
        actor=officer, data=services.SchemeData(code="X", name="试行", year=LAST_YEAR)
    )
    D = services.IndicatorData
    with pytest.raises(DomainError) as exc:  # complaint volume is never scored
        services.indicator_add(actor=officer, scheme=draft, data=D(
            code="C", name="投诉量", kind=IndicatorKind.AUTO, weight=Decimal(10),
            metric_key="complaints.received", target=Decimal(0), zero_at=Decimal(10),
        ))  # fmt: skip
    assert exc.value.code == "volume_metric" and exc.value.field == "metric_key"
    with pytest.raises(DomainError) as exc:  # lower-is-better metric scored upward
        services.indicator_add(actor=officer, scheme=draft, data=D(
            code="C", name="事件", kind=IndicatorKind.AUTO, weight=Decimal(10),
            metric_key="testing.incidents", target=Decimal(10), zero_at=Decimal(0),
        ))  # fmt: skip
    assert exc.value.code == "wrong_direction"
    services.indicator_add(actor=officer, scheme=draft, data=D(
        code="C", name="覆盖", kind=IndicatorKind.AUTO, weight=Decimal(60),
        metric_key="testing.coverage", target=Decimal(100), zero_at=Decimal(0),
    ))  # fmt: skip
    with pytest.raises(DomainError, match="60分，应为100分"):
        services.scheme_advance(actor=officer, scheme=draft, to=SchemeStatus.APPROVED)
    with pytest.raises(InvalidTransitionError):  # a published scheme is frozen
        services.indicator_add(actor=officer, scheme=scheme, data=D(
            code="Z", name="新", kind=IndicatorKind.MANUAL, weight=Decimal(1)))  # fmt: skip


def test_scheme_published_after_the_period_began_cannot_run_it(people, org, scheme):
    from xiaobao.assessment.models import Scheme

    Scheme.objects.filter(pk=scheme.pk).update(
        published_at=scheme.published_at + timedelta(days=400)
    )
    scheme.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.run_create(actor=people.hq_officer, scheme=scheme, unit=org.hq, label="Q3", **Q)
    assert exc.value.code == "published_late"


def test_hr_export_share_and_floor_warning(run, settings):
    from xiaobao.assessment.exports import hr_rows

    rows = hr_rows(run, list(run.results.select_related("unit").order_by("rank")))
    assert rows[0][:3] == ["BR-a", "A分行", ""] and rows[0][9] == 4.0
    assert rows[0][10] == pytest.approx(81.4 * 4 / 100, abs=0.01)
    assert rows[0][11] == "消保考核权重4%低于下限5%"
    settings.XIAOBAO_ASSESSMENT_KPI_SHARE_FLOOR = "3"
    assert hr_rows(run, list(run.results.all()))[0][11] == ""


def test_admin_edits_follow_the_same_rules(scheme, people):
    from django.core.exceptions import ValidationError

    from xiaobao.assessment.models import Indicator, Scheme

    draft = Scheme.objects.create(code="ADM", name="后台", year=LAST_YEAR, kind="internal")
    volume = Indicator(
        scheme=draft, code="C", name="投诉量", kind=IndicatorKind.AUTO, weight=Decimal(10),
        metric_key="complaints.received", target=Decimal(0), zero_at=Decimal(5),
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        volume.full_clean()
    assert "metric_key" in exc.value.message_dict
    frozen = Indicator(scheme=scheme, code="Z", name="新", kind=IndicatorKind.MANUAL, weight=1)
    with pytest.raises(ValidationError, match="不能再修改"):
        frozen.full_clean()


def test_staff_lines_are_scored_and_ranked_apart_from_the_units(people, org, test_metrics):
    from django.contrib.auth.models import Permission

    from xiaobao.assessment.tests.conftest import published_scheme
    from xiaobao.organisation.choices import Role

    people.hq_officer.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    officer = type(people.hq_officer).objects.get(pk=people.hq_officer.pk)
    scheme = published_scheme(officer, code="STAFF", staff_roles=(Role.BRANCH_CP_OFFICER,))
    test_metrics["testing.coverage"].update({"BR-a": 90, "BR-b": 60})
    run = services.run_create(actor=officer, scheme=scheme, unit=org.hq, label="Q3", **Q)
    staff_lines = run.results.filter(staff__isnull=False)
    assert {r.staff.username for r in staff_lines} == {"officer_a", "officer_b"}
    mine = Score.objects.get(run=run, staff=people.officer_a, indicator__code="A1")
    assert mine.unit == org.branch_a and mine.points == Decimal("32.00")  # the unit's figure
    manual = Score.objects.get(run=run, staff=people.officer_b, indicator__code="M1")
    services.score_set(actor=officer, score=manual, points=30, note="个人档案完整")
    a_unit = _result(run, org.branch_a)
    assert Result.objects.get(run=run, staff=people.officer_b).total == Decimal("38.00")  # 8 + 30
    assert _result(run, org.branch_a) == a_unit and a_unit.total == Decimal("32.00")
    ranks = sorted((r.rank, r.staff.username) for r in staff_lines.all())
    assert ranks == [(1, "officer_a"), (2, "officer_b")]  # 32/40 = 80% before 38/70
    with pytest.raises(DomainError):
        services.run_advance(actor=officer, run=run, to=RunStatus.PREVIEW)  # staff still to score
