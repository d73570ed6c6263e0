"""Coverage by staff category equals a direct count for every unit subtree; the figures of the
metric contract; an absent new hire shows in "not yet trained"."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from conftest import create_user
from xiaobao.lib import metrics
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import Unit, User
from xiaobao.training import selectors, services
from xiaobao.training.choices import ATTENDED, AttendanceStatus, SessionStatus
from xiaobao.training.models import Attendance

from .conftest import profile

pytestmark = pytest.mark.django_db

CONTRACT = (
    "training.sessions",
    "training.hours",
    "training.attendance",
    "training.staff_trained",
    "training.coverage",
    "training.new_hire_coverage",
    "training.exam_takers",
    "training.mean_score",
    "training.pass_rate",
    "training.contests",
    "training.contest_participants",
    "training.qualified_sellers",
    "training.qualifications_expiring",
)


def test_every_contract_key_is_registered():
    assert set(CONTRACT) <= set(metrics.registry())
    for category in StaffCategory:
        assert f"training.coverage.{category.value}" in metrics.registry()


def _random_year(org, course, trainer, seed: int) -> None:
    """Staff of every category across the tree; sessions at several units; random attendance."""
    rng = random.Random(seed)
    units = list(Unit.objects.all())
    categories = [*StaffCategory.values, ""]
    for i in range(30):
        user = create_user(f"s{seed}_{i}", rng.choice(units), Role.HANDLER)
        hired = date.today() - timedelta(days=rng.randrange(1, 2000))
        profile(user, rng.choice(categories), hired=hired)
    User.objects.filter(username=f"s{seed}_0").update(is_active=False)
    hq_trainer = create_user(f"hqt{seed}", org.hq, Role.TRAINING_ADMIN)
    for n in range(6):
        unit = rng.choice(units)
        starts = clock_now() - timedelta(days=rng.randrange(1, 200))
        staff_below = list(User.objects.filter(unit__path__startswith=unit.path, is_active=True))
        session = services.session_create(
            actor=hq_trainer,
            data=services.SessionData(
                course=course,
                unit=unit,
                title=f"场次{n}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                roster=staff_below,
            ),
        )
        services.session_advance(actor=hq_trainer, session=session, to=SessionStatus.SIGNING)
        for row in session.attendances.all():
            status = rng.choice(list(AttendanceStatus.values[1:]))
            Attendance.objects.filter(pk=row.pk).update(status=status)
        if rng.random() < 0.8:
            services.session_advance(actor=hq_trainer, session=session, to=SessionStatus.CLOSED)


def _direct(unit: Unit, first: date, last: date) -> dict[str, tuple[int, int]]:
    """The same figures by walking every person and every attendance in Python."""
    out: dict[str, list[int]] = {}
    for user in User.objects.all():
        if not user.is_active or not user.unit.path.startswith(unit.path):
            continue
        if user.hire_date and user.hire_date > last:
            continue
        key = user.staff_category or ""
        row = out.setdefault(key, [0, 0])
        row[0] += 1
        for a in Attendance.objects.filter(user=user).select_related("session"):
            day = a.session.starts_at.astimezone(selectors.TZ).date()
            if a.status in ATTENDED and a.session.status in selectors.HELD and first <= day <= last:
                row[1] += 1
                break
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_coverage_equals_a_direct_count_for_every_subtree(org, people, staff, course, seed):
    _random_year(org, course, staff.trainer, seed)
    first, last = date.today() - timedelta(days=120), date.today()
    for unit in Unit.objects.all():
        rows = selectors.coverage(unit, first, last)
        direct = _direct(unit, first, last)
        by_key = {r.category: (r.headcount, r.trained) for r in rows if r.category != "total"}
        for key, value in direct.items():
            assert by_key[key] == value, (unit.code, key)
        for key, value in by_key.items():
            assert value == direct.get(key, (0, 0)), (unit.code, key)
        total = rows[-1]
        heads = sum(v[0] for v in direct.values())
        done = sum(v[1] for v in direct.values())
        assert (total.headcount, total.trained) == (heads, done)
        value = metrics.get("training.coverage").value(unit=unit, first=first, last=last)
        assert value == metrics.rate(done, heads)
        assert (
            metrics.get("training.staff_trained").value(unit=unit, first=first, last=last) == done
        )


def test_an_absent_new_hire_shows_as_not_yet_trained_and_coverage_moves(make_session, staff, org):
    first, last = date(date.today().year, 1, 1), date.today()
    before = {
        r.category: (r.headcount, r.trained) for r in selectors.coverage(org.outlet_a, first, last)
    }
    session = make_session(status=SessionStatus.SIGNING)
    services.attendance_sign_in(actor=staff.teller, session=session)
    services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)
    after = {
        r.category: (r.headcount, r.trained) for r in selectors.coverage(org.outlet_a, first, last)
    }
    assert after["frontline"] == (before["frontline"][0], before["frontline"][1] + 1)
    untrained = list(selectors.not_yet_trained(org.outlet_a, first, last))
    assert staff.new_hire in untrained and staff.teller not in untrained
    assert Attendance.objects.get(session=session, user=staff.new_hire).needs_makeup


def test_new_hire_coverage_counts_hires_whose_window_has_run_out(staff, org, make_session):
    today = date.today()
    late = create_user("late_hire", org.outlet_a, Role.HANDLER)
    profile(late, StaffCategory.FRONTLINE, hired=today - timedelta(days=60))
    first = today - timedelta(days=90)
    # newbie_a joined 10 days ago and is not yet due; late_hire is due and untrained.
    assert selectors.new_hire_figures(org.hq, first, today) == (1, 0)
    session = make_session(roster=[staff.new_hire], status=SessionStatus.SIGNING)
    services.attendance_sign_in(actor=staff.new_hire, session=session)
    services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)
    assert selectors.new_hire_figures(org.hq, first, today) == (2, 1)
    value = metrics.get("training.new_hire_coverage").value(unit=org.hq, first=first, last=today)
    assert value == metrics.rate(1, 2)


def test_session_exam_and_contest_figures(make_session, make_exam, staff, org, people):
    today = date.today()
    first = date(today.year, 1, 1)
    session = make_session(status=SessionStatus.SIGNING)
    services.attendance_sign_in(actor=staff.teller, session=session)
    services.attendance_sign_in(actor=staff.manager, session=session)
    services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)

    def value(key, unit=org.branch_a):
        return metrics.get(key).value(unit=unit, first=first, last=today)

    assert value("training.sessions") == 1
    assert value("training.hours") == Decimal("2.0")
    assert value("training.attendance") == 2
    assert value("training.sessions", org.branch_b) == 0

    from .conftest import right_answers

    exam = make_exam()
    a = services.attempt_start(actor=staff.teller, exam=exam)
    services.attempt_submit(actor=staff.teller, attempt=a, answers=right_answers(a))
    b = services.attempt_start(actor=staff.manager, exam=exam)
    services.attempt_submit(actor=staff.manager, attempt=b, answers={})
    b2 = services.attempt_start(actor=staff.manager, exam=exam)
    answers = right_answers(b2)
    answers.pop(next(iter(answers)))
    services.attempt_submit(actor=staff.manager, attempt=b2, answers=answers)  # 80: best counts
    assert value("training.exam_takers") == 2
    assert value("training.mean_score") == Decimal("90.0")
    assert value("training.pass_rate") == 100

    contest = services.contest_create(
        actor=staff.trainer, unit=org.branch_a, title="消保知识竞赛", mode="team", held_on=today
    )
    services.contest_entry_add(
        actor=staff.trainer,
        contest=contest,
        name="一队",
        members=[staff.teller, staff.manager],
        score=Decimal(95),
        award="一等奖",
    )
    services.contest_entry_add(
        actor=staff.trainer,
        contest=contest,
        name="二队",
        members=[staff.new_hire],
        score=Decimal(80),
    )
    assert value("training.contests") == 1
    assert value("training.contest_participants") == 3
    assert value("training.hours") == Decimal("2.0")  # a contest adds no training hours


def test_sellers_and_expiring_qualifications(staff, org, people):
    today = date.today()

    def value(key):
        return metrics.get(key).value(unit=org.branch_a, first=today, last=today)

    assert value("training.qualified_sellers") == 0
    assert set(selectors.unqualified_sellers(org.branch_a, today)) == {staff.manager, staff.agent}
    services.qualification_add(
        actor=staff.trainer,
        user=staff.manager,
        kind="wealth_manager",
        number="LC-001",
        issuer="总行",
        valid_from=today - timedelta(days=300),
        valid_to=today + timedelta(days=45),
    )
    services.qualification_add(
        actor=staff.trainer,
        user=staff.agent,
        kind="insurance_sales",
        number="BX-9",
        issuer="保险行业协会",
        valid_from=date(2020, 1, 1),
        valid_to=today - timedelta(days=1),
    )
    assert value("training.qualified_sellers") == 1
    assert list(selectors.unqualified_sellers(org.branch_a, today)) == [staff.agent]
    assert value("training.qualifications_expiring") == 1
    assert value("training.unqualified_sellers") == 1
    rows = {o.code: (n, ok) for o, n, ok in selectors.sellers_by_outlet(org.branch_a, today)}
    assert rows["OUT-a"] == (1, 1)
