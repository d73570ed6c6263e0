"""Fixtures for the training tests: a trainer, categorised staff, a course and a question bank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from conftest import create_user
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import User
from xiaobao.training import services
from xiaobao.training.choices import QuestionKind, SessionStatus
from xiaobao.training.models import Course, Session


def profile(
    user: User,
    category: str,
    *,
    position: str = "",
    hired: date | None = None,
    seller: bool = False,
) -> User:
    User.objects.filter(pk=user.pk).update(
        staff_category=category, position=position, hire_date=hired, is_seller=seller
    )
    user.refresh_from_db()
    return user


@dataclass
class Staff:
    trainer: User  # training admin of branch A
    teller: User  # front-line, outlet A
    manager: User  # wealth manager (seller), outlet A
    new_hire: User  # joined ten days ago, outlet A
    agent: User  # agency staff, sub-branch A


@pytest.fixture
def staff(people, org) -> Staff:
    today = date.today()
    trainer = create_user("trainer_a", org.branch_a, Role.TRAINING_ADMIN)
    profile(trainer, StaffCategory.MIDDLE, position="培训主管")
    profile(
        people.outlet_handler_a,
        StaffCategory.FRONTLINE,
        position="大堂经理",
        hired=date(2020, 3, 1),
    )
    teller = create_user("teller_a", org.outlet_a, Role.HANDLER)
    profile(teller, StaffCategory.FRONTLINE, position="柜员", hired=date(2019, 5, 6))
    manager = create_user("wealth_a", org.outlet_a, Role.HANDLER)
    profile(
        manager, StaffCategory.FRONTLINE, position="理财经理", hired=date(2018, 1, 2), seller=True
    )
    new_hire = create_user("newbie_a", org.outlet_a, Role.HANDLER)
    profile(new_hire, StaffCategory.FRONTLINE, position="柜员", hired=today - timedelta(days=10))
    agent = create_user("agent_a", org.sub_a, Role.HANDLER)
    profile(agent, StaffCategory.AGENCY, position="保险代理人", hired=date(2022, 7, 1), seller=True)
    return Staff(trainer, teller, manager, new_hire, agent)


@pytest.fixture
def course(people) -> Course:
    return services.course_create(
        actor=people.hq_officer,
        code="XB-2026-01",
        title="消费者权益保护基础",
        hours=Decimal("2.0"),
        topics=["投诉处理", "适当性"],
        rules="银行保险机构消费者权益保护管理办法",
        mandatory=True,
        audience_categories=[StaffCategory.FRONTLINE, StaffCategory.AGENCY],
        new_hire_days=30,
    )


BANK = {
    QuestionKind.SINGLE: 8,
    QuestionKind.MULTIPLE: 4,
    QuestionKind.TRUE_FALSE: 6,
}


@pytest.fixture
def bank(people) -> list[Any]:
    """Questions whose right answer is always the option whose text starts with "对"."""
    out = []
    for kind, n in BANK.items():
        for i in range(n):
            if kind == QuestionKind.TRUE_FALSE:
                options, answer = [], [0]
            elif kind == QuestionKind.SINGLE:
                options, answer = [f"对{i}", f"错{i}a", f"错{i}b", f"错{i}c"], [0]
            else:
                options, answer = [f"对{i}a", f"错{i}", f"对{i}b", f"错{i}x"], [0, 2]
            out.append(
                services.question_create(
                    actor=people.hq_officer,
                    data=services.QuestionData(
                        code=f"{kind}-{i}",
                        kind=kind,
                        stem=f"第{i}题：关于{kind}的题干",
                        options=options,
                        answer=answer,
                        topic="投诉处理" if i % 2 else "适当性",
                        explanation=f"解析{i}",
                        rule_article="第十条",
                    ),
                )
            )
    return out


def right_answers(attempt) -> dict[str, list[int]]:
    from xiaobao.training.models import Question

    keys = dict(
        Question.objects.filter(pk__in=[i["q"] for i in attempt.paper]).values_list("pk", "answer")
    )
    return {str(pk): list(a) for pk, a in keys.items()}


def at(days: int = 0, hours: int = 0) -> datetime:
    return (clock_now() + timedelta(days=days, hours=hours)).replace(microsecond=0)


@pytest.fixture
def make_session(staff, org, course):
    def make(
        *,
        unit: Any = None,
        roster: Any = None,
        status: str = SessionStatus.PLANNED,
        starts: datetime | None = None,
        actor: Any = None,
        **extra: Any,
    ) -> Session:
        starts = starts or at() - timedelta(minutes=5)
        session = services.session_create(
            actor=actor or staff.trainer,
            data=services.SessionData(
                course=course,
                unit=unit or org.branch_a,
                title="消保知识培训",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                roster=list(
                    roster if roster is not None else [staff.teller, staff.manager, staff.new_hire]
                ),
                **extra,
            ),
        )
        if status in (SessionStatus.SIGNING, SessionStatus.CLOSED):
            session = services.session_advance(
                actor=actor or staff.trainer, session=session, to=SessionStatus.SIGNING
            )
        if status == SessionStatus.CLOSED:
            session = services.session_advance(
                actor=actor or staff.trainer, session=session, to=SessionStatus.CLOSED
            )
        return session

    return make


@pytest.fixture
def make_exam(staff, org, bank):
    def make(
        *,
        session: Any = None,
        unit: Any = None,
        max_attempts: int = 2,
        open_: bool = True,
        **extra: Any,
    ):
        from xiaobao.training.choices import ExamStatus

        exam = services.exam_create(
            actor=staff.trainer,
            data=services.ExamData(
                title="消保知识测试",
                unit=unit or org.branch_a,
                session=session,
                rule=[
                    {"kind": "single", "topic": "", "count": 3},
                    {"kind": "multiple", "topic": "", "count": 1},
                    {"kind": "true_false", "topic": "", "count": 1},
                ],
                max_attempts=max_attempts,
                **extra,
            ),
        )
        if open_:
            exam = services.exam_advance(actor=staff.trainer, exam=exam, to=ExamStatus.OPEN)
        return exam

    return make
