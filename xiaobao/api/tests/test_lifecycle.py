"""Every lifecycle endpoint: one happy path and one refusal, each through HTTP with a token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, ComplaintEvent, Extension, FollowUp
from xiaobao.organisation import services as org_services

from .conftest import ago, body

pytestmark = pytest.mark.django_db


def post(client, complaint, path, data=None):
    return client.post(f"/api/v1/complaints/{complaint.pk}/{path}/", data or {}, format="json")


def refused(response, status, code, word=""):
    data = body(response)
    assert response.status_code == status, data
    assert data["code"] == code, data
    assert set(data) == {"code", "message", "field", "errors"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["message"]), data["message"]
    assert word in data["message"]
    return data


@pytest.fixture
def api_officer_a(client_for, people):
    return client_for(people.officer_a)


@pytest.fixture
def api_head_a(client_for, people):
    return client_for(people.head_a)


def test_accept(api_a, case_a, people):
    response = post(api_a, case_a, "accept")
    assert response.status_code == 200
    data = body(response)
    assert data["status"] == "accepted" and data["handler"]["username"] == "handler_a"
    assert "decide" in data["allowed_actions"] and "accept" not in data["allowed_actions"]
    refused(post(api_a, case_a, "accept"), 409, "invalid_transition", "处理中")
    # The status and the action are labels: in English, both are English.
    again = api_a.post(
        f"/api/v1/complaints/{case_a.pk}/accept/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 409
    assert body(again)["message"] == "The complaint is “In progress”; “Accept” is not allowed."


def test_accept_naming_another_handler(api_officer_a, case_a):
    response = post(api_officer_a, case_a, "accept", {"handler": "handler_a"})
    assert body(response)["handler"]["username"] == "handler_a"
    response = post(api_officer_a, case_a, "accept", {"handler": "nobody"})
    assert response.status_code == 400 and body(response)["field"] == "handler"


def test_assign(api_officer_a, api_a, accepted_a):
    response = post(
        api_officer_a, accepted_a, "assign", {"handler": "officer_a", "reason": "转分行"}
    )
    assert response.status_code == 200 and body(response)["handler"]["username"] == "officer_a"
    refused(post(api_a, accepted_a, "assign", {"handler": "handler_a"}), 403, "permission_denied")


def test_classify(api_a, case_a):
    response = post(api_a, case_a, "classify", {"cause": "SERVICE", "tags": ["ELDERLY"]})
    data = body(response)
    assert data["cause"]["code"] == "SERVICE" and data["tags"] == ["ELDERLY"]
    assert data["business_category"]["code"] == "CARD_CREDIT"  # untouched
    data = refused(post(api_a, case_a, "classify", {"cause": "NOPE"}), 422, "unknown_code", "NOPE")
    assert data["field"] == "cause" and data["errors"] == {"cause": [data["message"]]}


def test_pause_and_resume(api_a, case_a, accepted_a):
    response = post(api_a, accepted_a, "pause", {"reason": "mediation", "told_by": "phone"})
    data = body(response)
    assert response.status_code == 200 and data["status"] == "paused" and data["due_at"] is None
    refused(
        post(api_a, accepted_a, "pause", {"reason": "mediation", "told_by": "phone"}),
        409,
        "invalid_transition",
    )
    response = post(api_a, accepted_a, "resume", {"note": "调解结束"})
    assert body(response)["status"] == "accepted" and body(response)["due_at"]
    refused(post(api_a, accepted_a, "resume"), 409, "invalid_transition", "恢复计时")


def test_pause_refuses_a_reason_outside_the_rules(api_a, accepted_a):
    response = post(api_a, accepted_a, "pause", {"reason": "holiday", "told_by": "phone"})
    data = body(response)
    assert response.status_code == 400 and data["code"] == "invalid" and data["field"] == "reason"
    assert "不是合法选项" in data["message"]


def test_new_facts_restart_the_clock(api_a, accepted_a):
    before = accepted_a.due_date
    response = post(
        api_a,
        accepted_a,
        "new-facts",
        {"received_at": ago(minutes=5).isoformat(), "description": "补充了转账凭证"},
    )
    assert response.status_code == 200 and body(response)["clock_restarted_at"]
    assert body(response)["due_date"] >= before.isoformat()
    refused(
        post(
            api_a,
            accepted_a,
            "new-facts",
            {"received_at": ago(days=30).isoformat(), "description": "旧材料"},
        ),
        422,
        "domain_error",
        "不能早于",
    )


def test_extension_request_approve_reject(api_a, api_officer_a, accepted_a):
    refused(
        post(api_a, accepted_a, "extension-request", {"target_days": 45, "reason": "复杂"}),
        422,
        "invalid_target",
    )
    response = post(
        api_a, accepted_a, "extension-request", {"target_days": 30, "reason": "需调取录像"}
    )
    assert response.status_code == 201
    ext = body(response)["extensions"][0]
    assert ext["status"] == "pending" and ext["target_days"] == 30
    refused(
        # A handler has no right to approve at all (the self-approval rule is the service's).
        post(api_a, accepted_a, f"extensions/{ext['id']}/approve"),
        403,
        "permission_denied",
    )
    response = post(api_officer_a, accepted_a, f"extensions/{ext['id']}/approve", {"note": "同意"})
    assert response.status_code == 200
    assert (
        body(response)["allowed_days"] == 30
        and body(response)["extensions"][0]["status"] == "approved"
    )
    refused(
        post(api_officer_a, accepted_a, f"extensions/{ext['id']}/approve"), 422, "already_decided"
    )
    assert post(api_officer_a, accepted_a, "extensions/999999/approve").status_code == 404


def test_extension_reject(api_a, api_officer_a, accepted_a):
    post(api_a, accepted_a, "extension-request", {"target_days": 30, "reason": "需调取录像"})
    ext = Extension.objects.get(complaint=accepted_a)
    response = post(api_officer_a, accepted_a, f"extensions/{ext.pk}/reject", {})
    assert response.status_code == 400 and body(response)["field"] == "note"
    response = post(
        api_officer_a, accepted_a, f"extensions/{ext.pk}/reject", {"note": "理由不充分"}
    )
    assert body(response)["extensions"][0]["status"] == "rejected"


DECISION = {
    "verified_facts": "经核实，办卡时未书面告知年费标准。",
    "outcome": "upheld",
    "basis": "《信用卡领用合约》第五条",
    "reasons": "告知义务未履行，年费应予退还。",
    "routes": ["review", "mediation"],
    "compensation": "600.00",
}


def test_decide(api_a, case_a):
    refused(post(api_a, case_a, "decide", DECISION), 409, "invalid_transition", "已登记")
    services.complaint_accept(actor=case_a.handler or case_a.created_by, complaint=case_a)
    response = post(api_a, case_a, "decide", DECISION)
    data = body(response)
    assert data["status"] == "decided" and data["decision"]["outcome"] == "upheld"
    assert data["decision"]["compensation"] == "600.00"


def test_notify(api_a, decided_a):
    refused(
        post(
            api_a,
            decided_a,
            "notify",
            {
                "method": "sms",
                "given_at": (timezone.now() + timedelta(days=1)).isoformat(),
                "evidence": "短信",
            },
        ),
        422,
        "in_future",
    )
    response = post(
        api_a,
        decided_a,
        "notify",
        {"method": "sms", "given_at": ago(minutes=1).isoformat(), "evidence": "短信平台记录 #88"},
    )
    data = body(response)
    assert (
        data["status"] == "notified"
        and data["timely"] is True
        and data["notice"]["method"] == "sms"
    )


def test_close_with_rectification(api_a, notified_a, org):
    dept = org_services.department_create(
        actor=None, unit=org.branch_a, code="CARD", name="信用卡部", function="credit_card"
    )
    refused(
        post(api_a, notified_a, "close", {"root_cause": "告知流程缺失", "at_fault": True}),
        422,
        "rectification_required",
    )
    response = post(
        api_a,
        notified_a,
        "close",
        {
            "root_cause": "办卡告知流程缺失",
            "at_fault": True,
            "rectifications": [
                {
                    "department": dept.pk,
                    "description": "修订告知书",
                    "due_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
                }
            ],
        },
    )
    assert response.status_code == 200 and body(response)["status"] == "closed"
    from xiaobao.plans.selectors import tasks_for_source

    assert tasks_for_source(notified_a).count() == 1


def test_close_with_unknown_department(api_a, notified_a):
    response = post(
        api_a,
        notified_a,
        "close",
        {
            "root_cause": "x",
            "at_fault": True,
            "rectifications": [{"department": 9999, "description": "d", "due_date": "2099-01-01"}],
        },
    )
    assert response.status_code == 400 and body(response)["field"] == "rectifications.0.department"


def test_withdraw(api_a, accepted_a):
    response = post(
        api_a,
        accepted_a,
        "withdraw",
        {"received_at": ago(minutes=1).isoformat(), "note": "客户来电撤诉"},
    )
    assert body(response)["status"] == "withdrawn"
    refused(
        post(api_a, accepted_a, "withdraw", {"received_at": ago(minutes=1).isoformat()}),
        409,
        "invalid_transition",
        "已撤诉",
    )


def test_decline(api_a, case_a, accepted_a):
    refused(
        post(
            api_a,
            accepted_a,
            "decline",
            {"ground": "not_a_complaint", "reason": "咨询", "told_by": "phone"},
        ),
        409,
        "invalid_transition",
    )


def test_decline_a_registered_case(api_a, org, people):
    case = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=ago(hours=1),
        intake_channel="HOTLINE",
        title="咨询利率",
        narrative="客户咨询存款利率。",
        complainants=[services.ComplainantData(name="李四", phone="13900139000")],
    )
    response = post(
        api_a,
        case,
        "decline",
        {"ground": "not_a_complaint", "reason": "属于咨询", "told_by": "phone"},
    )
    assert body(response)["status"] == "declined"


def test_merge(api_a, accepted_a, org, people):
    repeat = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=ago(hours=1),
        intake_channel="COUNTER",
        title="重复投诉",
        narrative="同一事项再次投诉。",
        complainants=[services.ComplainantData(name="张伟", phone="13800138000")],
    )
    response = post(api_a, repeat, "merge", {"into": "TS1999-000001"})
    assert response.status_code == 400 and body(response)["field"] == "into"
    refused(post(api_a, repeat, "merge", {"into": repeat.registry_no}), 422, "domain_error", "自己")
    response = post(api_a, repeat, "merge", {"into": accepted_a.registry_no, "new_facts": True})
    data = body(response)
    assert data["status"] == "merged" and data["merged_into"] == accepted_a.registry_no


def test_flag_major(api_a, api_officer_a, accepted_a):
    refused(
        post(api_a, accepted_a, "flag-major", {"reason": "regulator", "note": "监管认定"}),
        403,
        "permission_denied",
    )
    response = post(
        api_officer_a, accepted_a, "flag-major", {"reason": "regulator", "note": "监管部门来函认定"}
    )
    data = body(response)
    assert data["is_major"] is True and data["level"]["code"] == "MAJOR"
    assert ComplaintEvent.objects.filter(complaint=accepted_a, action="escalate").exists()


def test_review(api_a, api_officer_a, notified_a):
    # The review belongs to the upper level: a sub-branch handler may not register it there.
    refused(
        post(
            api_a,
            notified_a,
            "review",
            {"requested_at": ago(minutes=5).isoformat(), "narrative": "不服"},
        ),
        403,
        "out_of_scope",
    )
    response = post(
        api_officer_a,
        notified_a,
        "review",
        {"requested_at": timezone.now().isoformat(), "narrative": "对处理结果不服，申请核查"},
    )
    assert response.status_code == 201
    data = body(response)
    assert data["kind"] == "review" and data["review_of"] == notified_a.registry_no
    assert data["registry_no"].startswith("HC")
    refused(
        post(
            api_officer_a,
            notified_a,
            "review",
            {"requested_at": timezone.now().isoformat(), "narrative": "再次"},
        ),
        422,
        "review_exists",
    )


def test_follow_up(api_a, notified_a):
    refused(
        post(api_a, notified_a, "follow-up", {"result": "satisfied", "method": "phone"}),
        409,
        "invalid_transition",
    )
    post(api_a, notified_a, "close", {"root_cause": "告知不到位", "at_fault": False})
    response = post(
        api_a,
        notified_a,
        "follow-up",
        {"result": "satisfied", "method": "phone", "comments": "满意"},
    )
    assert response.status_code == 201 and body(response)["follow_ups"][0]["result"] == "satisfied"
    assert FollowUp.objects.filter(complaint=notified_a).count() == 1


def test_each_action_writes_exactly_one_state_event(api_a, case_a):
    before = ComplaintEvent.objects.filter(complaint=case_a).count()
    post(api_a, case_a, "accept")
    assert ComplaintEvent.objects.filter(complaint=case_a).count() == before + 1
    assert Complaint.objects.get(pk=case_a.pk).status == "accepted"
