"""Statuses, kinds and the transition tables of training sessions, exams and attempts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    RETURNED = "returned", _("已退回")


PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.SUBMITTED}),
    PlanStatus.SUBMITTED: frozenset({PlanStatus.APPROVED, PlanStatus.RETURNED}),
    PlanStatus.RETURNED: frozenset({PlanStatus.SUBMITTED}),
    PlanStatus.APPROVED: frozenset(),
}


class TrainerKind(models.TextChoices):
    INTERNAL = "internal", _("内部讲师")
    EXTERNAL = "external", _("外部讲师")


class SessionMode(models.TextChoices):
    ONSITE = "onsite", _("现场")
    ONLINE = "online", _("线上")
    HYBRID = "hybrid", _("线上线下结合")


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("已发布")
    SIGNING = "signing", _("签到中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


# The one table of allowed session transitions.
SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.PLANNED: frozenset({SessionStatus.SIGNING, SessionStatus.CANCELLED}),
    SessionStatus.SIGNING: frozenset({SessionStatus.CLOSED}),
    SessionStatus.CLOSED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}


class AttendanceStatus(models.TextChoices):
    ENROLLED = "enrolled", _("待签到")
    PRESENT = "present", _("出席")
    LATE = "late", _("迟到")
    ABSENT = "absent", _("缺席")
    EXCUSED = "excused", _("请假")


# Attendance that counts as trained (人次 and coverage).
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE})


class SignInMethod(models.TextChoices):
    BROWSER = "browser", _("系统内签到")
    CODE = "code", _("签到码/二维码")
    TRAINER = "trainer", _("讲师登记")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "true_false", _("判断题")


class ExamStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("开放作答")
    CLOSED = "closed", _("已结束")


EXAM_TRANSITIONS: dict[str, frozenset[str]] = {
    ExamStatus.DRAFT: frozenset({ExamStatus.OPEN}),
    ExamStatus.OPEN: frozenset({ExamStatus.CLOSED}),
    ExamStatus.CLOSED: frozenset(),
}


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("作答中")
    LOCKED = "locked", _("已交卷（成绩锁定）")


class ContestMode(models.TextChoices):
    TEAM = "team", _("团体赛")
    INDIVIDUAL = "individual", _("个人赛")


class QualificationKind(models.TextChoices):
    WEALTH_MANAGER = "wealth_manager", _("理财经理资格")
    FUND = "fund", _("基金从业资格")
    INSURANCE_SALES = "insurance_sales", _("保险销售资质")
    SECURITIES = "securities", _("证券从业资格")
    AFP = "afp", _("AFP金融理财师")
    CFP = "cfp", _("CFP国际金融理财师")
    OTHER = "other", _("其他")
