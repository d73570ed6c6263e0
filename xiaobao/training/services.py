"""Writes of training: plans, sessions and attendance, the question bank, exams and attempts,
contests and qualifications.

Every service reads the same way: check the actor's right and scope → lock the row → check the
transition → change → write one append-only `RecordEvent` in the same transaction. A refused
request writes nothing. A candidate only ever acts for themself: signing in and sitting an exam
take the actor as the person, never a person named in the request.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiaobao.audit.services import audit_record, record_event
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    choice_label,
    lazy_text,
)
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.training import conf
from xiaobao.training.choices import (
    ATTENDED,
    EXAM_TRANSITIONS,
    PLAN_TRANSITIONS,
    SESSION_TRANSITIONS,
    AttemptStatus,
    AttendanceStatus,
    ContestMode,
    ExamStatus,
    PlanStatus,
    QualificationKind,
    QuestionKind,
    SessionMode,
    SessionStatus,
    SignInMethod,
    TrainerKind,
)
from xiaobao.training.models import (
    Attempt,
    Attendance,
    Contest,
    ContestEntry,
    Course,
    Exam,
    Qualification,
    Question,
    Session,
    TrainingPlan,
)


def _require(user: Any, perm: str | None, unit: Unit | None) -> None:
    if user is None or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if perm and not user.has_perm(f"training.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if unit is not None and not unit_in_scope(user, unit):
        raise PermissionDeniedError("该记录不在您的机构管辖范围内。", code="out_of_scope")


def _move(obj: Any, table: Mapping[str, frozenset[str]], to: str, label: str) -> str:
    current = obj.status
    if to not in table.get(current, frozenset()):
        raise InvalidTransitionError(
            "当前状态为“%(status)s”，不能%(label)s。",
            params={"status": choice_label(obj, "status"), "label": lazy_text(label)},
            code="invalid_transition",
        )
    obj.status = to
    return current


def _lock(model: Any, pk: int) -> Any:
    return model.objects.select_for_update().get(pk=pk)


def _text(value: str, name: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(
            "请填写%(label)s。", params={"label": lazy_text(label)}, code="required", field=name
        )
    return value


# --- staff profile ------------------------------------------------------------------------------


@transaction.atomic
def staff_profile_set(
    *,
    actor: Any,
    user: User,
    staff_category: str,
    position: str = "",
    hire_date: date | None = None,
    is_seller: bool = False,
) -> User:
    """Set who a member of staff is for training: category, position, hire date, seller."""
    _require(actor, "run_session", user.unit)
    if staff_category not in StaffCategory.values:
        raise DomainError("请选择人员类别。", code="invalid", field="staff_category")
    if hire_date and hire_date > timezone.localdate() + timedelta(days=366):
        raise DomainError("入职日期不合理。", code="invalid", field="hire_date")
    user = _lock(User, user.pk)
    before = {
        "staff_category": user.staff_category,
        "position": user.position,
        "hire_date": user.hire_date.isoformat() if user.hire_date else None,
        "is_seller": user.is_seller,
    }
    user.staff_category = staff_category
    user.position = position.strip()
    user.hire_date = hire_date
    user.is_seller = is_seller
    user.save(update_fields=["staff_category", "position", "hire_date", "is_seller"])
    audit_record(
        actor=actor,
        action="staff_profile_set",
        obj=user,
        unit=user.unit,
        summary=str(user),
        data={"before": before},
    )
    return user


# --- courses and plans --------------------------------------------------------------------------


def _clean_course(
    *,
    title: str,
    hours: Decimal,
    audience_roles: Sequence[str],
    audience_categories: Sequence[str],
    new_hire_days: int | None,
) -> str:
    title = _text(title, "title", "课程名称")
    if hours is None or Decimal(hours) <= 0 or Decimal(hours) > 100:
        raise DomainError("学时须大于0且不超过100。", code="invalid", field="hours")
    unknown = [r for r in audience_roles if r not in Role.values]
    if unknown:
        raise DomainError(
            "未知的角色：%(unknown)s。",
            params={"unknown": unknown[0]},
            code="invalid",
            field="audience_roles",
        )
    unknown = [c for c in audience_categories if c not in StaffCategory.values]
    if unknown:
        raise DomainError(
            "未知的人员类别：%(unknown)s。",
            params={"unknown": unknown[0]},
            code="invalid",
            field="audience_categories",
        )
    if new_hire_days is not None and not 1 <= new_hire_days <= 366:
        raise DomainError("新员工入职天数须为1至366。", code="invalid", field="new_hire_days")
    return title


@transaction.atomic
def course_create(
    *,
    actor: Any,
    code: str,
    title: str,
    hours: Decimal,
    topics: Sequence[str] = (),
    rules: str = "",
    mandatory: bool = False,
    audience_roles: Sequence[str] = (),
    audience_positions: Sequence[str] = (),
    audience_categories: Sequence[str] = (),
    new_hire_days: int | None = None,
) -> Course:
    """Add a course to the shared catalogue."""
    _require(actor, "add_course", None)
    code = _text(code, "code", "课程编号")
    title = _clean_course(
        title=title,
        hours=hours,
        audience_roles=audience_roles,
        audience_categories=audience_categories,
        new_hire_days=new_hire_days,
    )
    if Course.objects.filter(code=code).exists():
        raise DomainError("课程编号已存在。", code="duplicate", field="code")
    course = Course.objects.create(
        code=code,
        title=title,
        hours=Decimal(hours),
        topics=[t.strip() for t in topics if t.strip()],
        rules=rules.strip(),
        mandatory=mandatory,
        audience_roles=list(audience_roles),
        audience_positions=[p.strip() for p in audience_positions if p.strip()],
        audience_categories=list(audience_categories),
        new_hire_days=new_hire_days,
    )
    audit_record(actor=actor, action="course_create", obj=course, summary=str(course))
    return course


COURSE_FIELDS = (
    "title",
    "hours",
    "topics",
    "rules",
    "mandatory",
    "audience_roles",
    "audience_positions",
    "audience_categories",
    "new_hire_days",
    "is_active",
)


@transaction.atomic
def course_update(
    *,
    actor: Any,
    course: Course,
    title: str,
    hours: Decimal,
    topics: Sequence[str] = (),
    rules: str = "",
    mandatory: bool = False,
    audience_roles: Sequence[str] = (),
    audience_positions: Sequence[str] = (),
    audience_categories: Sequence[str] = (),
    new_hire_days: int | None = None,
    is_active: bool = True,
) -> Course:
    """Edit a course of the catalogue (its code stays); the values before go on the record."""
    _require(actor, "change_course", None)
    title = _clean_course(
        title=title,
        hours=hours,
        audience_roles=audience_roles,
        audience_categories=audience_categories,
        new_hire_days=new_hire_days,
    )
    course = _lock(Course, course.pk)
    before = {
        name: str(value) if isinstance(value, Decimal) else value
        for name in COURSE_FIELDS
        for value in [getattr(course, name)]
    }
    course.title = title
    course.hours = Decimal(hours)
    course.topics = [t.strip() for t in topics if t.strip()]
    course.rules = rules.strip()
    course.mandatory = mandatory
    course.audience_roles = list(audience_roles)
    course.audience_positions = [p.strip() for p in audience_positions if p.strip()]
    course.audience_categories = list(audience_categories)
    course.new_hire_days = new_hire_days
    course.is_active = is_active
    course.save(update_fields=list(COURSE_FIELDS))
    audit_record(
        actor=actor,
        action="course_update",
        obj=course,
        summary=str(course),
        data={"before": before},
    )
    return course


@transaction.atomic
def plan_create(*, actor: Any, unit: Unit, year: int, title: str, notes: str = "") -> TrainingPlan:
    """A unit's annual training plan, in draft."""
    _require(actor, "add_trainingplan", unit)
    title = _text(title, "title", "计划名称")
    if not 2000 <= year <= 2100:
        raise DomainError("年度不合理。", code="invalid", field="year")
    if TrainingPlan.objects.filter(unit=unit, year=year).exists():
        raise DomainError("该机构本年度已有培训计划。", code="duplicate", field="year")
    plan = TrainingPlan.objects.create(
        unit=unit, year=year, title=title, notes=notes.strip(), created_by=actor
    )
    record_event(
        plan, action="create", action_label="创建", actor=actor, unit=unit, to_status=plan.status
    )
    return plan


@transaction.atomic
def plan_submit(*, actor: Any, plan: TrainingPlan) -> TrainingPlan:
    _require(actor, "change_trainingplan", plan.unit)
    plan = _lock(TrainingPlan, plan.pk)
    before = _move(plan, PLAN_TRANSITIONS, PlanStatus.SUBMITTED, "提交审批")
    plan.save(update_fields=["status"])
    record_event(
        plan,
        action="submit",
        action_label="提交审批",
        actor=actor,
        unit=plan.unit,
        from_status=before,
        to_status=plan.status,
    )
    return plan


@transaction.atomic
def plan_decide(*, actor: Any, plan: TrainingPlan, approve: bool, reason: str = "") -> TrainingPlan:
    """Approve the plan, or return it with a reason; the submitter never approves their own."""
    _require(actor, "approve_trainingplan", plan.unit)
    plan = _lock(TrainingPlan, plan.pk)
    if plan.created_by_id == actor.pk:
        raise PermissionDeniedError("不能审批本人提交的计划。", code="own_plan")
    if not approve and not reason.strip():
        raise DomainError("退回须说明原因。", code="required", field="reason")
    to = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
    before = _move(plan, PLAN_TRANSITIONS, to, "审批" if approve else "退回")
    now = clock_now()
    if approve:
        plan.approved_by, plan.approved_at = actor, now
    plan.return_reason = "" if approve else reason.strip()
    plan.save(update_fields=["status", "approved_by", "approved_at", "return_reason"])
    record_event(
        plan,
        action="approve" if approve else "return",
        action_label="批准" if approve else "退回",
        actor=actor,
        unit=plan.unit,
        from_status=before,
        to_status=plan.status,
        reason=reason.strip(),
        at=now,
    )
    return plan


# --- sessions and attendance --------------------------------------------------------------------


@dataclass
class SessionData:
    """What a trainer fills in to publish a session."""

    course: Course
    unit: Unit
    title: str
    starts_at: datetime
    ends_at: datetime
    hours: Decimal | None = None
    trainer_kind: str = TrainerKind.INTERNAL
    trainer_name: str = ""
    mode: str = SessionMode.ONSITE
    place: str = ""
    materials: str = ""
    plan: TrainingPlan | None = None
    makeup_of: Session | None = None
    roster: Sequence[User] = field(default_factory=list)
    enrol_audience: bool = False


def audience(course: Course, unit: Unit, on: date) -> list[User]:
    """Active staff of `unit`'s subtree the course is meant for on `on` (new hires included)."""
    from xiaobao.organisation.roles import group_name

    staff = User.objects.filter(unit__path__startswith=unit.path, is_active=True)
    wanted_groups = [group_name(r) for r in course.audience_roles]
    picked: set[int] = set()
    anyone = not (
        course.audience_roles
        or course.audience_positions
        or course.audience_categories
        or course.new_hire_days
    )
    for user in staff.prefetch_related("groups"):
        if user.hire_date and user.hire_date > on:
            continue
        if anyone:
            picked.add(user.pk)
            continue
        if (
            (user.staff_category and user.staff_category in course.audience_categories)
            or (user.position and user.position in course.audience_positions)
            or any(g.name in wanted_groups for g in user.groups.all())
            or (
                course.new_hire_days
                and user.hire_date
                and (on - user.hire_date).days <= course.new_hire_days
            )
        ):
            picked.add(user.pk)
    return list(staff.filter(pk__in=picked))


@transaction.atomic
def session_create(*, actor: Any, data: SessionData) -> Session:
    """Publish a session with its roster (named staff, the course's audience, or the people a
    make-up session is for)."""
    _require(actor, "run_session", data.unit)
    title = _text(data.title, "title", "培训名称")
    if not data.course.is_active:
        raise DomainError("该课程已停用。", code="invalid", field="course")
    if data.ends_at <= data.starts_at:
        raise DomainError("结束时间须晚于开始时间。", code="invalid", field="ends_at")
    if data.trainer_kind not in TrainerKind.values:
        raise DomainError("请选择讲师类型。", code="invalid", field="trainer_kind")
    if data.trainer_kind == TrainerKind.EXTERNAL and not data.trainer_name.strip():
        raise DomainError("外部讲师须填写姓名。", code="required", field="trainer_name")
    if data.mode not in SessionMode.values:
        raise DomainError("请选择培训形式。", code="invalid", field="mode")
    hours = Decimal(data.hours) if data.hours is not None else data.course.hours
    if hours <= 0 or hours > 24:
        raise DomainError("学时须大于0且不超过24。", code="invalid", field="hours")
    if data.plan is not None and not data.unit.path.startswith(data.plan.unit.path):
        raise DomainError("举办机构不在该培训计划的范围内。", code="invalid", field="plan")
    if (
        data.makeup_of is not None
        and not Session.objects.filter(pk=data.makeup_of.pk, status=SessionStatus.CLOSED).exists()
    ):
        raise DomainError("只能为已结束的场次安排补训。", code="invalid", field="makeup_of")
    now = clock_now()
    session = Session.objects.create(
        course=data.course,
        plan=data.plan,
        unit=data.unit,
        title=title,
        trainer_kind=data.trainer_kind,
        trainer=actor,
        trainer_name=data.trainer_name.strip() or str(actor),
        mode=data.mode,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        hours=hours,
        place=data.place.strip(),
        materials=data.materials.strip(),
        makeup_of=data.makeup_of,
        created_at=now,
    )
    roster = {u.pk: u for u in data.roster}
    if data.enrol_audience:
        roster |= {u.pk: u for u in audience(data.course, data.unit, data.starts_at.date())}
    if data.makeup_of is not None:
        flagged = User.objects.filter(
            training_attendances__session=data.makeup_of, training_attendances__needs_makeup=True
        )
        roster |= {u.pk: u for u in flagged}
    _enrol(session, roster.values())
    record_event(
        session,
        action="create",
        action_label="发布",
        actor=actor,
        unit=session.unit,
        to_status=session.status,
        data={"roster": len(roster)},
        at=now,
    )
    return session


def _enrol(session: Session, users: Iterable[User]) -> int:
    out = [u for u in users if u.unit.path.startswith(session.unit.path) and u.is_active]
    existing = set(session.attendances.values_list("user_id", flat=True))
    rows = [Attendance(session=session, user=u) for u in out if u.pk not in existing]
    Attendance.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def session_enrol(*, actor: Any, session: Session, users: Sequence[User]) -> int:
    """Add staff of the holding unit's subtree to the roster (others are refused)."""
    _require(actor, "run_session", session.unit)
    session = _lock(Session, session.pk)
    if session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
        raise InvalidTransitionError("该场次已结束或已取消，不能再调整名单。")
    outside = [u for u in users if not u.unit.path.startswith(session.unit.path)]
    if outside:
        raise DomainError(
            "%(outside)s不属于举办机构，不能列入名单。",
            params={"outside": outside[0]},
            code="invalid",
            field="users",
        )
    added = _enrol(session, users)
    record_event(
        session,
        action="enrol",
        action_label="调整名单",
        actor=actor,
        unit=session.unit,
        data={"added": added},
    )
    return added


_SESSION_LABELS = {
    SessionStatus.SIGNING: ("open_sign_in", "开始签到"),
    SessionStatus.CLOSED: ("close", "结束培训"),
    SessionStatus.CANCELLED: ("cancel", "取消"),
}


@transaction.atomic
def session_advance(*, actor: Any, session: Session, to: str, reason: str = "") -> Session:
    """Open sign-in, close (still-enrolled become absent and are flagged for a make-up) or cancel."""
    _require(actor, "run_session", session.unit)
    if to == SessionStatus.CANCELLED and not reason.strip():
        raise DomainError("取消须说明原因。", code="required", field="reason")
    session = _lock(Session, session.pk)
    action, label = _SESSION_LABELS.get(SessionStatus(to), ("advance", "变更"))
    before = _move(session, SESSION_TRANSITIONS, to, label)
    session.save(update_fields=["status"])
    data: dict[str, Any] = {}
    if to == SessionStatus.CLOSED:
        data["absent"] = session.attendances.filter(status=AttendanceStatus.ENROLLED).update(
            status=AttendanceStatus.ABSENT
        )
        session.attendances.filter(
            status__in=[AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]
        ).update(needs_makeup=True)
    record_event(
        session,
        action=action,
        action_label=label,
        actor=actor,
        unit=session.unit,
        from_status=before,
        to_status=session.status,
        reason=reason.strip(),
        data=data,
    )
    return session


@transaction.atomic
def attendance_sign_in(*, actor: Any, session: Session, code: str = "") -> Attendance:
    """The actor signs in for themself: on the roster in the browser, or with the session's code
    (which also admits staff of the holding unit's subtree who are not on the roster)."""
    _require(actor, None, None)
    session = _lock(Session, session.pk)
    if session.status != SessionStatus.SIGNING:
        raise InvalidTransitionError(
            "该场次当前为“%(status)s”，不能签到。",
            params={"status": choice_label(session, "status")},
            code="not_signing",
        )
    code = (code or "").strip().upper()
    if code and code != session.sign_in_code:
        raise DomainError("签到码不正确。", code="invalid", field="code")
    attendance = (
        Attendance.objects.select_for_update()
        .filter(session=session, user=actor)
        .order_by("pk")
        .first()
    )
    if attendance is None:
        if not code:
            raise PermissionDeniedError(
                "您不在本场培训名单内，请使用签到码签到。", code="not_enrolled"
            )
        if not actor.unit.path.startswith(session.unit.path):
            raise PermissionDeniedError("您不属于举办机构，不能签到。", code="out_of_scope")
        attendance = Attendance.objects.create(session=session, user=actor)
    if attendance.status in ATTENDED:
        raise InvalidTransitionError("您已签到。", code="already_signed_in")
    now = clock_now()
    before = attendance.status
    late = now > session.starts_at + timedelta(minutes=conf.late_after_minutes())
    attendance.status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
    attendance.method = SignInMethod.CODE if code else SignInMethod.BROWSER
    attendance.signed_in_at = now
    attendance.needs_makeup = False
    attendance.save(update_fields=["status", "method", "signed_in_at", "needs_makeup"])
    record_event(
        attendance,
        action="sign_in",
        action_label="签到",
        actor=actor,
        unit=actor.unit,
        from_status=before,
        to_status=attendance.status,
        data={"session": session.pk, "method": attendance.method},
        at=now,
    )
    return attendance


@transaction.atomic
def attendance_mark(
    *, actor: Any, attendance: Attendance, status: str, note: str = ""
) -> Attendance:
    """The trainer records attendance (excused, absent, or present for someone without a phone)
    while the session is open; a closed session's attendance is final."""
    _require(actor, "run_session", attendance.session.unit)
    if status not in AttendanceStatus.values or status == AttendanceStatus.ENROLLED:
        raise DomainError("请选择出勤情况。", code="invalid", field="status")
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    session = attendance.session
    if session.status not in (SessionStatus.PLANNED, SessionStatus.SIGNING):
        raise InvalidTransitionError("该场次已结束，出勤记录不能再修改。", code="session_closed")
    if status in ATTENDED and session.status != SessionStatus.SIGNING:
        raise InvalidTransitionError("签到开始后才能登记出席。", code="not_signing")
    if status in ATTENDED and not note.strip():
        raise DomainError("代为登记出席须说明原因。", code="required", field="note")
    before = attendance.status
    now = clock_now()
    attendance.status = status
    attendance.note = note.strip()[:200]
    if status in ATTENDED:
        attendance.method, attendance.signed_in_at = SignInMethod.TRAINER, now
    attendance.needs_makeup = status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
    attendance.save()
    record_event(
        attendance,
        action="mark",
        action_label="登记出勤",
        actor=actor,
        unit=session.unit,
        from_status=before,
        to_status=status,
        reason=attendance.note,
        at=now,
    )
    return attendance


# --- question bank ------------------------------------------------------------------------------


@dataclass
class QuestionData:
    """One question as the CP office writes it; `answer` holds option indices."""

    code: str
    kind: str
    stem: str
    options: Sequence[str]
    answer: Sequence[int]
    topic: str
    explanation: str = ""
    rule_article: str = ""
    difficulty: int = 2


TRUE_FALSE_OPTIONS = ("正确", "错误")


def _clean_question(data: QuestionData) -> tuple[list[str], list[int]]:
    if data.kind not in QuestionKind.values:
        raise DomainError("请选择题型。", code="invalid", field="kind")
    _text(data.stem, "stem", "题干")
    _text(data.topic, "topic", "主题")
    options = (
        list(TRUE_FALSE_OPTIONS)
        if data.kind == QuestionKind.TRUE_FALSE
        else [o.strip() for o in data.options if o and o.strip()]
    )
    if data.kind != QuestionKind.TRUE_FALSE and len(options) < 2:
        raise DomainError("至少需要两个选项。", code="invalid", field="options")
    if len(set(options)) != len(options):
        raise DomainError("选项不能重复。", code="invalid", field="options")
    answer = sorted(set(int(a) for a in data.answer))
    if not answer or any(a < 0 or a >= len(options) for a in answer):
        raise DomainError("答案须为选项之一。", code="invalid", field="answer")
    if data.kind != QuestionKind.MULTIPLE and len(answer) != 1:
        raise DomainError("单选题和判断题只能有一个答案。", code="invalid", field="answer")
    if data.kind == QuestionKind.MULTIPLE and len(answer) < 2:
        raise DomainError("多选题至少有两个正确选项。", code="invalid", field="answer")
    if not 1 <= data.difficulty <= 5:
        raise DomainError("难度为1至5。", code="invalid", field="difficulty")
    return options, answer


@transaction.atomic
def question_create(*, actor: Any, data: QuestionData, version: int = 1) -> Question:
    """Add a question to the shared bank."""
    _require(actor, "add_question", None)
    code = _text(data.code, "code", "题号")
    options, answer = _clean_question(data)
    if version == 1 and Question.objects.filter(code=code).exists():
        raise DomainError("题号已存在，修改请新建版本。", code="duplicate", field="code")
    question = Question.objects.create(
        code=code,
        version=version,
        kind=data.kind,
        stem=data.stem.strip(),
        options=options,
        answer=answer,
        explanation=data.explanation.strip(),
        topic=data.topic.strip(),
        rule_article=data.rule_article.strip(),
        difficulty=data.difficulty,
        created_at=clock_now(),
    )
    audit_record(actor=actor, action="question_create", obj=question, summary=str(question))
    return question


@transaction.atomic
def question_revise(*, actor: Any, question: Question, data: QuestionData) -> Question:
    """A new version of a question; the old one is retired but kept (papers drawn keep it)."""
    _require(actor, "change_question", None)
    old = _lock(Question, question.pk)
    if not old.is_active:
        raise InvalidTransitionError("该版本已停用，请修改最新版本。", code="retired")
    old.is_active = False
    old.save(update_fields=["is_active"])
    data.code = old.code
    latest = Question.objects.filter(code=old.code).order_by("-version").first()
    assert latest is not None
    return question_create(actor=actor, data=data, version=latest.version + 1)


@transaction.atomic
def question_retire(*, actor: Any, question: Question) -> Question:
    _require(actor, "change_question", None)
    question = _lock(Question, question.pk)
    if not question.is_active:
        raise InvalidTransitionError("该试题已停用。", code="retired")
    question.is_active = False
    question.save(update_fields=["is_active"])
    audit_record(actor=actor, action="question_retire", obj=question, summary=str(question))
    return question


# --- exams and attempts -------------------------------------------------------------------------


@dataclass
class ExamData:
    """An exam: who it is for, how papers are drawn and marked."""

    title: str
    unit: Unit
    rule: Sequence[Mapping[str, Any]]
    pass_mark: int = 60
    time_limit_minutes: int = 30
    max_attempts: int = 2
    shuffle: bool = True
    session: Session | None = None


def _pool(kind: str, topic: str) -> Any:
    pool = Question.objects.filter(is_active=True, kind=kind)
    return pool.filter(topic=topic) if topic else pool


def _clean_rule(rule: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for line in rule:
        kind, topic = str(line.get("kind", "")), str(line.get("topic", "") or "").strip()
        try:
            count = int(line.get("count", 0))
        except (TypeError, ValueError):
            count = 0
        if kind not in QuestionKind.values:
            raise DomainError(
                "抽题规则中的题型无效：%(kind)s。",
                params={"kind": kind},
                code="invalid",
                field="rule",
            )
        if count < 1:
            raise DomainError("抽题规则中每行至少抽1题。", code="invalid", field="rule")
        lines.append({"kind": kind, "topic": topic, "count": count})
    if not lines:
        raise DomainError("请设置抽题规则。", code="required", field="rule")
    # Lines drawing from the same pool must be satisfiable together.
    needed: dict[tuple[str, str], int] = {}
    for line in lines:
        needed[(line["kind"], line["topic"])] = (
            needed.get((line["kind"], line["topic"]), 0) + line["count"]
        )
    for (kind, topic), count in needed.items():
        have = _pool(kind, topic).count()
        if have < count:
            raise DomainError(
                "题库中“%(topic)s”的%(kind)s只有%(have)s道，不足%(count)s道。",
                params={
                    "topic": topic or lazy_text("全部主题"),
                    "kind": QuestionKind(kind).label,
                    "have": have,
                    "count": count,
                },
                code="invalid",
                field="rule",
            )
    return lines


@transaction.atomic
def exam_create(*, actor: Any, data: ExamData) -> Exam:
    _require(actor, "add_exam", data.unit)
    title = _text(data.title, "title", "考试名称")
    if not 0 < data.pass_mark <= 100:
        raise DomainError("及格分须在1至100之间。", code="invalid", field="pass_mark")
    if not 1 <= data.time_limit_minutes <= 600:
        raise DomainError("限时须在1至600分钟之间。", code="invalid", field="time_limit_minutes")
    if not 1 <= data.max_attempts <= 10:
        raise DomainError("可作答次数须在1至10之间。", code="invalid", field="max_attempts")
    if data.session is not None and not data.session.unit.path.startswith(data.unit.path):
        raise DomainError("培训场次不属于该机构。", code="invalid", field="session")
    now = clock_now()
    exam = Exam.objects.create(
        title=title,
        unit=data.unit,
        session=data.session,
        rule=_clean_rule(data.rule),
        pass_mark=data.pass_mark,
        time_limit_minutes=data.time_limit_minutes,
        max_attempts=data.max_attempts,
        shuffle=data.shuffle,
        created_by=actor,
        created_at=now,
    )
    record_event(
        exam,
        action="create",
        action_label="创建",
        actor=actor,
        unit=exam.unit,
        to_status=exam.status,
        at=now,
    )
    return exam


@transaction.atomic
def exam_advance(*, actor: Any, exam: Exam, to: str) -> Exam:
    _require(actor, "change_exam", exam.unit)
    exam = _lock(Exam, exam.pk)
    label = "开放作答" if to == ExamStatus.OPEN else "结束考试"
    before = _move(exam, EXAM_TRANSITIONS, to, label)
    if to == ExamStatus.OPEN:
        _clean_rule(exam.rule)  # the bank may have changed since the exam was set
    exam.save(update_fields=["status"])
    record_event(
        exam,
        action="open" if to == ExamStatus.OPEN else "close",
        action_label=label,
        actor=actor,
        unit=exam.unit,
        from_status=before,
        to_status=exam.status,
    )
    return exam


def may_sit(user: Any, exam: Exam) -> bool:
    """Staff of the exam's subtree; for a session's exam, only that session's roster."""
    unit = getattr(user, "unit", None)
    if unit is None or not unit.path.startswith(exam.unit.path):
        return False
    if exam.session_id is not None:
        return Attendance.objects.filter(session_id=exam.session_id, user=user).exists()
    return True


def _draw(exam: Exam, rng: random.Random) -> list[dict[str, Any]]:
    paper: list[dict[str, Any]] = []
    taken: set[int] = set()
    for line in exam.rule:
        ids = list(
            _pool(line["kind"], line["topic"]).exclude(pk__in=taken).values_list("pk", flat=True)
        )
        if len(ids) < line["count"]:
            raise DomainError("题库题目不足，无法组卷，请联系出题人。", code="bank_short")
        chosen = rng.sample(sorted(ids), line["count"])
        taken.update(chosen)
        paper.extend({"q": pk} for pk in chosen)
    options = dict(Question.objects.filter(pk__in=taken).values_list("pk", "options"))
    if exam.shuffle:
        rng.shuffle(paper)
    for item in paper:
        order = list(range(len(options[item["q"]])))
        if exam.shuffle and len(order) > 2:
            rng.shuffle(order)
        item["order"] = order
    return paper


@transaction.atomic
def attempt_start(*, actor: Any, exam: Exam, seed: int | None = None) -> Attempt:
    """The actor starts (or resumes) their own attempt; a fresh paper is drawn for each attempt."""
    _require(actor, None, None)
    exam = _lock(Exam, exam.pk)
    if exam.status != ExamStatus.OPEN:
        raise InvalidTransitionError(
            "考试当前为“%(status)s”，不能作答。",
            params={"status": choice_label(exam, "status")},
            code="exam_not_open",
        )
    if not may_sit(actor, exam):
        raise PermissionDeniedError("您不在本次考试的考生范围内。", code="not_candidate")
    now = clock_now()
    mine = Attempt.objects.select_for_update().filter(exam=exam, user=actor)
    running = mine.filter(status=AttemptStatus.IN_PROGRESS).first()
    if running is not None:
        if running.deadline_at + timedelta(seconds=conf.submit_grace_seconds()) > now:
            return running
        _lock_attempt(running, answers=running.answers, at=now, actor=None, expired=True)
    # The exam row is locked above, so one candidate's starts are serialised; PostgreSQL refuses
    # FOR UPDATE with an aggregate, so the count is a plain read.
    used = Attempt.objects.filter(exam=exam, user=actor).count()
    if used >= exam.max_attempts:
        raise InvalidTransitionError(
            "本次考试最多可作答%(max_attempts)s次，您已用完。",
            params={"max_attempts": exam.max_attempts},
            code="attempts_exhausted",
        )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    attempt = Attempt.objects.create(
        exam=exam,
        user=actor,
        number=used + 1,
        paper=_draw(exam, rng),
        started_at=now,
        deadline_at=now + timedelta(minutes=exam.time_limit_minutes),
    )
    record_event(
        attempt,
        action="start",
        action_label="开始作答",
        actor=actor,
        unit=actor.unit,
        to_status=attempt.status,
        at=now,
    )
    return attempt


def _mark(attempt: Attempt, answers: Mapping[str, list[int]]) -> tuple[int, Decimal]:
    ids = [item["q"] for item in attempt.paper]
    keys = dict(Question.objects.filter(pk__in=ids).values_list("pk", "answer"))
    correct = sum(1 for pk in ids if sorted(answers.get(str(pk), [])) == sorted(keys.get(pk, [])))
    score = (Decimal(100) * correct / len(ids)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return correct, score


def _clean_answers(attempt: Attempt, answers: Mapping[Any, Any]) -> dict[str, list[int]]:
    sizes = {
        pk: len(opts)
        for pk, opts in Question.objects.filter(
            pk__in=[item["q"] for item in attempt.paper]
        ).values_list("pk", "options")
    }
    out: dict[str, list[int]] = {}
    for key, chosen in answers.items():
        try:
            pk = int(key)
            picks = sorted({int(c) for c in (chosen if isinstance(chosen, list) else [chosen])})
        except (TypeError, ValueError) as exc:
            raise DomainError("答案格式不正确。", code="invalid", field="answers") from exc
        if pk not in sizes:
            raise DomainError("答案中含有不属于本试卷的题目。", code="invalid", field="answers")
        if any(c < 0 or c >= sizes[pk] for c in picks):
            raise DomainError("答案中含有不存在的选项。", code="invalid", field="answers")
        if picks:
            out[str(pk)] = picks
    return out


def _lock_attempt(
    attempt: Attempt, *, answers: dict[str, list[int]], at: datetime, actor: Any, expired: bool
) -> Attempt:
    correct, score = _mark(attempt, answers)
    before = attempt.status
    attempt.answers = answers
    attempt.correct_count = correct
    attempt.score = score
    attempt.passed = score >= attempt.exam.pass_mark
    attempt.status = AttemptStatus.LOCKED
    attempt.submitted_at = at
    attempt.save()
    record_event(
        attempt,
        action="expire" if expired else "submit",
        action_label="超时收卷" if expired else "交卷",
        actor=actor,
        unit=attempt.user.unit,
        from_status=before,
        to_status=attempt.status,
        data={"score": str(score), "passed": attempt.passed, "correct": correct},
        at=at,
    )
    return attempt


@transaction.atomic
def attempt_submit(*, actor: Any, attempt: Attempt, answers: Mapping[Any, Any]) -> Attempt:
    """The candidate hands in their paper: marked at once and locked. Past the time limit (and
    its grace) the answers are refused and the paper is locked as it stood."""
    _require(actor, None, None)
    attempt = _lock(Attempt, attempt.pk)
    if attempt.user_id != actor.pk:
        raise PermissionDeniedError("只能提交本人的试卷。", code="not_own_attempt")
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise InvalidTransitionError("试卷已交，成绩已锁定，不能再修改。", code="locked")
    now = clock_now()
    if now > attempt.deadline_at + timedelta(seconds=conf.submit_grace_seconds()):
        _lock_attempt(attempt, answers={}, at=now, actor=actor, expired=True)
        return attempt
    cleaned = _clean_answers(attempt, answers)
    return _lock_attempt(attempt, answers=cleaned, at=now, actor=actor, expired=False)


def attempts_expire(*, now: datetime) -> int:
    """Lock the papers whose time ran out without being handed in (periodic)."""
    cutoff = now - timedelta(seconds=conf.submit_grace_seconds())
    done = 0
    for pk in Attempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS, deadline_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=AttemptStatus.IN_PROGRESS)
                .first()
            )
            if attempt is not None:
                _lock_attempt(attempt, answers=attempt.answers, at=now, actor=None, expired=True)
                done += 1
    return done


@transaction.atomic
def attempt_correct(*, actor: Any, attempt: Attempt, score: Decimal, reason: str) -> Attempt:
    """The one way a locked result changes: a recorded correction with its reason."""
    _require(actor, "correct_attempt", attempt.user.unit)
    if not reason.strip():
        raise DomainError("更正成绩须说明原因。", code="required", field="reason")
    score = Decimal(score)
    if not Decimal(0) <= score <= Decimal(100):
        raise DomainError("成绩须在0至100之间。", code="invalid", field="score")
    attempt = _lock(Attempt, attempt.pk)
    if attempt.status != AttemptStatus.LOCKED:
        raise InvalidTransitionError("试卷尚未交卷，不能更正成绩。", code="not_locked")
    if attempt.user_id == actor.pk:
        raise PermissionDeniedError("不能更正本人的成绩。", code="own_attempt")
    before = attempt.score
    attempt.score = score.quantize(Decimal("0.1"), ROUND_HALF_UP)
    attempt.passed = attempt.score >= attempt.exam.pass_mark
    attempt.corrected = True
    attempt.save(update_fields=["score", "passed", "corrected"])
    record_event(
        attempt,
        action="correct",
        action_label="更正成绩",
        actor=actor,
        unit=attempt.user.unit,
        from_status=str(before),
        to_status=str(attempt.score),
        reason=reason.strip(),
        data={"from": str(before), "to": str(attempt.score)},
    )
    return attempt


# --- contests -----------------------------------------------------------------------------------


@transaction.atomic
def contest_create(
    *,
    actor: Any,
    unit: Unit,
    title: str,
    mode: str,
    held_on: date,
    rounds: int = 1,
    notes: str = "",
) -> Contest:
    _require(actor, "add_contest", unit)
    title = _text(title, "title", "竞赛名称")
    if mode not in ContestMode.values:
        raise DomainError("请选择竞赛形式。", code="invalid", field="mode")
    if not 1 <= rounds <= 20:
        raise DomainError("轮次须在1至20之间。", code="invalid", field="rounds")
    contest = Contest.objects.create(
        unit=unit,
        title=title,
        mode=mode,
        held_on=held_on,
        rounds=rounds,
        notes=notes.strip(),
        created_by=actor,
    )
    record_event(contest, action="create", action_label="创建", actor=actor, unit=unit)
    return contest


@transaction.atomic
def contest_entry_add(
    *,
    actor: Any,
    contest: Contest,
    name: str,
    members: Sequence[User],
    score: Decimal = Decimal(0),
    award: str = "",
) -> ContestEntry:
    _require(actor, "change_contest", contest.unit)
    name = _text(name, "name", "队名或姓名")
    if not members:
        raise DomainError("请选择参赛人员。", code="required", field="members")
    if contest.mode == ContestMode.INDIVIDUAL and len(members) != 1:
        raise DomainError("个人赛每个参赛者单独登记。", code="invalid", field="members")
    outside = [m for m in members if not m.unit.path.startswith(contest.unit.path)]
    if outside:
        raise DomainError(
            "%(outside)s不属于组织机构。",
            params={"outside": outside[0]},
            code="invalid",
            field="members",
        )
    taken = ContestEntry.objects.filter(contest=contest, members__in=members).exists()
    if taken:
        raise DomainError("有人员已在本竞赛中登记。", code="duplicate", field="members")
    entry = ContestEntry.objects.create(
        contest=contest, name=name, score=Decimal(score), award=award.strip()
    )
    entry.members.set(members)
    record_event(
        contest,
        action="entry",
        action_label="登记参赛",
        actor=actor,
        unit=contest.unit,
        data={"entry": entry.pk, "name": name, "score": str(entry.score), "award": entry.award},
    )
    return entry


@transaction.atomic
def contest_entry_score(
    *, actor: Any, entry: ContestEntry, score: Decimal, award: str = ""
) -> ContestEntry:
    _require(actor, "change_contest", entry.contest.unit)
    entry = _lock(ContestEntry, entry.pk)
    before = (str(entry.score), entry.award)
    entry.score, entry.award = Decimal(score), award.strip()
    entry.save(update_fields=["score", "award"])
    record_event(
        entry.contest,
        action="score",
        action_label="登记成绩",
        actor=actor,
        unit=entry.contest.unit,
        data={"entry": entry.pk, "from": before, "to": (str(entry.score), entry.award)},
    )
    return entry


# --- qualifications -----------------------------------------------------------------------------


@transaction.atomic
def qualification_add(
    *,
    actor: Any,
    user: User,
    kind: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_to: date | None,
    level: str = "",
) -> Qualification:
    _require(actor, "add_qualification", user.unit)
    if kind not in QualificationKind.values:
        raise DomainError("请选择资格类别。", code="invalid", field="kind")
    number = _text(number, "number", "证书编号")
    issuer = _text(issuer, "issuer", "发证机构")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError("有效期至不能早于有效期起。", code="invalid", field="valid_to")
    try:
        with transaction.atomic():
            qualification = Qualification.objects.create(
                user=user,
                kind=kind,
                level=level.strip(),
                number=number,
                issuer=issuer,
                valid_from=valid_from,
                valid_to=valid_to,
                created_at=clock_now(),
            )
    except IntegrityError as exc:
        raise DomainError("该证书编号已登记。", code="duplicate", field="number") from exc
    record_event(
        qualification,
        action="create",
        action_label="登记资格",
        actor=actor,
        unit=user.unit,
        data={"valid_to": valid_to.isoformat() if valid_to else None},
    )
    return qualification


def _training_admins(unit: Unit) -> list[User]:
    from xiaobao.organisation.roles import group_name

    above = [int(seg) for seg in unit.path.strip("/").split("/") if seg]
    return list(
        User.objects.filter(
            unit_id__in=above,
            is_active=True,
            groups__name=group_name(Role.TRAINING_ADMIN),
        ).distinct()
    )


def qualification_remind(*, now: datetime) -> int:
    """Tell holders (and the training admins above them) 60 and 30 days before expiry; a
    qualification is told once per threshold, however often the sweep runs."""
    from django.urls import reverse

    from xiaobao.watch.choices import NotificationKind
    from xiaobao.watch.notify import notify_record

    today = timezone.localdate(now)
    days = sorted(conf.reminder_days())
    written = 0
    due = Qualification.objects.filter(
        valid_to__gte=today, valid_to__lte=today + timedelta(days=max(days))
    ).select_related("user__unit")
    for q in due:
        assert q.valid_to is not None
        left = (q.valid_to - today).days
        threshold = min(d for d in days if left <= d)
        if not q.user.is_active:
            continue
        with transaction.atomic():
            notices = notify_record(
                recipients=[q.user, *_training_admins(q.user.unit)],
                target=q,
                unit=q.user.unit,
                kind=NotificationKind.REMINDER,
                title=f"从业资格将于{threshold}天内到期"[:200],
                body=(
                    f"{q.user}的{q.get_kind_display()}（证书编号{q.number}）"
                    f"将于{q.valid_to:%Y-%m-%d}到期，请及时办理续期并登记。"
                ),
                url=reverse("training:qualifications"),
                dedupe_key=f"training.qualification:{q.pk}:{threshold}",
                # One sweep reminds many holders: bundled per person at the working moment, and
                # no delivery job is queued before then.
                grouped=True,
                now=now,
            )
        written += len(notices)
    return written
