"""Governance pages: the same rules as the API, answered with the right status codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.audit.models import RecordEvent
from xiaobao.governance import services
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.plans.models import Task

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def meeting(people, org) -> Meeting:
    return services.meeting_create(
        actor=people.officer_a,
        unit=org.branch_a,
        body="board_committee",
        title="董事会消费者权益保护委员会2026年第一次会议",
        held_on=services.today() - timedelta(days=1),
        attendees="委员会全体委员",
        topics="审议消保工作报告",
    )


def test_pages_are_scoped_by_branch(people, meeting):
    assert _client("officer_a").get(f"/governance/meetings/{meeting.pk}/").status_code == 200
    assert _client("auditor").get(f"/governance/meetings/{meeting.pk}/").status_code == 200
    assert _client("officer_b").get(f"/governance/meetings/{meeting.pk}/").status_code == 404
    assert meeting.title not in _client("officer_b").get("/governance/meetings/").content.decode()
    assert _client("handler_a").get("/governance/meetings/").status_code == 403


def test_a_decision_with_a_task_from_the_page(people, meeting):
    due = (services.today() + timedelta(days=20)).isoformat()
    response = _client("officer_a").post(
        f"/governance/meetings/{meeting.pk}/",
        {
            "text": "完善投诉溯源整改机制。",
            "create_task": "on",
            "owner_unit": "SUB-a",
            "task_title": "投诉溯源整改机制",
            "due_date": due,
        },
    )
    assert response.status_code == 302
    decision = MeetingDecision.objects.get()
    assert decision.task == Task.objects.get() and decision.task.owner_unit.code == "SUB-a"
    page = _client("officer_a").get(f"/governance/meetings/{meeting.pk}/").content.decode()
    assert "投诉溯源整改机制" in page and "记录决议" in page  # the timeline shows the event


def test_bad_input_and_illegal_moves_on_the_pages(people, meeting):
    client = _client("officer_a")
    bad = client.post(
        f"/governance/meetings/{meeting.pk}/",
        {"text": "整改", "create_task": "on", "owner_unit": "NOPE", "due_date": "2030-01-01"},
    )
    assert bad.status_code == 400 and "责任机构代码不存在。" in bad.content.decode()
    assert not MeetingDecision.objects.exists() and not Task.objects.exists()
    empty = client.post(f"/governance/meetings/{meeting.pk}/confirm/")
    assert empty.status_code == 400 and "请先记录至少一项会议决议。" in empty.content.decode()
    client.post(f"/governance/meetings/{meeting.pk}/", {"text": "通过工作报告。"})
    assert _client("auditor").post(f"/governance/meetings/{meeting.pk}/confirm/").status_code == 403
    assert client.post(f"/governance/meetings/{meeting.pk}/confirm/").status_code == 302
    assert client.post(f"/governance/meetings/{meeting.pk}/confirm/").status_code == 409
    assert RecordEvent.objects.filter(object_id=meeting.pk, action="confirm").count() == 1


def test_revising_a_rule_on_its_page_keeps_the_old_version(people, org):
    rule = services.rule_register(
        actor=people.officer_a,
        unit=org.branch_a,
        title="消费者权益保护审查实施细则",
        doc_number="A分行发〔2024〕5号",
        version="2024版",
        owner_department=None,
        effective_on=services.today() - timedelta(days=400),
        next_review_on=services.today() - timedelta(days=35),
    )
    client = _client("officer_a")
    assert "逾期未评估" in client.get("/governance/rules/").content.decode()
    response = client.post(
        f"/governance/rules/{rule.pk}/",
        {
            "do": "revise",
            "version": "2026版",
            "doc_number": "A分行发〔2026〕2号",
            "effective_on": services.today().isoformat(),
            "next_review_on": (services.today() + timedelta(days=365)).isoformat(),
            "reason": "按新规修订",
        },
    )
    assert response.status_code == 302
    new = InternalRule.objects.get(previous=rule)
    page = client.get(f"/governance/rules/{new.pk}/").content.decode()
    assert "2024版" in page and "2026版" in page  # the versions table keeps both
    rule.refresh_from_db()
    assert rule.status == "superseded"
    assert _client("officer_b").get(f"/governance/rules/{new.pk}/").status_code == 404
