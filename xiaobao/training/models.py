"""Staff training: courses, annual plans, sessions and attendance, the question bank, exams and
attempts, knowledge contests and sellers' qualifications."""

from __future__ import annotations

import secrets
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.models import User
from xiaobao.training.choices import (
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

USER = settings.AUTH_USER_MODEL


class Course(models.Model):
    """One course of the shared catalogue: topics, the rules it teaches, its audience and hours."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("课程编号"), max_length=32, unique=True)
    title = models.CharField(_("课程名称"), max_length=120)
    topics = models.JSONField(_("主题"), default=list, blank=True)
    rules = models.TextField(_("讲授的制度依据"), blank=True)
    mandatory = models.BooleanField(_("必修"), default=False)
    # Audience rule: any listed role, position or category; or hired within `new_hire_days`.
    audience_roles = models.JSONField(_("适用角色"), default=list, blank=True)
    audience_positions = models.JSONField(_("适用岗位"), default=list, blank=True)
    audience_categories = models.JSONField(_("适用人员类别"), default=list, blank=True)
    new_hire_days = models.PositiveSmallIntegerField(_("新员工入职天数内"), null=True, blank=True)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TrainingPlan(models.Model):
    """A unit's annual training plan, approved like the work plan."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("计划名称"), max_length=120)
    notes = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        USER,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度培训计划")
        verbose_name_plural = _("年度培训计划")
        ordering = ["-year", "unit__path"]
        permissions = [("approve_trainingplan", _("审批年度培训计划"))]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="training_plan_unit_year")
        ]

    def __str__(self) -> str:
        return self.title


def new_sign_in_code() -> str:
    """Eight characters a person can type from a screen (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Session(models.Model):
    """One training session held by a unit, with its roster."""

    scope_unit_field: ClassVar[str] = "unit"

    course = models.ForeignKey(
        Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="sessions"
    )
    plan = models.ForeignKey(
        TrainingPlan,
        verbose_name=_("年度培训计划"),
        on_delete=models.PROTECT,
        related_name="sessions",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("举办机构"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("培训名称"), max_length=120)
    trainer_kind = models.CharField(
        _("讲师类型"), max_length=10, choices=TrainerKind.choices, default=TrainerKind.INTERNAL
    )
    trainer = models.ForeignKey(
        USER,
        verbose_name=_("组织人/讲师"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    trainer_name = models.CharField(_("讲师姓名"), max_length=60, blank=True)
    mode = models.CharField(
        _("形式"), max_length=10, choices=SessionMode.choices, default=SessionMode.ONSITE
    )
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    materials = models.TextField(_("培训材料"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    sign_in_code = models.CharField(
        _("签到码"), max_length=8, unique=True, default=new_sign_in_code, editable=False
    )
    makeup_of = models.ForeignKey(
        "self",
        verbose_name=_("补训对象场次"),
        on_delete=models.PROTECT,
        related_name="makeups",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")
        ordering = ["-starts_at", "-id"]
        permissions = [("run_session", _("组织培训并登记出勤"))]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """One person on a session's roster and whether, when and how they signed in."""

    # The staff member's unit and the holding unit both see the row.
    scope_unit_fields: ClassVar[tuple[str, ...]] = ("user__unit", "session__unit")
    scope_unit_field: ClassVar[str] = "user__unit"

    session = models.ForeignKey(
        Session, verbose_name=_("培训场次"), on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(
        USER, verbose_name=_("员工"), on_delete=models.PROTECT, related_name="training_attendances"
    )
    status = models.CharField(
        _("出勤"),
        max_length=10,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.ENROLLED,
    )
    method = models.CharField(
        _("签到方式"), max_length=10, choices=SignInMethod.choices, blank=True
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    needs_makeup = models.BooleanField(_("需补训"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("出勤记录")
        verbose_name_plural = _("出勤记录")
        ordering = ["session", "user__unit__path", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.user}"


class Question(models.Model):
    """One version of a question in the shared bank; a revision is a new row, the old one retired."""

    scope_unit_field: ClassVar[None] = None

    code = models.CharField(_("题号"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    kind = models.CharField(_("题型"), max_length=12, choices=QuestionKind.choices)
    stem = models.TextField(_("题干"))
    options = models.JSONField(_("选项"), default=list)
    # Indices into `options`; never serialised to a candidate before submission.
    answer = models.JSONField(_("答案"), default=list)
    explanation = models.TextField(_("解析"), blank=True)
    topic = models.CharField(_("主题"), max_length=40)
    rule_article = models.CharField(_("制度条款"), max_length=120, blank=True)
    difficulty = models.PositiveSmallIntegerField(_("难度"), default=2)
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="question_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Exam(models.Model):
    """An exam for a unit's subtree, drawn per candidate by rule from the active bank."""

    scope_unit_field: ClassVar[str] = "unit"

    title = models.CharField(_("考试名称"), max_length=120)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("组织机构"), on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("培训场次"),
        on_delete=models.PROTECT,
        related_name="exams",
        null=True,
        blank=True,
    )
    # [{"kind": "single", "topic": "" (any), "count": 5}, …]
    rule = models.JSONField(_("抽题规则"), default=list)
    pass_mark = models.PositiveSmallIntegerField(_("及格分"), default=60)
    time_limit_minutes = models.PositiveSmallIntegerField(_("限时（分钟）"), default=30)
    max_attempts = models.PositiveSmallIntegerField(_("可作答次数"), default=2)
    shuffle = models.BooleanField(_("打乱题目和选项顺序"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExamStatus.choices, default=ExamStatus.DRAFT
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def question_count(self) -> int:
        return sum(int(line.get("count", 0)) for line in self.rule)


class Attempt(models.Model):
    """One candidate's sitting of an exam: the drawn paper, the answers and the locked result."""

    scope_unit_field: ClassVar[str] = "user__unit"

    exam = models.ForeignKey(
        Exam, verbose_name=_("考试"), on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        USER, verbose_name=_("考生"), on_delete=models.PROTECT, related_name="training_attempts"
    )
    number = models.PositiveSmallIntegerField(_("第几次作答"))
    # [{"q": question pk, "order": [option indices as shown]}, …]
    paper = models.JSONField(_("试卷"), default=list)
    # {"<question pk>": [original option indices chosen]}
    answers = models.JSONField(_("作答"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("开始时间"))
    deadline_at = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    correct_count = models.PositiveSmallIntegerField(_("答对题数"), default=0)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("及格"), null=True, blank=True)
    corrected = models.BooleanField(_("经更正"), default=False)

    class Meta:
        verbose_name = _("作答记录")
        verbose_name_plural = _("作答记录")
        ordering = ["-started_at", "-id"]
        permissions = [("correct_attempt", _("更正已锁定的成绩"))]
        constraints = [
            models.UniqueConstraint(fields=["exam", "user", "number"], name="attempt_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.exam} · {self.user} #{self.number}"

    @property
    def duration_seconds(self) -> int | None:
        if self.submitted_at is None:
            return None
        return int((self.submitted_at - self.started_at).total_seconds())


class Contest(models.Model):
    """A knowledge contest: counted as a contest, never as training hours."""

    scope_unit_field: ClassVar[str] = "unit"

    title = models.CharField(_("竞赛名称"), max_length=120)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("组织机构"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("形式"), max_length=12, choices=ContestMode.choices)
    held_on = models.DateField(_("举办日期"), db_index=True)
    rounds = models.PositiveSmallIntegerField(_("轮次"), default=1)
    notes = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("知识竞赛")
        verbose_name_plural = _("知识竞赛")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class ContestEntry(models.Model):
    """A team or an individual in a contest, with its members, score and award."""

    scope_unit_field: ClassVar[str] = "contest__unit"

    contest = models.ForeignKey(
        Contest, verbose_name=_("知识竞赛"), on_delete=models.CASCADE, related_name="entries"
    )
    name = models.CharField(_("队名/姓名"), max_length=80)
    members = models.ManyToManyField(User, verbose_name=_("参赛人员"), related_name="+")
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=1, default=0)
    award = models.CharField(_("奖项"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("参赛队伍/个人")
        verbose_name_plural = _("参赛队伍/个人")
        ordering = ["contest", "-score", "name"]

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    """A staff member's qualification (理财经理, 基金从业, 保险销售资质 …) and its validity."""

    scope_unit_field: ClassVar[str] = "user__unit"

    user = models.ForeignKey(
        USER, verbose_name=_("持证人"), on_delete=models.PROTECT, related_name="qualifications"
    )
    kind = models.CharField(_("资格类别"), max_length=20, choices=QualificationKind.choices)
    level = models.CharField(_("等级"), max_length=20, blank=True)
    number = models.CharField(_("证书编号"), max_length=60)
    issuer = models.CharField(_("发证机构"), max_length=100)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("从业资格")
        verbose_name_plural = _("从业资格")
        ordering = ["valid_to", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="qualification_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)
