"""Complaint rules through the API: recusal, transfer, 60-day approvers, late approvals."""

from __future__ import annotations

import pytest

from xiaobao.complaints import services
from xiaobao.complaints.tests.conftest import at
from xiaobao.organisation.choices import Role
from xiaobao.watch.models import Notification

from .conftest import body, payload

pytestmark = pytest.mark.django_db


def post(client, complaint, path, data=None):
    return client.post(f"/api/v1/complaints/{complaint.pk}/{path}/", data or {}, format="json")


def test_auditor_forged_action_is_403_and_out_of_scope_404(client_for, people, case_a):
    response = post(client_for(people.auditor), case_a, "accept")
    assert response.status_code == 403 and body(response)["code"] == "permission_denied"
    response = post(client_for(people.handler_b), case_a, "accept")
    assert response.status_code == 404


def test_a_handler_cannot_be_the_person_complained_about_however_assigned(
    client_for, people, org, api_a
):
    created = api_a.post(
        "/api/v1/complaints/", payload(complained_staff="handler_a"), format="json"
    )
    assert created.status_code == 201, body(created)
    data = body(created)
    assert data["complained_staff"]["username"] == "handler_a"
    assert data["recusal_unchecked"] is False
    case = services.Complaint.objects.get(pk=data["id"])
    # accepting it oneself (the default handler is the caller)
    response = post(api_a, case, "accept")
    assert response.status_code == 422 and body(response)["code"] == "recusal"
    # accepting it with that person named as handler, by someone else
    officer = client_for(people.officer_a)
    response = post(officer, case, "accept", {"handler": "handler_a"})
    assert body(response)["code"] == "recusal"
    # a supervisor's reassignment
    assert post(officer, case, "accept", {"handler": "officer_a"}).status_code == 200
    response = post(officer, case, "assign", {"handler": "handler_a"})
    assert response.status_code == 422 and body(response)["code"] == "recusal"
    # registered with that person as handler from the start
    response = api_a.post(
        "/api/v1/complaints/",
        payload(complained_staff="outlet_handler_a", handler="outlet_handler_a"),
        format="json",
    )
    assert response.status_code == 422 and body(response)["field"] == "handler"


def test_staff_of_another_branch_cannot_be_named_and_a_bare_name_is_flagged(api_a):
    response = api_a.post(
        "/api/v1/complaints/", payload(complained_staff="handler_b"), format="json"
    )
    assert response.status_code == 422 and body(response)["field"] == "complained_staff"
    response = api_a.post(
        "/api/v1/complaints/", payload(complained_staff_name="王某"), format="json"
    )
    assert response.status_code == 201 and body(response)["recusal_unchecked"] is True


def test_transfer_endpoint(client_for, people, org, accepted_a, make_user):
    head_b = make_user("head_b2", org.branch_b, Role.UNIT_HEAD)
    hq = client_for(people.hq_officer)
    response = post(hq, accepted_a, "transfer", {"to_unit": "BR-b", "reason": ""})
    assert response.status_code == 400 and body(response)["field"] == "reason"
    due = accepted_a.due_at
    response = post(hq, accepted_a, "transfer", {"to_unit": "BR-b", "reason": "属B分行业务"})
    assert response.status_code == 200, body(response)
    data = body(response)
    assert data["unit"]["code"] == "BR-b" and data["handler"] is None
    accepted_a.refresh_from_db()
    assert accepted_a.due_at == due
    events = body(hq.get(f"/api/v1/complaints/{accepted_a.pk}/events/"))
    assert events[-1]["action"] == "transfer"
    assert Notification.objects.filter(recipient=head_b, kind="transfer").exists()
    # Branch A's officer no longer sees the case; B's officer cannot move it to A's tree.
    assert post(client_for(people.officer_a), accepted_a, "transfer").status_code == 404
    response = post(
        client_for(people.officer_b), accepted_a, "transfer", {"to_unit": "SUB-a", "reason": "x"}
    )
    assert response.status_code == 403 and body(response)["code"] == "out_of_scope"
    assert post(client_for(people.auditor), accepted_a, "transfer").status_code == 403


def _sixty(client_for, people, case, time_machine):
    time_machine.move_to(at(2026, 1, 10, 9), tick=False)
    return services.extension_request(
        actor=people.handler_a, complaint=case, target_days=60, reason="特别复杂"
    )


APPROVE = {"told_by": "letter", "told_at": "2026-01-10T08:00:00+08:00"}


@pytest.fixture
def old_case(org, people, time_machine):
    time_machine.move_to(at(2026, 1, 5, 11), tick=False)
    case = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=at(2026, 1, 5, 10),
        intake_channel="COUNTER",
        title="信用卡年费",
        narrative="要求退还年费。",
        complainants=[services.ComplainantData(name="李四", phone="13900139000")],
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause="PRICING",
    )
    return services.complaint_accept(actor=people.handler_a, complaint=case)


def test_only_a_senior_manager_or_the_upper_units_head_approves_sixty_days(
    client_for, people, org, make_user, old_case, time_machine
):
    senior = make_user("senior", org.hq, Role.HQ_SENIOR_MANAGER)
    extension = _sixty(client_for, people, old_case, time_machine)
    path = f"extensions/{extension.pk}/approve"
    for refused in (people.hq_officer, people.officer_a, people.handler_a):
        response = post(client_for(refused), old_case, path, APPROVE)
        assert response.status_code == 403, (refused, body(response))
    response = post(client_for(senior), old_case, path, APPROVE)
    assert response.status_code == 200, body(response)
    assert body(response)["allowed_days"] == 60
    # And the upper unit's head (branch A above sub-branch A) on another case.
    other = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=at(2026, 1, 9, 10),
        intake_channel="COUNTER",
        title="理财赎回",
        narrative="赎回延迟。",
        complainants=[services.ComplainantData(name="王五", phone="13700137000")],
    )
    services.complaint_accept(actor=people.handler_a, complaint=other)
    extension = _sixty(client_for, people, other, time_machine)
    response = post(client_for(people.head_a), other, f"extensions/{extension.pk}/approve", APPROVE)
    assert response.status_code == 200


def test_a_late_approval_is_refused_and_never_yields_a_timely_case(
    client_for, people, old_case, time_machine
):
    # Received 5 Jan (due by the end of 20 Jan); extension asked on day 14 (19 Jan) …
    time_machine.move_to(at(2026, 1, 19, 9), tick=False)
    extension = services.extension_request(
        actor=people.handler_a, complaint=old_case, target_days=30, reason="需外部鉴定"
    )
    # … and approved on day 17 (22 Jan): refused, the case stays overdue.
    time_machine.move_to(at(2026, 1, 22, 9), tick=False)
    head = client_for(people.head_a)
    response = post(head, old_case, f"extensions/{extension.pk}/approve")
    assert response.status_code == 422 and body(response)["code"] == "deadline_passed"
    old_case.refresh_from_db()
    assert old_case.allowed_days == 15
    response = post(head, old_case, f"extensions/{extension.pk}/reject", {"note": "已逾期"})
    assert response.status_code == 200
    decided = services.complaint_decide(
        actor=people.handler_a,
        complaint=old_case,
        verified_facts="核实",
        outcome="upheld",
        basis="合同",
        reasons="理由",
        routes=["review"],
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=decided.complaint,
        method="phone",
        given_at=at(2026, 1, 22, 9),
        evidence="录音 REC-1",
    )
    old_case.refresh_from_db()
    assert old_case.timely is False


def test_back_dated_decision_and_notice_through_the_api_with_the_letter(
    client_for, people, old_case, time_machine
):
    import base64

    time_machine.move_to(at(2026, 1, 21, 10), tick=False)  # day 16
    api = client_for(people.handler_a)
    decision = {
        "verified_facts": "核实",
        "outcome": "partly_upheld",
        "basis": "合同第五条",
        "reasons": "部分成立",
        "routes": ["review", "litigation"],
        "decided_at": "2026-01-19T10:00:00+08:00",  # day 14
    }
    response = post(api, old_case, "decide", {**decision, "decided_at": "2026-01-30T10:00+08:00"})
    assert response.status_code == 422 and body(response)["field"] == "decided_at"
    assert post(api, old_case, "decide", decision).status_code == 200
    response = post(api, old_case, "letter")
    assert response.status_code == 201
    letter = body(response)
    assert letter["ref"].endswith("-DF01") and "30日内" in letter["sms"]
    assert base64.b64decode(letter["docx_base64"])[:2] == b"PK"
    response = post(
        api,
        old_case,
        "notify",
        {"method": "letter", "given_at": "2026-01-19T11:00:00+08:00", "use_letter": True},
    )
    assert response.status_code == 200, body(response)
    data = body(response)
    assert data["timely"] is True and letter["ref"] in data["notice"]["evidence"]


def test_an_assignment_error_never_names_staff_of_another_branch(client_for, people, accepted_a):
    officer = client_for(people.officer_a)
    response = post(officer, accepted_a, "assign", {"handler": "handler_b"})
    assert response.status_code == 422 and body(response)["field"] == "handler"
    text = response.content.decode()
    b = people.handler_b
    for word in {b.username, b.get_full_name(), str(b)} - {""}:
        assert word not in text
    assert "所选人员" in text
