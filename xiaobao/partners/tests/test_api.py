"""The partner list through /api/v1/partners/: scope, rules, status codes and the schema."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.partners.choices import Criterion, ExitStep
from xiaobao.partners.models import Partner
from xiaobao.partners.tests.conftest import pdf, period

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(people):
    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def test_register_admit_and_the_checked_credit_code(api, people):
    hq = api(people.hq_officer)
    body = {
        "name": "某营销外包公司",
        "credit_code": "91350100M000100Y44",
        "type": "marketing",
        "unit": "HQ",
        "allowed_units": ["BR-a"],
        "business_lines": ["信用卡营销"],
    }
    refused = hq.post("/api/v1/partners/", body, format="json")
    assert refused.status_code == 422
    assert refused.json()["field"] == "credit_code"
    assert "校验位" in refused.json()["message"]
    created = hq.post(
        "/api/v1/partners/", body | {"credit_code": "91350100M000100Y43"}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "proposed"
    again = hq.post(
        "/api/v1/partners/",
        body | {"name": "另一个名字", "credit_code": "91350100m000100y43"},
        format="json",
    )
    assert again.status_code == 422 and again.json()["code"] == "duplicate"
    # 拟准入 → 在册 only through the admission review.
    direct = hq.post(
        f"/api/v1/partners/{pk}/transition/", {"to": "listed", "reason": "直接"}, format="json"
    )
    assert direct.status_code == 409
    admitted = hq.post(
        f"/api/v1/partners/{pk}/admission/",
        {
            "criteria": {c: True for c in Criterion.values},
            "cp_opinion": "消保条款齐全",
            "decision": "approved",
        },
        format="json",
    )
    assert admitted.status_code == 201, admitted.content
    assert admitted.json()["partner"]["status"] == "listed"


def test_branch_scope_on_the_list_and_on_writes(api, people, org, partner, make_partner):
    hidden = make_partner(status="listed", name="B分行专用", allowed_units=[org.branch_b])
    outlet = api(people.outlet_handler_a)
    listed = outlet.get("/api/v1/partners/")
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["results"]] == [partner.pk]
    assert outlet.get(f"/api/v1/partners/{hidden.pk}/").status_code == 404
    # Branch A sees the partner allowed to it, but head office owns it: no status changes.
    officer = api(people.officer_a)
    moved = officer.post(
        f"/api/v1/partners/{partner.pk}/transition/", {"to": "watch", "reason": "x"}, format="json"
    )
    assert moved.status_code == 404
    assert api(people.handler_b).get(f"/api/v1/partners/{partner.pk}/").status_code == 404


def test_an_evaluation_shows_the_complaints_linked_to_the_partner(api, people, partner, make_case):
    case = make_case(days=15)
    other = make_case(days=12)
    handler = api(people.handler_a)
    linked = handler.post(
        f"/api/v1/partners/{partner.pk}/complaints/",
        {"registry_no": case.registry_no, "role": "seller", "note": "平台营销"},
        format="json",
    )
    assert linked.status_code == 201, linked.content
    assert not linked.json()["outside_allowance"]
    missing = handler.post(
        f"/api/v1/partners/{partner.pk}/complaints/",
        {"registry_no": "NOPE-1", "role": "seller"},
        format="json",
    )
    assert missing.status_code == 404
    first, last = period()
    hq = api(people.hq_officer)
    created = hq.post(
        f"/api/v1/partners/{partner.pk}/evaluations/",
        {"period_start": str(first), "period_end": str(last), "customers_served": 5000},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["complaints"] == 1
    assert [c["registry_no"] for c in body["linked_complaints"]] == [case.registry_no]
    assert other.registry_no not in json.dumps(body)
    concluded = hq.post(
        f"/api/v1/partners/evaluations/{body['id']}/conclude/",
        {"result": "continue"},
        format="json",
    )
    assert concluded.status_code == 200
    assert concluded.json()["status"] == "concluded"
    assert concluded.json()["complaint_rate"] == "2.00"


def test_an_exit_cannot_complete_with_an_unconfirmed_step(api, people, partner):
    hq = api(people.hq_officer)
    started = hq.post(
        f"/api/v1/partners/{partner.pk}/exit/",
        {"reason": "合作到期", "planned_on": str(timezone.localdate() + timedelta(days=30))},
        format="json",
    )
    assert started.status_code == 201, started.content
    exit_id = started.json()["id"]
    assert Partner.objects.get(pk=partner.pk).status == "suspended"
    no_file = hq.post(
        f"/api/v1/partners/exits/{exit_id}/confirm/",
        {"step": "customers", "note": "已过渡"},
        format="multipart",
    )
    assert no_file.status_code == 422 and no_file.json()["field"] == "evidence"
    for step in (ExitStep.CUSTOMERS, ExitStep.ACCESS):
        done = hq.post(
            f"/api/v1/partners/exits/{exit_id}/confirm/",
            {"step": step, "note": "已完成", "file": pdf()},
            format="multipart",
        )
        assert done.status_code == 200, done.content
    refused = hq.post(f"/api/v1/partners/exits/{exit_id}/complete/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "exit_steps_unconfirmed"
    assert "客户数据已返还或销毁" in refused.json()["message"]
    assert Partner.objects.get(pk=partner.pk).status == "suspended"
    hq.post(
        f"/api/v1/partners/exits/{exit_id}/confirm/",
        {"step": "data", "note": "数据已销毁，附销毁证明", "file": pdf()},
        format="multipart",
    )
    completed = hq.post(f"/api/v1/partners/exits/{exit_id}/complete/")
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed" and completed.json()["unconfirmed"] == []
    assert Partner.objects.get(pk=partner.pk).status == "exited"


def test_agreement_lacking_clauses_is_refused_with_the_field(api, people, partner):
    hq = api(people.hq_officer)
    created = hq.post(
        f"/api/v1/partners/{partner.pk}/agreements/",
        {
            "number": "XY-1",
            "title": "营销合作协议",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "clauses": ["no_misleading"],
        },
        format="json",
    )
    assert created.status_code == 201
    assert "no_violent_collection" in created.json()["missing_clauses"]
    refused = hq.post(
        f"/api/v1/partners/agreements/{created.json()['id']}/sign/", {}, format="json"
    )
    assert refused.status_code == 422 and refused.json()["field"] == "clauses"


def test_the_schema_documents_the_partner_endpoints(api, people):
    schema = json.loads(api(people.hq_officer).get("/api/v1/schema/?format=json").content)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/partners/",
        "/api/v1/partners/{id}/",
        "/api/v1/partners/{id}/admission/",
        "/api/v1/partners/{id}/complaints/",
        "/api/v1/partners/evaluations/{id}/",
        "/api/v1/partners/exits/{id}/complete/",
    ):
        assert path in paths, path
    assert {"403", "409", "422"} <= set(
        paths["/api/v1/partners/exits/{id}/complete/"]["post"]["responses"]
    )
