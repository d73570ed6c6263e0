"""The governance demo: meetings with decisions (two ordering tasks), and a realistic register of
internal rules, written through the real services and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from xiaobao.audit.selectors import timeline
from xiaobao.governance.choices import MeetingBody, MeetingStatus, RuleStatus
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.governance.selectors import rules_review_overdue
from xiaobao.organisation.models import User
from xiaobao.plans.choices import TaskSourceKind, TaskStatus
from xiaobao.plans.services._common import today

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_meetings_and_rules(settings):
    settings.XIAOBAO_DEMO_CASES = 40
    out = StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    meetings = Meeting.objects.all()
    bodies = set(meetings.values_list("body", flat=True))
    assert {MeetingBody.BOARD_COMMITTEE, MeetingBody.LEADING_GROUP, MeetingBody.REGULAR} <= bodies
    assert meetings.filter(status=MeetingStatus.DRAFT).count() == 1  # the newest minutes
    tasks = MeetingDecision.objects.filter(task__isnull=False)
    assert tasks.count() == 2
    assert {d.task.source_kind for d in tasks} == {TaskSourceKind.COMMITTEE_DECISION}
    assert {d.task.status for d in tasks} == {TaskStatus.DONE, TaskStatus.OPEN}
    rules = InternalRule.objects.all()
    assert rules.filter(status=RuleStatus.SUPERSEDED).count() == 1
    assert rules.filter(status=RuleStatus.REPEALED).count() == 1
    revised = rules.get(previous__isnull=False)
    assert revised.status == RuleStatus.IN_FORCE and revised.previous.version == "2023版"
    officer = User.objects.get(username="hq_officer")
    overdue = list(rules_review_overdue(officer, today=today()))
    assert [r.title for r in overdue] == ["金融知识宣传教育工作实施细则"]  # one, not all red
    assert all(timeline(m).exists() for m in meetings)
    assert "消保委员会" in out.getvalue()
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Meeting.objects.count() == meetings.count()
