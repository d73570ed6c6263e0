"""Registering, listing and reading cases through the API."""

from __future__ import annotations

import pytest

from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.conftest import PHONE, VALID_ID
from xiaobao.privacy.models import PersonalDataAccess

from .conftest import CARD, ago, body, payload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"


def test_create_registers_with_every_intake_field(api_a, org):
    data = payload(
        complained_unit="OUT-a",
        complained_staff_name="柜员小王",
        demand_text="退还年费600元",
        amount="600.00",
        tags=["ELDERLY"],
        level="COMPLEX",
        group_size=2,
        complainants=[
            {
                "name": "张伟",
                "phone": PHONE,
                "id_number": VALID_ID,
                "card_number": CARD,
                "email": "zhangwei@example.com",
            },
            {
                "name": "李娜",
                "role": "agent",
                "represents": "王芳",
                "address": "浙江省杭州市西湖区文三路1号",
            },
        ],
    )
    response = api_a.post(LIST, data, format="json")
    assert response.status_code == 201, body(response)
    out = body(response)
    case = Complaint.objects.get(pk=out["id"])
    assert out["registry_no"] == case.registry_no and out["status"] == "registered"
    assert (out["unit"]["code"], out["complained_unit"]["code"]) == ("SUB-a", "OUT-a")
    assert out["intake_channel"] == {"code": "HOTLINE", "name": "客服热线"}
    assert (
        out["demands"] == ["REFUND"]
        and out["tags"] == ["ELDERLY"]
        and out["level"]["code"] == "COMPLEX"
    )
    assert out["amount"] == "600.00" and out["group_size"] == 2 and out["due_date"]
    first, second = out["complainants"]
    assert first["name"] == "张*" and first["phone"] == "138****8000"
    assert first["id_number"] == VALID_ID[:6] + "*" * 8 + VALID_ID[-4:]
    assert first["card_number"] == CARD[:6] + "*" * 9 + CARD[-4:]
    assert first["email"] == "z***@example.com"
    assert second["represents"] == "王*" and second["address"] == "浙江省杭州市西湖区****"
    assert "***" in out["narrative"] and PHONE not in out["narrative"]
    # Stored in full (encrypted), shown masked.
    assert case.complainants.first().phone == PHONE


def test_create_defaults_the_receipt_time_to_now(api_a):
    data = payload()
    del data["received_at"]
    response = api_a.post(LIST, data, format="json")
    assert response.status_code == 201


def test_validation_errors_are_structured_and_chinese(api_a):
    data = payload(title="", complainants=[{"name": "张伟", "phone": PHONE, "role": "boss"}])
    del data["narrative"]
    response = api_a.post(LIST, data, format="json")
    assert response.status_code == 400
    out = body(response)
    assert out["code"] == "invalid"
    assert set(out["errors"]) == {"title", "narrative", "complainants.0.role"}
    assert out["errors"]["narrative"] == ["该字段是必填项。"]
    assert out["field"] in out["errors"] and out["message"].startswith(out["field"] + "：")


def test_service_rules_come_back_as_422_with_the_field(api_a):
    data = payload(complainants=[{"name": "张伟", "phone": "12345"}])
    response = api_a.post(LIST, data, format="json")
    out = body(response)
    assert response.status_code == 422 and out["code"] == "invalid_phone"
    assert out["field"] == "complainants.0.phone" and "格式不正确" in out["message"]
    response = api_a.post(LIST, payload(intake_channel="R12345"), format="json")
    assert response.status_code == 422 and body(response)["field"] == "external_ref"
    assert Complaint.objects.count() == 0


def test_messages_follow_the_clients_language_with_the_values_filled_in(api_a):
    data = payload(complainants=[{"name": "张伟", "phone": "12345"}])
    english = body(api_a.post(LIST, data, format="json", HTTP_ACCEPT_LANGUAGE="en"))
    assert english["code"] == "invalid_phone" and english["field"] == "complainants.0.phone"
    assert english["message"] == (
        "Complainant 1: the phone number “12345” is not valid "
        "(a mobile number has 11 digits, a landline looks like 0571-87654321)."
    )
    assert english["errors"] == {"complainants.0.phone": [english["message"]]}
    # Without Accept-Language the API speaks Chinese, word for word as the service wrote it.
    chinese = body(api_a.post(LIST, data, format="json"))
    assert chinese["message"] == (
        "第1位投诉人：联系电话“12345”格式不正确（手机号11位，座机如 0571-87654321）。"
    )
    response = api_a.post(LIST, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert body(response)["errors"]["title"] == ["This field is required."]
    assert body(api_a.post(LIST, {}, format="json"))["errors"]["title"] == ["该字段是必填项。"]


def test_malformed_json_is_a_parse_error(api_a):
    response = api_a.post(LIST, data="{not json", content_type="application/json")
    assert response.status_code == 400 and body(response)["code"] == "parse_error"
    response = api_a.post(LIST, data="x", content_type="text/plain")
    assert response.status_code == 415 and body(response)["code"] == "unsupported_media_type"
    response = api_a.put(LIST, {}, format="json")
    assert response.status_code == 405 and body(response)["message"] == "不支持该请求方法。"


def _register_many(api, n):
    numbers = []
    for i in range(n):
        response = api.post(
            LIST,
            payload(title=f"第{i}件", received_at=ago(hours=10 - i).isoformat()),
            format="json",
        )
        numbers.append(body(response)["registry_no"])
    return numbers


def test_list_is_cursor_paginated_newest_first(api_a):
    numbers = _register_many(api_a, 5)
    seen, url = [], f"{LIST}?page_size=2"
    pages = 0
    while url:
        out = body(api_a.get(url))
        assert set(out) == {"next", "previous", "results"}
        assert "count" not in out  # no COUNT over the registry
        seen += [row["registry_no"] for row in out["results"]]
        url = out["next"]
        pages += 1
    assert pages == 3 and seen == list(reversed(numbers))
    response = api_a.get(f"{LIST}?cursor=garbage")
    assert response.status_code == 404 and body(response)["code"] == "not_found"


def test_list_uses_the_registry_filters(api_a, people, org):
    _register_many(api_a, 2)
    api_a.post(
        LIST, payload(title="老人投诉", tags=["ELDERLY"], intake_channel="COUNTER"), format="json"
    )
    titles = lambda url: sorted(r["title"] for r in body(api_a.get(url))["results"])  # noqa: E731
    assert titles(f"{LIST}?tag=ELDERLY") == ["老人投诉"]
    assert titles(f"{LIST}?intake_channel=COUNTER&intake_channel=HOTLINE") == [
        "第0件",
        "第1件",
        "老人投诉",
    ]
    assert titles(f"{LIST}?q=第1") == ["第1件"]
    assert titles(f"{LIST}?status=accepted") == []
    assert titles(f"{LIST}?unit=BR-b") == []
    response = api_a.get(f"{LIST}?status=bogus")
    assert response.status_code == 400 and body(response)["field"] == "status"


def test_retrieve_masks_everything(api_a, case_a):
    response = api_a.get(f"{LIST}{case_a.pk}/")
    out = body(response)
    assert response.status_code == 200 and out["complainants"][0]["phone"] == "138****8000"
    assert out["narrative"].startswith("联系电话138****8000")
    assert out["decision"] is None and out["notice"] is None


def test_events_are_the_timeline(api_a, notified_a):
    response = api_a.get(f"{LIST}{notified_a.pk}/events/")
    actions = [e["action"] for e in body(response)]
    assert actions == ["register", "accept", "decide", "notify"]
    assert body(response)[1]["action_label"] == "受理" and body(response)[1]["actor"] == "handler_a"


def test_reveal_needs_a_reason_and_leaves_a_trace(api_a, client_for, people, case_a):
    person = case_a.complainants.get()
    url = f"{LIST}{case_a.pk}/complainants/{person.pk}/reveal/"
    response = api_a.post(url, {"field": "phone", "reason": "回"}, format="json")
    assert response.status_code == 422 and body(response)["code"] == "reason_required"
    api_a.allow_pi = True
    response = api_a.post(url, {"field": "phone", "reason": "回访客户核实情况"}, format="json")
    assert body(response) == {"field": "phone", "value": PHONE}
    access = PersonalDataAccess.objects.get()
    assert (access.actor, access.field, access.case_ref) == (
        people.handler_a,
        "phone",
        case_a.registry_no,
    )
    auditor = client_for(people.auditor)  # may read the case, may not unmask
    response = auditor.post(url, {"field": "phone", "reason": "审计抽查需要"}, format="json")
    assert response.status_code == 403 and body(response)["code"] == "unmask_denied"


def test_taxonomies_and_units(api_a, api_b, org):
    out = body(api_a.get("/api/v1/taxonomies/?axis=intake_channel"))
    assert {"code": "R12345", "name": "12345政务服务便民热线"}.items() <= next(
        t for t in out if t["code"] == "R12345"
    ).items()
    assert {t["axis"] for t in out} == {"intake_channel"}
    cards = [
        t
        for t in body(api_a.get("/api/v1/taxonomies/?axis=business_category"))
        if t["parent"] == "CARD"
    ]
    assert {t["code"] for t in cards} == {"CARD_DEBIT", "CARD_CREDIT"}
    assert [u["code"] for u in body(api_a.get("/api/v1/units/"))] == ["SUB-a", "OUT-a"]
    assert body(api_a.get("/api/v1/units/OUT-a/"))["parent"] == "SUB-a"
    assert api_b.get("/api/v1/units/OUT-a/").status_code == 404
    assert api_a.post("/api/v1/units/", {}, format="json").status_code == 405
