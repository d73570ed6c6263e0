"""Reads of governance records, always through the user's branch scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from xiaobao.governance.choices import RuleStatus
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.organisation.scope import visible_to


def meetings(user: Any) -> QuerySet[Meeting]:
    return visible_to(user, Meeting.objects.select_related("unit")).order_by("-held_on", "-id")


def decisions(meeting: Meeting) -> QuerySet[MeetingDecision]:
    return meeting.decisions.select_related("task").order_by("number")


def rules(user: Any, *, current_only: bool = False) -> QuerySet[InternalRule]:
    qs = visible_to(user, InternalRule.objects.select_related("unit", "owner_department"))
    if current_only:
        qs = qs.filter(status=RuleStatus.IN_FORCE)
    return qs.order_by("unit__path", "title", "-effective_on", "-id")


def rules_review_overdue(user: Any, *, today: date) -> QuerySet[InternalRule]:
    """Rules in force whose review date has passed (flagged in the register)."""
    return rules(user, current_only=True).filter(next_review_on__lt=today)


def versions(rule: InternalRule) -> list[InternalRule]:
    """Every version of a rule, newest first (walks the previous/next links)."""
    newest = rule
    while True:
        following = InternalRule.objects.filter(previous=newest).first()
        if following is None:
            break
        newest = following
    chain = [newest]
    while chain[-1].previous_id:
        chain.append(InternalRule.objects.get(pk=chain[-1].previous_id))
    return chain
