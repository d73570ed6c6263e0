"""Properties of the deadline engine and working calendar (hypothesis)."""

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.deadlines.engine import TZ, Pause, Policy, compute_due
from xiaobao.deadlines.workcal import WorkCalendar

CAL = WorkCalendar()
SETTINGS = settings(deadline=None, max_examples=200)

# Package-backed years only (chinesecalendar 1.11.0 covers 2004–2026).
dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))
times = st.times(max_value=time(23, 59))
policies = st.builds(
    Policy,
    days=st.integers(0, 60),
    working_days=st.booleans(),
    roll_over_holidays=st.booleans(),
)


def at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=TZ)


@st.composite
def pauses_after(draw: st.DrawFn, start: date, closed: bool = False) -> Pause:
    begin = at(start + timedelta(days=draw(st.integers(0, 90))), draw(times))
    if not closed and draw(st.integers(0, 9)) == 0:
        return Pause(begin, None)
    return Pause(begin, begin + timedelta(hours=draw(st.integers(0, 40 * 24))))


@st.composite
def cases(draw: st.DrawFn) -> tuple[datetime, Policy, list[Pause]]:
    received = draw(dates)
    pauses = draw(st.lists(pauses_after(received), max_size=4))
    return at(received, draw(times)), draw(policies), pauses


@SETTINGS
@given(cases())
def test_pausing_never_shortens(case: tuple[datetime, Policy, list[Pause]]) -> None:
    received, policy, pauses = case
    base = compute_due(received_at=received, policy=policy)
    paused = compute_due(received_at=received, policy=policy, pauses=pauses)
    assert base.due_at is not None
    assert paused.due_at is None or paused.due_at >= base.due_at


@SETTINGS
@given(cases(), st.data())
def test_adding_a_pause_never_moves_due_earlier(
    case: tuple[datetime, Policy, list[Pause]], data: st.DataObject
) -> None:
    received, policy, pauses = case
    extra = data.draw(pauses_after(received.date()))
    before = compute_due(received_at=received, policy=policy, pauses=pauses)
    after = compute_due(received_at=received, policy=policy, pauses=[*pauses, extra])
    if before.due_at is not None and after.due_at is not None:
        assert after.due_at >= before.due_at
    # An open pause stays open when more pauses are added.
    assert not before.paused or after.paused


@SETTINGS
@given(cases(), st.integers(0, 60))
def test_restart_never_earlier_than_restart_plus_days(
    case: tuple[datetime, Policy, list[Pause]], offset: int
) -> None:
    received, policy, pauses = case
    restart = received + timedelta(days=offset, minutes=offset)
    r = compute_due(received_at=received, policy=policy, pauses=pauses, restarted_at=restart)
    if r.due_date is not None:
        assert r.due_date >= restart.astimezone(TZ).date() + timedelta(days=policy.days)


@SETTINGS
@given(cases(), st.integers(0, 60), st.integers(0, 60))
def test_longer_allowed_days_never_earlier(
    case: tuple[datetime, Policy, list[Pause]], a: int, b: int
) -> None:
    received, policy, pauses = case
    short, long = sorted((a, b))
    r1 = compute_due(received_at=received, policy=policy, pauses=pauses, allowed_days=short)
    r2 = compute_due(received_at=received, policy=policy, pauses=pauses, allowed_days=long)
    if r1.due_at is not None and r2.due_at is not None:
        assert r2.due_at >= r1.due_at


@SETTINGS
@given(cases())
def test_roll_over_lands_on_workday_and_never_earlier(
    case: tuple[datetime, Policy, list[Pause]],
) -> None:
    received, policy, pauses = case
    closed = [p for p in pauses if p.end is not None]
    strict = compute_due(
        received_at=received, policy=Policy(policy.days, policy.working_days, False), pauses=closed
    )
    rolled = compute_due(
        received_at=received, policy=Policy(policy.days, policy.working_days, True), pauses=closed
    )
    assert strict.due_date is not None and rolled.due_date is not None
    assert CAL.is_workday(rolled.due_date)
    assert rolled.due_date >= strict.due_date


@SETTINGS
@given(dates, st.integers(0, 40))
def test_add_workdays_properties(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    if n >= 1:
        assert end > start and CAL.is_workday(end)
    else:
        assert end == start
    assert CAL.workdays_between(start, end) == n
