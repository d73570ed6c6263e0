"""A trainer runs a session; staff sign in only for themselves; absentees are flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaobao.audit.models import RecordEvent
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.training import services
from xiaobao.training.choices import AttendanceStatus, SessionStatus, SignInMethod
from xiaobao.training.models import Attendance

from .conftest import at

pytestmark = pytest.mark.django_db


def _row(session, user) -> Attendance:
    return Attendance.objects.get(session=session, user=user)


def test_published_session_has_its_roster_and_an_event(make_session, staff):
    session = make_session()
    assert session.status == SessionStatus.PLANNED
    assert set(session.attendances.values_list("user__username", flat=True)) == {
        "teller_a",
        "wealth_a",
        "newbie_a",
    }
    assert RecordEvent.objects.filter(object_id=session.pk, action="create").count() == 1


def test_audience_rule_enrols_front_line_agency_and_new_hires_of_the_subtree(
    make_session, staff, people
):
    session = make_session(roster=[], enrol_audience=True)
    names = set(session.attendances.values_list("user__username", flat=True))
    assert {"teller_a", "wealth_a", "newbie_a", "agent_a", "outlet_handler_a"} <= names
    assert "trainer_a" not in names  # middle management is not this course's audience
    assert "handler_b" not in names  # branch B is outside the holding unit


def test_sign_in_on_the_roster_in_the_browser(make_session, staff):
    session = make_session(status=SessionStatus.SIGNING)
    row = services.attendance_sign_in(actor=staff.teller, session=session)
    assert row.user == staff.teller
    assert row.status == AttendanceStatus.PRESENT
    assert row.method == SignInMethod.BROWSER
    assert RecordEvent.objects.filter(object_id=row.pk, action="sign_in").count() == 1
    with pytest.raises(InvalidTransitionError):
        services.attendance_sign_in(actor=staff.teller, session=session)


def test_late_sign_in_is_recorded_as_late(make_session, staff):
    session = make_session(status=SessionStatus.SIGNING, starts=at(hours=-1))
    row = services.attendance_sign_in(actor=staff.manager, session=session)
    assert row.status == AttendanceStatus.LATE  # an hour after the start
    early = make_session(status=SessionStatus.SIGNING, starts=at(hours=0) + timedelta(minutes=5))
    assert services.attendance_sign_in(actor=staff.manager, session=early).status == (
        AttendanceStatus.PRESENT
    )


def test_code_admits_staff_of_the_subtree_not_on_the_roster_only_with_the_right_code(
    make_session, staff, people
):
    session = make_session(status=SessionStatus.SIGNING)
    with pytest.raises(PermissionDeniedError):
        services.attendance_sign_in(actor=staff.agent, session=session)
    with pytest.raises(DomainError) as wrong:
        services.attendance_sign_in(actor=staff.agent, session=session, code="WRONG123")
    assert wrong.value.field == "code"
    row = services.attendance_sign_in(actor=staff.agent, session=session, code=session.sign_in_code)
    assert row.method == SignInMethod.CODE and row.user == staff.agent
    # Branch B staff cannot sign in to branch A's session, even with the code.
    with pytest.raises(PermissionDeniedError):
        services.attendance_sign_in(
            actor=people.handler_b, session=session, code=session.sign_in_code
        )
    assert not Attendance.objects.filter(session=session, user=people.handler_b).exists()


def test_no_sign_in_before_it_opens_or_after_close(make_session, staff):
    planned = make_session()
    with pytest.raises(InvalidTransitionError):
        services.attendance_sign_in(actor=staff.teller, session=planned)
    closed = make_session(status=SessionStatus.CLOSED)
    with pytest.raises(InvalidTransitionError):
        services.attendance_sign_in(actor=staff.teller, session=closed)


def test_close_marks_the_rest_absent_and_flags_them_for_a_make_up(make_session, staff):
    session = make_session(status=SessionStatus.SIGNING)
    services.attendance_sign_in(actor=staff.teller, session=session)
    services.attendance_mark(
        actor=staff.trainer,
        attendance=_row(session, staff.manager),
        status=AttendanceStatus.EXCUSED,
    )
    services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)
    assert _row(session, staff.new_hire).status == AttendanceStatus.ABSENT
    assert _row(session, staff.new_hire).needs_makeup
    assert _row(session, staff.manager).needs_makeup
    assert not _row(session, staff.teller).needs_makeup
    makeup = services.session_create(
        actor=staff.trainer,
        data=services.SessionData(
            course=session.course,
            unit=session.unit,
            title="补训",
            starts_at=at(days=3),
            ends_at=at(days=3, hours=2),
            makeup_of=session,
        ),
    )
    assert set(makeup.attendances.values_list("user__username", flat=True)) == {
        "newbie_a",
        "wealth_a",
    }
    with pytest.raises(InvalidTransitionError):
        services.attendance_mark(
            actor=staff.trainer,
            attendance=_row(session, staff.new_hire),
            status=AttendanceStatus.PRESENT,
            note="补签",
        )


def test_trainer_marking_someone_present_needs_a_reason(make_session, staff):
    session = make_session(status=SessionStatus.SIGNING)
    with pytest.raises(DomainError) as missing:
        services.attendance_mark(
            actor=staff.trainer,
            attendance=_row(session, staff.teller),
            status=AttendanceStatus.PRESENT,
        )
    assert missing.value.field == "note"
    row = services.attendance_mark(
        actor=staff.trainer,
        attendance=_row(session, staff.teller),
        status=AttendanceStatus.PRESENT,
        note="手机没电，现场核对身份",
    )
    assert row.method == SignInMethod.TRAINER


def test_illegal_transitions_and_rights(make_session, staff, people):
    session = make_session()
    with pytest.raises(InvalidTransitionError):
        services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)
    with pytest.raises(DomainError):
        services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CANCELLED)
    with pytest.raises(PermissionDeniedError):
        services.session_advance(actor=staff.teller, session=session, to=SessionStatus.SIGNING)
    with pytest.raises(PermissionDeniedError):  # branch B's officer: out of scope
        services.session_advance(actor=people.officer_b, session=session, to=SessionStatus.SIGNING)
    with pytest.raises(DomainError) as bad:
        services.session_create(
            actor=staff.trainer,
            data=services.SessionData(
                course=session.course,
                unit=session.unit,
                title="x",
                starts_at=at(days=1),
                ends_at=at(days=1, hours=-1),
            ),
        )
    assert bad.value.field == "ends_at"
