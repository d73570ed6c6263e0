"""Code lists and the transition tables of governance records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingBody(models.TextChoices):
    BOARD_COMMITTEE = "board_committee", _("董事会消费者权益保护委员会")
    LEADING_GROUP = "leading_group", _("高级管理层消保工作领导小组")
    REGULAR = "regular", _("消保工作例会")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("纪要起草中")
    CONFIRMED = "confirmed", _("纪要已确认")


class RuleStatus(models.TextChoices):
    IN_FORCE = "in_force", _("现行有效")
    SUPERSEDED = "superseded", _("已被新版本替代")
    REPEALED = "repealed", _("已废止")


# action -> (allowed from, to)
MEETING_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "confirm": ((MeetingStatus.DRAFT,), MeetingStatus.CONFIRMED),
}
RULE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "revise": ((RuleStatus.IN_FORCE,), RuleStatus.SUPERSEDED),
    "repeal": ((RuleStatus.IN_FORCE,), RuleStatus.REPEALED),
    "review": ((RuleStatus.IN_FORCE,), RuleStatus.IN_FORCE),
}
