from django.db import models
from django.utils.translation import gettext_lazy as _


class LadderStep(models.IntegerChoices):
    """The escalation ladder, bottom to top; a rule names the highest step it reaches."""

    HANDLER = 1, _("处理人")
    UNIT_HEAD = 2, _("机构负责人")
    BRANCH_OFFICER = 3, _("上级机构消保专员")
    HQ_OFFICE = 4, _("总行消保办")


class FiringOutcome(models.TextChoices):
    NOTIFIED = "notified", _("已发送提醒")
    # Several thresholds passed in one check (e.g. a case first seen late): only the highest one
    # is sent, so nobody gets three warnings for the same case at once.
    SUPERSEDED = "superseded", _("被更高阈值取代")
    # The deadline moved (a pause ended) and the threshold was already behind under the new
    # deadline at that moment, having fired for the old one: re-sending it would say nothing new.
    CARRIED_OVER = "carried_over", _("沿用原期限的提醒")


class NotificationKind(models.TextChoices):
    DEADLINE = "deadline", _("期限提醒")
    MAJOR = "major", _("重大投诉上报")
    TRANSFER = "transfer", _("投诉移交")
    # Notices about records other than complaints (tasks, reviews, sessions …).
    REMINDER = "reminder", _("到期提醒")
    ESCALATION = "escalation", _("逾期督办")
    NOTICE = "notice", _("工作通知")
    # i25: daily reminders of overdue cases, assignment, extensions awaiting approval, alerts.
    OVERDUE = "overdue", _("逾期催办")
    ASSIGNED = "assigned", _("分派通知")
    EXTENSION = "extension", _("延期待审批")
    ALERT = "alert", _("风险预警")
