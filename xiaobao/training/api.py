"""REST endpoints of training (`/api/v1/training/…`): parse, call one service, return the record.

Reads are branch-scoped through the selectors (a record outside the scope is a 404, exactly like
one that does not exist); writes go through the services, which check rights and transitions
again (403, 409; invalid input 400/422 naming the field). A paper in progress is returned
without its answer key; answers and explanations appear only once the paper is locked. Signing
in and sitting an exam act for the caller only: a request naming another person is refused.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.views import ReadPermission
from xiaobao.lib.errors import PermissionDeniedError
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import get_visible_or_404, unit_in_scope, visible_to
from xiaobao.training import selectors, services
from xiaobao.training.choices import (
    AttendanceStatus,
    ContestMode,
    ExamStatus,
    QualificationKind,
    QuestionKind,
    SessionMode,
    SessionStatus,
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
)

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
LIST_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (400, 401, 403, 404)}
TAG = ["培训"]


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs
    )


def _user_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


class Pages(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"
    ordering = ("-id",)


# --- serializers ----------------------------------------------------------------------------------


class CourseOut(serializers.ModelSerializer):
    topics = serializers.ListField(child=serializers.CharField())
    audience_roles = serializers.ListField(child=serializers.CharField())
    audience_positions = serializers.ListField(child=serializers.CharField())
    audience_categories = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "topics",
            "rules",
            "mandatory",
            "audience_roles",
            "audience_positions",
            "audience_categories",
            "new_hire_days",
            "hours",
            "is_active",
        ]


class CourseIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=120)
    hours = serializers.DecimalField(max_digits=4, decimal_places=1)
    topics = serializers.ListField(child=serializers.CharField(max_length=40), default=list)
    rules = serializers.CharField(required=False, default="", allow_blank=True)
    mandatory = serializers.BooleanField(default=False)
    audience_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), default=list
    )
    audience_positions = serializers.ListField(
        child=serializers.CharField(max_length=50), default=list
    )
    audience_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=StaffCategory.choices), default=list
    )
    new_hire_days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, allow_null=True, default=None
    )


class SessionOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    course = serializers.SlugRelatedField(slug_field="code", read_only=True)
    trainer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    roster_size = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "plan",
            "unit",
            "title",
            "trainer_kind",
            "trainer",
            "trainer_name",
            "mode",
            "starts_at",
            "ends_at",
            "hours",
            "place",
            "materials",
            "status",
            "makeup_of",
            "roster_size",
        ]

    def get_roster_size(self, obj: Session) -> int:
        return obj.attendances.count()


class SessionIn(serializers.Serializer):
    course = serializers.SlugRelatedField(
        slug_field="code", queryset=Course.objects.filter(is_active=True)
    )
    unit = _unit_field()
    title = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True, default=None
    )
    trainer_kind = serializers.ChoiceField(
        choices=TrainerKind.choices, default=TrainerKind.INTERNAL
    )
    trainer_name = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )
    mode = serializers.ChoiceField(choices=SessionMode.choices, default=SessionMode.ONSITE)
    place = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    materials = serializers.CharField(required=False, default="", allow_blank=True)
    makeup_of = serializers.PrimaryKeyRelatedField(
        queryset=Session.objects.all(), required=False, allow_null=True, default=None
    )
    roster = _user_field(many=True, required=False, default=list)
    enrol_audience = serializers.BooleanField(default=False)


class SessionAdvanceIn(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[SessionStatus.SIGNING, SessionStatus.CLOSED, SessionStatus.CANCELLED]
    )
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class SignInIn(serializers.Serializer):
    code = serializers.CharField(max_length=8, required=False, default="", allow_blank=True)
    user = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="只能为本人签到：填写时必须是本人用户名，否则拒绝",
    )


class EnrolIn(serializers.Serializer):
    users = _user_field(many=True)


class AttendanceOut(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    unit = serializers.SerializerMethodField()

    class Meta:
        model = Attendance
        fields = [
            "id",
            "session",
            "user",
            "unit",
            "status",
            "method",
            "signed_in_at",
            "needs_makeup",
            "note",
        ]

    def get_unit(self, obj: Attendance) -> str:
        return obj.user.unit.code


class MarkIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in AttendanceStatus.choices if c[0] != AttendanceStatus.ENROLLED]
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class QuestionOut(serializers.ModelSerializer):
    options = serializers.ListField(child=serializers.CharField())
    answer = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "code",
            "version",
            "kind",
            "stem",
            "options",
            "answer",
            "explanation",
            "topic",
            "rule_article",
            "difficulty",
            "is_active",
        ]

    def get_answer(self, obj: Question) -> list[int] | None:
        """Only the bank's editors see the key."""
        request = self.context.get("request")
        if request is not None and request.user.has_perm("training.change_question"):
            return list(obj.answer)
        return None


class QuestionIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    stem = serializers.CharField(max_length=2000)
    options = serializers.ListField(child=serializers.CharField(max_length=500), default=list)
    answer = serializers.ListField(child=serializers.IntegerField(min_value=0))
    topic = serializers.CharField(max_length=40)
    explanation = serializers.CharField(required=False, default="", allow_blank=True)
    rule_article = serializers.CharField(
        max_length=120, required=False, default="", allow_blank=True
    )
    difficulty = serializers.IntegerField(min_value=1, max_value=5, default=2)


class RuleLine(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    topic = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    count = serializers.IntegerField(min_value=1, max_value=200)


class ExamOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule = RuleLine(many=True)

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            "unit",
            "session",
            "rule",
            "pass_mark",
            "time_limit_minutes",
            "max_attempts",
            "shuffle",
            "status",
        ]


class ExamIn(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    unit = _unit_field()
    session = serializers.PrimaryKeyRelatedField(
        queryset=Session.objects.all(), required=False, allow_null=True, default=None
    )
    rule = RuleLine(many=True)
    pass_mark = serializers.IntegerField(min_value=1, max_value=100, default=60)
    time_limit_minutes = serializers.IntegerField(min_value=1, max_value=600, default=30)
    max_attempts = serializers.IntegerField(min_value=1, max_value=10, default=2)
    shuffle = serializers.BooleanField(default=True)


class ExamAdvanceIn(serializers.Serializer):
    to = serializers.ChoiceField(choices=[ExamStatus.OPEN, ExamStatus.CLOSED])


class PaperOption(serializers.Serializer):
    index = serializers.IntegerField(help_text="提交答案时使用的选项编号")
    text = serializers.CharField()


class PaperQuestion(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    stem = serializers.CharField()
    options = PaperOption(many=True)
    chosen = serializers.ListField(child=serializers.IntegerField())
    answer = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="交卷后才返回"
    )
    correct = serializers.BooleanField(allow_null=True)
    explanation = serializers.CharField(allow_null=True)


class AttemptOut(serializers.ModelSerializer):
    exam = serializers.PrimaryKeyRelatedField(read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    questions = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "exam",
            "user",
            "number",
            "status",
            "started_at",
            "deadline_at",
            "submitted_at",
            "duration_seconds",
            "correct_count",
            "score",
            "passed",
            "corrected",
            "questions",
        ]

    def get_questions(self, obj: Attempt) -> list[dict[str, Any]]:
        return paper(obj)


def paper(attempt: Attempt) -> list[dict[str, Any]]:
    """The paper as drawn; the key and explanations only once it is locked."""
    locked = attempt.status == "locked"
    questions = Question.objects.in_bulk([item["q"] for item in attempt.paper])
    out = []
    for item in attempt.paper:
        q = questions[item["q"]]
        chosen = attempt.answers.get(str(q.pk), [])
        out.append(
            {
                "id": q.pk,
                "kind": q.kind,
                "stem": q.stem,
                "options": [{"index": i, "text": q.options[i]} for i in item["order"]],
                "chosen": chosen,
                "answer": list(q.answer) if locked else None,
                "correct": (sorted(chosen) == sorted(q.answer)) if locked else None,
                "explanation": q.explanation if locked else None,
            }
        )
    return out


class PaperSubmitIn(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=0)),
        help_text="题目编号 → 所选选项编号（index）",
    )


class CorrectIn(serializers.Serializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, max_value=100)
    reason = serializers.CharField(max_length=2000)


class EntryOut(serializers.ModelSerializer):
    members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = ContestEntry
        fields = ["id", "name", "members", "score", "award"]


class ContestOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    entries = EntryOut(many=True, read_only=True)

    class Meta:
        model = Contest
        fields = ["id", "title", "unit", "mode", "held_on", "rounds", "notes", "entries"]


class ContestIn(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    unit = _unit_field()
    mode = serializers.ChoiceField(choices=ContestMode.choices)
    held_on = serializers.DateField()
    rounds = serializers.IntegerField(min_value=1, max_value=20, default=1)
    notes = serializers.CharField(required=False, default="", allow_blank=True)


class EntryIn(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    members = _user_field(many=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=1, default=0)
    award = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)


class QualificationOut(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Qualification
        fields = ["id", "user", "kind", "level", "number", "issuer", "valid_from", "valid_to"]


class QualificationIn(serializers.Serializer):
    user = _user_field()
    kind = serializers.ChoiceField(choices=QualificationKind.choices)
    level = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    number = serializers.CharField(max_length=60)
    issuer = serializers.CharField(max_length=100)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class CoverageRowOut(serializers.Serializer):
    category = serializers.CharField()
    headcount = serializers.IntegerField()
    trained = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class CoverageOut(serializers.Serializer):
    unit = serializers.CharField()
    first = serializers.DateField()
    last = serializers.DateField()
    rows = CoverageRowOut(many=True)
    not_yet_trained = serializers.ListField(child=serializers.CharField())
    sellers_without_qualification = serializers.ListField(child=serializers.CharField())
    suggested_topics = serializers.ListField(child=serializers.CharField())


# --- viewsets -------------------------------------------------------------------------------------


def _scoped(summary: str, out: Any) -> Any:
    return extend_schema_view(
        list=extend_schema(
            summary=summary, responses={200: out(many=True), **LIST_ERRORS}, tags=TAG
        ),
        retrieve=extend_schema(
            summary=f"{summary}详情", responses={200: out, **READ_ERRORS}, tags=TAG
        ),
    )


class _Base(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            self.get_serializer_class()(page, many=True, context={"request": request}).data
        )

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(
            self.get_serializer_class()(self.get_object(), context={"request": request}).data
        )


@_scoped("培训课程（全行共用）", CourseOut)
class CourseViewSet(_Base):
    read_permission = "training.view_course"
    serializer_class = CourseOut

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.all()

    @extend_schema(
        summary="新增课程", request=CourseIn, responses={201: CourseOut, **ERRORS}, tags=TAG
    )
    def create(self, request: Request) -> Response:
        course = services.course_create(actor=request.user, **_valid(CourseIn, request))
        return Response(CourseOut(course).data, status=201)


@_scoped("培训场次（本机构举办或本人在名单内）", SessionOut)
class SessionViewSet(_Base):
    read_permission = "training.view_session"
    serializer_class = SessionOut

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.sessions_for(self.request.user)

    def _own(self, pk: Any) -> Session:
        return get_visible_or_404(self.request.user, Session.objects.all(), pk=pk)

    @extend_schema(
        summary="发布培训场次（含名单）",
        request=SessionIn,
        responses={201: SessionOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(SessionIn, request))
        v["roster"] = list(v["roster"])
        session = services.session_create(actor=request.user, data=services.SessionData(**v))
        return Response(SessionOut(session).data, status=201)

    @extend_schema(
        summary="开始签到、结束培训或取消",
        request=SessionAdvanceIn,
        responses={200: SessionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def advance(self, request: Request, pk: Any = None) -> Response:
        v = _valid(SessionAdvanceIn, request)
        session = services.session_advance(
            actor=request.user, session=self._own(pk), to=v["to"], reason=v["reason"]
        )
        return Response(SessionOut(session).data)

    @extend_schema(
        summary="本人签到（名单内直接签到，或凭签到码）",
        request=SignInIn,
        responses={200: AttendanceOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="sign-in", pagination_class=None)
    def sign_in(self, request: Request, pk: Any = None) -> Response:
        v = _valid(SignInIn, request)
        if v["user"] and v["user"] != request.user.username:
            raise PermissionDeniedError("只能为本人签到。", code="not_self")
        session = Session.objects.filter(pk=pk).first()
        if session is None:
            raise NotFound
        if not v["code"] and not selectors.sessions_for(request.user).filter(pk=pk).exists():
            raise NotFound
        attendance = services.attendance_sign_in(
            actor=request.user, session=session, code=v["code"]
        )
        return Response(AttendanceOut(attendance).data)

    @extend_schema(
        summary="增加名单人员", request=EnrolIn, responses={200: SessionOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def enrol(self, request: Request, pk: Any = None) -> Response:
        session = self._own(pk)
        services.session_enrol(
            actor=request.user, session=session, users=list(_valid(EnrolIn, request)["users"])
        )
        return Response(SessionOut(session).data)


@_scoped("出勤记录（本机构员工或本机构举办的场次）", AttendanceOut)
class AttendanceViewSet(_Base):
    read_permission = "training.view_attendance"
    serializer_class = AttendanceOut

    def get_queryset(self) -> QuerySet[Attendance]:
        qs = visible_to(self.request.user, Attendance.objects.select_related("user__unit"))
        session = self.request.query_params.get("session", "")
        return qs.filter(session_id=int(session)) if session.isdigit() else qs

    @extend_schema(
        summary="讲师登记出勤（请假、缺席，或代为登记出席须说明原因）",
        request=MarkIn,
        responses={200: AttendanceOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def mark(self, request: Request, pk: Any = None) -> Response:
        attendance = get_visible_or_404(request.user, Attendance.objects.all(), pk=pk)
        v = _valid(MarkIn, request)
        attendance = services.attendance_mark(actor=request.user, attendance=attendance, **v)
        return Response(AttendanceOut(attendance).data)


@_scoped("题库（全行共用；答案仅对出题人返回）", QuestionOut)
class QuestionViewSet(_Base):
    read_permission = "training.view_question"
    serializer_class = QuestionOut

    def get_queryset(self) -> QuerySet[Question]:
        qs = Question.objects.all()
        return qs if self.request.query_params.get("all") else qs.filter(is_active=True)

    @extend_schema(
        summary="新增试题", request=QuestionIn, responses={201: QuestionOut, **ERRORS}, tags=TAG
    )
    def create(self, request: Request) -> Response:
        q = services.question_create(
            actor=request.user, data=services.QuestionData(**_valid(QuestionIn, request))
        )
        return Response(QuestionOut(q, context={"request": request}).data, status=201)

    @extend_schema(
        summary="修订试题（新版本，旧版本停用但保留）",
        request=QuestionIn,
        responses={201: QuestionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def revise(self, request: Request, pk: Any = None) -> Response:
        q = services.question_revise(
            actor=request.user,
            question=self.get_object(),
            data=services.QuestionData(**_valid(QuestionIn, request)),
        )
        return Response(QuestionOut(q, context={"request": request}).data, status=201)


@_scoped("考试（本机构组织的，及上级组织供本人参加的）", ExamOut)
class ExamViewSet(_Base):
    read_permission = "training.view_exam"
    serializer_class = ExamOut

    def get_queryset(self) -> QuerySet[Exam]:
        return selectors.exams_for(self.request.user)

    @extend_schema(
        summary="组织考试（按规则抽题）",
        request=ExamIn,
        responses={201: ExamOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(ExamIn, request))
        v["rule"] = [dict(line) for line in v["rule"]]
        exam = services.exam_create(actor=request.user, data=services.ExamData(**v))
        return Response(ExamOut(exam).data, status=201)

    @extend_schema(
        summary="开放作答或结束考试",
        request=ExamAdvanceIn,
        responses={200: ExamOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def advance(self, request: Request, pk: Any = None) -> Response:
        exam = get_visible_or_404(request.user, Exam.objects.all(), pk=pk)
        exam = services.exam_advance(
            actor=request.user, exam=exam, to=_valid(ExamAdvanceIn, request)["to"]
        )
        return Response(ExamOut(exam).data)

    @extend_schema(
        summary="本人开始作答（返回不含答案的试卷）",
        request=None,
        responses={201: AttemptOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def start(self, request: Request, pk: Any = None) -> Response:
        attempt = services.attempt_start(actor=request.user, exam=self.get_object())
        return Response(AttemptOut(attempt).data, status=201)


@_scoped("作答记录（本人的，及本机构员工已交卷的）", AttemptOut)
class AttemptViewSet(_Base):
    read_permission = "training.view_attempt"
    serializer_class = AttemptOut

    def get_queryset(self) -> QuerySet[Attempt]:
        user = self.request.user
        qs = selectors.attempts_for(user)
        # Someone else's paper in progress is the candidate's alone.
        from django.db.models import Q

        return qs.filter(Q(user=user) | Q(status="locked"))

    @extend_schema(
        summary="本人交卷（自动评分，成绩锁定）",
        request=PaperSubmitIn,
        responses={200: AttemptOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def submit(self, request: Request, pk: Any = None) -> Response:
        attempt = services.attempt_submit(
            actor=request.user,
            attempt=self.get_object(),
            answers=_valid(PaperSubmitIn, request)["answers"],
        )
        return Response(AttemptOut(attempt).data)

    @extend_schema(
        summary="更正已锁定的成绩（须说明原因，留痕）",
        request=CorrectIn,
        responses={200: AttemptOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def correct(self, request: Request, pk: Any = None) -> Response:
        v = _valid(CorrectIn, request)
        attempt = services.attempt_correct(actor=request.user, attempt=self.get_object(), **v)
        return Response(AttemptOut(attempt).data)


@_scoped("知识竞赛", ContestOut)
class ContestViewSet(_Base):
    read_permission = "training.view_contest"
    serializer_class = ContestOut

    def get_queryset(self) -> QuerySet[Contest]:
        return selectors.contests_for(self.request.user).prefetch_related("entries__members")

    @extend_schema(
        summary="新建知识竞赛", request=ContestIn, responses={201: ContestOut, **ERRORS}, tags=TAG
    )
    def create(self, request: Request) -> Response:
        contest = services.contest_create(actor=request.user, **_valid(ContestIn, request))
        return Response(ContestOut(contest).data, status=201)

    @extend_schema(
        summary="登记参赛队伍或个人（成绩、奖项）",
        request=EntryIn,
        responses={201: EntryOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def entries(self, request: Request, pk: Any = None) -> Response:
        v = dict(_valid(EntryIn, request))
        v["members"] = list(v["members"])
        entry = services.contest_entry_add(actor=request.user, contest=self.get_object(), **v)
        return Response(EntryOut(entry).data, status=201)


@_scoped("从业资格（本机构员工的，及本人的）", QualificationOut)
class QualificationViewSet(_Base):
    read_permission = "training.view_qualification"
    serializer_class = QualificationOut

    def get_queryset(self) -> QuerySet[Qualification]:
        qs = selectors.qualifications_for(self.request.user)
        days = self.request.query_params.get("expiring_within", "")
        if days.isdigit():
            today = timezone.localdate()
            from datetime import timedelta

            qs = qs.filter(valid_to__gte=today, valid_to__lte=today + timedelta(days=int(days)))
        return qs

    @extend_schema(
        summary="登记从业资格",
        request=QualificationIn,
        responses={201: QualificationOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        q = services.qualification_add(actor=request.user, **_valid(QualificationIn, request))
        return Response(QualificationOut(q).data, status=201)


class CoverageView(APIView):
    """Coverage by staff category for a unit subtree, the staff not yet trained, sellers without
    a valid qualification and the suggested course topics."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "training.view_session"

    @extend_schema(
        summary="培训覆盖率（按人员类别）、尚未参训人员、无有效资格销售人员、建议培训主题",
        parameters=[
            OpenApiParameter("unit", str, description="机构代码；默认为本人机构"),
            OpenApiParameter("first", str, description="起始日期 YYYY-MM-DD；默认当年1月1日"),
            OpenApiParameter("last", str, description="截止日期 YYYY-MM-DD；默认今天"),
        ],
        responses={200: CoverageOut, **LIST_ERRORS},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        from datetime import date

        from rest_framework.exceptions import ValidationError

        unit = request.user.unit
        code = request.query_params.get("unit")
        if code:
            unit = Unit.objects.filter(code=code).first()
            if unit is None or not unit_in_scope(request.user, unit):
                raise NotFound
        today = timezone.localdate()
        try:
            first = date.fromisoformat(request.query_params.get("first") or f"{today.year}-01-01")
            last = date.fromisoformat(request.query_params.get("last") or today.isoformat())
        except ValueError as exc:
            raise ValidationError({"first": ["日期格式应为 YYYY-MM-DD。"]}) from exc
        if first > last:
            raise ValidationError({"last": ["截止日期不能早于起始日期。"]})
        return Response(
            {
                "unit": unit.code,
                "first": first,
                "last": last,
                "rows": [
                    {
                        "category": r.category or "uncategorised",
                        "headcount": r.headcount,
                        "trained": r.trained,
                        # A string like every other decimal of the API (as the schema says).
                        "rate": None if r.rate is None else str(r.rate),
                    }
                    for r in selectors.coverage(unit, first, last)
                ],
                "not_yet_trained": [
                    u.username for u in selectors.not_yet_trained(unit, first, last)
                ],
                "sellers_without_qualification": [
                    u.username for u in selectors.unqualified_sellers(unit, last)
                ],
                "suggested_topics": [name for name, _ in selectors.suggested_topics(unit, last)],
            }
        )
