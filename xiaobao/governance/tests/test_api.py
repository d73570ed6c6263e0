"""Governance records through the REST API: rights, branch scope, transitions, events, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.audit.models import RecordEvent
from xiaobao.governance.choices import RuleStatus
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.governance.services import today
from xiaobao.plans.choices import TaskSourceKind
from xiaobao.plans.models import Task

pytestmark = pytest.mark.django_db

MEETINGS = "/api/v1/governance/meetings/"
RULES = "/api/v1/governance/rules/"


@pytest.fixture
def api(people):
    def make(user) -> APIClient:
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def _meeting(client, **extra):
    body = {
        "body": "leading_group",
        "title": "2026年第一次消保工作领导小组会议",
        "held_on": (today() - timedelta(days=3)).isoformat(),
        "attendees": "行长、分管副行长、各部门负责人",
        "topics": "审议年度消保工作计划；通报一季度投诉情况",
        **extra,
    }
    return client.post(MEETINGS, body, format="json")


def _rule(client, **extra):
    body = {
        "title": "消费者权益保护工作管理办法",
        "doc_number": "A行发〔2024〕12号",
        "version": "2024版",
        "effective_on": "2024-03-01",
        "next_review_on": "2026-03-01",
        **extra,
    }
    return client.post(RULES, body, format="json")


def test_a_branch_officer_records_a_meeting_in_its_own_scope(api, people, org):
    response = _meeting(api(people.officer_a))
    assert response.status_code == 201, response.json()
    meeting = Meeting.objects.get(pk=response.json()["id"])
    assert meeting.unit == org.branch_a and meeting.status == "draft"
    [event] = RecordEvent.objects.filter(object_id=meeting.pk, action="meeting_create")
    assert event.actor == people.officer_a and event.to_status == "draft"
    # Seen by its branch, head office and the auditor; not by branch B (404, like a missing one).
    for user, status in [
        (people.officer_a, 200),
        (people.hq_officer, 200),
        (people.auditor, 200),
        (people.officer_b, 404),
    ]:
        assert api(user).get(f"{MEETINGS}{meeting.pk}/").status_code == status
    assert api(people.officer_b).get(MEETINGS).json() == []
    assert [m["id"] for m in api(people.auditor).get(MEETINGS).json()] == [meeting.pk]


def test_refused_and_bad_meetings_write_nothing(api, people):
    assert _meeting(api(people.handler_a)).status_code == 403  # no governance rights
    assert _meeting(api(people.auditor)).status_code == 403  # reads only
    assert _meeting(api(people.officer_a), unit="BR-b").status_code in (400, 422)  # not in scope
    future = _meeting(api(people.officer_a), held_on=(today() + timedelta(days=2)).isoformat())
    assert future.status_code in (400, 422) and future.json()["field"] == "held_on"
    assert "会议日期" in future.json()["message"]
    blank = _meeting(api(people.officer_a), attendees="  ")
    assert blank.status_code in (400, 422) and blank.json()["field"] == "attendees"
    assert not Meeting.objects.exists() and not RecordEvent.objects.exists()


def test_a_decision_creates_a_task_sourced_from_the_meeting(api, people, org):
    client = api(people.officer_a)
    meeting_id = _meeting(client).json()["id"]
    due = (today() + timedelta(days=30)).isoformat()
    response = client.post(
        f"{MEETINGS}{meeting_id}/decisions/",
        {
            "text": "各支行于一个月内完成营业网点消保公示整改。",
            "task_owner_unit": "SUB-a",
            "task_title": "营业网点消保公示整改",
            "task_due_date": due,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    [decision] = response.json()["decisions"]
    task = Task.objects.get(pk=decision["task"])
    assert task.source == Meeting.objects.get(pk=meeting_id)
    assert task.source_kind == TaskSourceKind.COMMITTEE_DECISION
    assert task.owner_unit == org.sub_a and task.issuing_unit == org.branch_a
    assert task.source_url == f"/governance/meetings/{meeting_id}/"
    assert RecordEvent.objects.filter(object_id=meeting_id, action="decision_add").count() == 1


def test_a_bad_decision_task_leaves_neither_decision_nor_task(api, people):
    client = api(people.officer_a)
    meeting_id = _meeting(client).json()["id"]
    past = client.post(
        f"{MEETINGS}{meeting_id}/decisions/",
        {"text": "限期整改。", "task_owner_unit": "SUB-a", "task_due_date": "2020-01-01"},
        format="json",
    )
    assert past.status_code in (400, 422) and past.json()["field"] == "due_date"
    other = client.post(
        f"{MEETINGS}{meeting_id}/decisions/",
        {"text": "限期整改。", "task_owner_unit": "SUB-b", "task_due_date": "2030-01-01"},
        format="json",
    )
    assert other.status_code in (400, 422) and other.json()["field"] == "task_owner_unit"
    assert not MeetingDecision.objects.exists() and not Task.objects.exists()


def test_minutes_are_confirmed_once_and_then_closed(api, people):
    client = api(people.officer_a)
    meeting_id = _meeting(client).json()["id"]
    empty = client.post(f"{MEETINGS}{meeting_id}/confirm/")
    assert empty.status_code in (400, 422) and empty.json()["field"] == "decisions"
    client.post(f"{MEETINGS}{meeting_id}/decisions/", {"text": "通过年度计划。"}, format="json")
    assert api(people.officer_b).post(f"{MEETINGS}{meeting_id}/confirm/").status_code == 404
    assert api(people.auditor).post(f"{MEETINGS}{meeting_id}/confirm/").status_code == 403
    confirmed = client.post(f"{MEETINGS}{meeting_id}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert client.post(f"{MEETINGS}{meeting_id}/confirm/").status_code == 409
    late = client.post(f"{MEETINGS}{meeting_id}/decisions/", {"text": "补充决议"}, format="json")
    assert late.status_code == 409
    [event] = RecordEvent.objects.filter(object_id=meeting_id, action="confirm")
    assert (event.from_status, event.to_status) == ("draft", "confirmed")


def test_rules_keep_every_version_and_flag_overdue_reviews(api, people, org):
    client = api(people.officer_a)
    created = _rule(client)
    assert created.status_code == 201, created.json()
    old_id = created.json()["id"]
    # The review date (1 March 2026) has passed: flagged.
    assert created.json()["review_overdue"] is (today() > InternalRule.objects.get().next_review_on)
    revised = client.post(
        f"{RULES}{old_id}/revise/",
        {
            "version": "2026版",
            "doc_number": "A行发〔2026〕3号",
            "effective_on": today().isoformat(),
            "next_review_on": (today() + timedelta(days=730)).isoformat(),
            "reason": "落实《银行保险机构消费者权益保护管理办法》",
        },
        format="json",
    )
    assert revised.status_code == 201, revised.json()
    new = revised.json()
    assert new["previous"] == old_id and new["review_overdue"] is False
    old = InternalRule.objects.get(pk=old_id)
    assert old.status == RuleStatus.SUPERSEDED  # kept, not overwritten
    assert client.post(
        f"{RULES}{old_id}/revise/", {**revised.json(), "reason": "再改"}, format="json"
    ).status_code in (400, 409)
    again = client.post(f"{RULES}{old_id}/repeal/", {"reason": "重复"}, format="json")
    assert again.status_code == 409
    listing = client.get(RULES).json()
    assert {r["id"] for r in listing} == {old_id, new["id"]}
    assert RecordEvent.objects.filter(action__in=["revise", "revised_from"]).count() == 2
    assert api(people.officer_b).get(RULES).json() == []
    assert api(people.officer_b).get(f"{RULES}{new['id']}/").status_code == 404
    assert {r["id"] for r in api(people.auditor).get(RULES).json()} == {old_id, new["id"]}


def test_bad_rule_input_names_the_field_and_writes_nothing(api, people):
    client = api(people.officer_a)
    bad = _rule(client, next_review_on="2024-01-01")
    assert bad.status_code in (400, 422) and bad.json()["field"] == "next_review_on"
    assert "评估日期" in bad.json()["message"]
    missing = _rule(client, doc_number="")
    assert missing.status_code in (400, 422) and missing.json()["field"] == "doc_number"
    assert _rule(api(people.handler_a)).status_code == 403
    assert not InternalRule.objects.exists() and not RecordEvent.objects.exists()


def test_a_review_moves_the_next_review_date(api, people):
    client = api(people.officer_a)
    rule_id = _rule(client).json()["id"]
    next_review = (today() + timedelta(days=365)).isoformat()
    reviewed = client.post(
        f"{RULES}{rule_id}/review/",
        {"next_review_on": next_review, "reason": "经评估仍适用"},
        format="json",
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["next_review_on"] == next_review
    assert reviewed.json()["review_overdue"] is False
    [event] = RecordEvent.objects.filter(object_id=rule_id, action="review")
    assert event.reason == "经评估仍适用"
