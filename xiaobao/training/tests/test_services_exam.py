"""Exams drawn by rule, marked automatically, locked; attempts limited; corrections recorded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from xiaobao.audit.models import RecordEvent
from xiaobao.lib.clock import replay
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.training import services
from xiaobao.training.choices import AttemptStatus, QuestionKind, SessionStatus
from xiaobao.training.models import Question

from .conftest import right_answers

pytestmark = pytest.mark.django_db


def test_paper_is_drawn_by_rule_from_active_questions(make_exam, staff):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam, seed=3)
    kinds = [Question.objects.get(pk=i["q"]).kind for i in attempt.paper]
    assert sorted(kinds) == sorted(["single"] * 3 + ["multiple"] + ["true_false"])
    assert len({i["q"] for i in attempt.paper}) == 5
    for item in attempt.paper:
        assert sorted(item["order"]) == list(range(len(Question.objects.get(pk=item["q"]).options)))


def test_a_rule_the_bank_cannot_satisfy_is_refused_naming_the_rule(staff, org, bank):
    with pytest.raises(DomainError) as short:
        services.exam_create(
            actor=staff.trainer,
            data=services.ExamData(
                title="超量",
                unit=org.branch_a,
                rule=[{"kind": "multiple", "topic": "", "count": 5}],
            ),
        )
    assert short.value.field == "rule"


def test_all_right_scores_100_and_locks(make_exam, staff):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    done = services.attempt_submit(
        actor=staff.teller, attempt=attempt, answers=right_answers(attempt)
    )
    assert done.status == AttemptStatus.LOCKED
    assert done.score == Decimal("100.0") and done.passed and done.correct_count == 5
    with pytest.raises(InvalidTransitionError):
        services.attempt_submit(actor=staff.teller, attempt=done, answers={})


def test_partial_multiple_choice_is_wrong_and_the_score_is_proportional(make_exam, staff):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    answers = right_answers(attempt)
    multiple = next(
        str(i["q"]) for i in attempt.paper if Question.objects.get(pk=i["q"]).kind == "multiple"
    )
    answers[multiple] = answers[multiple][:1]
    done = services.attempt_submit(actor=staff.teller, attempt=attempt, answers=answers)
    assert done.correct_count == 4 and done.score == Decimal("80.0")


def test_nobody_submits_someone_elses_paper(make_exam, staff):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    with pytest.raises(PermissionDeniedError):
        services.attempt_submit(
            actor=staff.manager, attempt=attempt, answers=right_answers(attempt)
        )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_answers_outside_the_paper_are_refused(make_exam, staff, bank):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    stranger = next(q for q in bank if q.pk not in {i["q"] for i in attempt.paper})
    with pytest.raises(DomainError) as bad:
        services.attempt_submit(
            actor=staff.teller, attempt=attempt, answers={str(stranger.pk): [0]}
        )
    assert bad.value.field == "answers"


def test_attempts_are_limited(make_exam, staff):
    exam = make_exam(max_attempts=2)
    for _ in range(2):
        a = services.attempt_start(actor=staff.teller, exam=exam)
        services.attempt_submit(actor=staff.teller, attempt=a, answers={})
    with pytest.raises(InvalidTransitionError) as used:
        services.attempt_start(actor=staff.teller, exam=exam)
    assert used.value.code == "attempts_exhausted"


def test_starting_twice_resumes_the_same_paper(make_exam, staff):
    exam = make_exam()
    first = services.attempt_start(actor=staff.teller, exam=exam)
    assert services.attempt_start(actor=staff.teller, exam=exam).pk == first.pk


def test_a_late_paper_is_locked_without_its_answers(make_exam, staff):
    exam = make_exam(time_limit_minutes=10)
    from xiaobao.lib.clock import now

    with replay(now() - timedelta(minutes=30)):
        attempt = services.attempt_start(actor=staff.teller, exam=exam)
    done = services.attempt_submit(
        actor=staff.teller, attempt=attempt, answers=right_answers(attempt)
    )
    assert done.status == AttemptStatus.LOCKED and done.score == 0 and done.passed is False
    assert RecordEvent.objects.filter(object_id=done.pk, action="expire").exists()


def test_the_sweep_locks_abandoned_papers(make_exam, staff):
    from xiaobao.lib.clock import now

    exam = make_exam(time_limit_minutes=5)
    with replay(now() - timedelta(minutes=20)):
        attempt = services.attempt_start(actor=staff.teller, exam=exam)
    assert services.attempts_expire(now=now()) == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.LOCKED
    assert services.attempts_expire(now=now()) == 0


def test_a_session_exam_is_for_its_roster_only(make_session, make_exam, staff):
    session = make_session(status=SessionStatus.CLOSED)
    exam = make_exam(session=session)
    with pytest.raises(PermissionDeniedError):
        services.attempt_start(actor=staff.agent, exam=exam)  # not on the roster
    assert services.attempt_start(actor=staff.teller, exam=exam).user == staff.teller


def test_a_locked_result_changes_only_by_a_recorded_correction(make_exam, staff, people):
    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    done = services.attempt_submit(actor=staff.teller, attempt=attempt, answers={})
    assert done.score == 0
    with pytest.raises(PermissionDeniedError):
        services.attempt_correct(
            actor=staff.teller, attempt=done, score=Decimal(90), reason="我觉得"
        )
    with pytest.raises(DomainError) as no_reason:
        services.attempt_correct(actor=staff.trainer, attempt=done, score=Decimal(90), reason=" ")
    assert no_reason.value.field == "reason"
    with pytest.raises(PermissionDeniedError):  # branch B cannot correct branch A's staff
        services.attempt_correct(
            actor=people.officer_b, attempt=done, score=Decimal(90), reason="x"
        )
    fixed = services.attempt_correct(
        actor=staff.trainer, attempt=done, score=Decimal("60"), reason="第3题答案有误，经复核更正"
    )
    assert fixed.score == Decimal("60.0") and fixed.passed and fixed.corrected
    event = RecordEvent.objects.get(object_id=done.pk, action="correct")
    assert event.from_status == "0.0" and event.to_status == "60.0"
    assert event.reason.startswith("第3题") and event.actor == staff.trainer


def test_revising_a_question_retires_the_old_version_and_keeps_it(bank, people):
    old = bank[0]
    new = services.question_revise(
        actor=people.hq_officer,
        question=old,
        data=services.QuestionData(
            code="ignored",
            kind=QuestionKind.SINGLE,
            stem="新题干",
            options=["对", "错"],
            answer=[0],
            topic="适当性",
        ),
    )
    old.refresh_from_db()
    assert not old.is_active and new.version == 2 and new.code == old.code
    with pytest.raises(InvalidTransitionError):
        services.question_revise(
            actor=people.hq_officer,
            question=old,
            data=services.QuestionData(
                code="", kind="single", stem="x", options=["a", "b"], answer=[0], topic="t"
            ),
        )


@pytest.mark.parametrize(
    ("kind", "options", "answer", "field"),
    [
        ("single", ["a"], [0], "options"),
        ("single", ["a", "b"], [0, 1], "answer"),
        ("multiple", ["a", "b", "c"], [1], "answer"),
        ("single", ["a", "b"], [5], "answer"),
        ("single", ["a", "a"], [0], "options"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(people, kind, options, answer, field):
    with pytest.raises(DomainError) as bad:
        services.question_create(
            actor=people.hq_officer,
            data=services.QuestionData(
                code="Q1", kind=kind, stem="题", options=options, answer=answer, topic="t"
            ),
        )
    assert bad.value.field == field
    assert not Question.objects.exists()
