"""The REST API of pre-review and suitability (/api/v1/products/…)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.products.models import Review, RiskProfile, SaleCheck
from xiaobao.products.tests.conftest import make_product, pdf, sha
from xiaobao.watch.models import Notification

pytestmark = pytest.mark.django_db

ID_C2 = "110101195003071234"
ID_EXPIRED = "110101198001011235"


@pytest.fixture
def api(people):
    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def test_submit_mandatory_opinion_rejected_escalates_and_launch_mismatch_alerts(
    api, staff, org, route, people
):
    manager, reviewer, leader = api(staff.manager), api(staff.reviewer), api(staff.leader)
    product = make_product(people.hq_officer, status="design")
    approved = "b" * 64
    created = manager.post(
        "/api/v1/products/reviews/",
        {
            "object_type": "new_product",
            "title": "稳享90天理财产品说明书",
            "unit": "HQ",
            "product": product.code,
            "planned_launch": (date.today() + timedelta(days=30)).isoformat(),
            "self_check": {"disclosure": "yes", "cooling_off": "na"},
            "documents": [{"name": "说明书v1.pdf", "sha256": "a" * 64}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["reviewer"] == staff.reviewer.pk
    # A new version, uploaded as a file, becomes the latest.
    v2 = manager.post(
        f"/api/v1/products/reviews/{pk}/documents/", {"file": pdf("v2")}, format="multipart"
    )
    assert v2.status_code == 201 and v2.json()["version"] == 2
    # The manager may not issue opinions.
    refused = manager.post(
        f"/api/v1/products/reviews/{pk}/opinions/",
        {"location": "x", "issue": "y", "basis": "z", "kind": "advisory"},
        format="json",
    )
    assert refused.status_code == 403
    opinion = reviewer.post(
        f"/api/v1/products/reviews/{pk}/opinions/",
        {
            "location": "第二页风险揭示",
            "issue": "未以醒目方式提示本金可能亏损",
            "basis": "《银行保险机构消费者权益保护管理办法》第十一条",
            "kind": "mandatory",
            "severity": "high",
        },
        format="json",
    )
    assert opinion.status_code == 201, opinion.content
    oid = opinion.json()["id"]
    missing = manager.post(
        f"/api/v1/products/reviews/{pk}/answer/",
        {"opinion": oid, "response": "not_adopted", "reason": "篇幅有限"},
        format="json",
    )
    assert missing.status_code in (400, 422) and missing.json()["field"] == "approver"
    rejected = manager.post(
        f"/api/v1/products/reviews/{pk}/answer/",
        {"opinion": oid, "response": "not_adopted", "reason": "篇幅有限", "approver": "pm"},
        format="json",
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["escalated"] is True
    assert manager.get(f"/api/v1/products/reviews/{pk}/").json()["status"] == "escalated"
    early = reviewer.post(
        f"/api/v1/products/reviews/{pk}/conclude/", {"conclusion": "passed"}, format="json"
    )
    assert early.status_code == 409
    decided = leader.post(
        f"/api/v1/products/reviews/{pk}/decide/",
        {"opinion": oid, "decision": "upheld", "note": "须醒目提示"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["decision"] == "upheld"
    manager.post(
        f"/api/v1/products/reviews/{pk}/answer/",
        {"opinion": oid, "response": "adopted"},
        format="json",
    )
    concluded = reviewer.post(
        f"/api/v1/products/reviews/{pk}/conclude/",
        {"conclusion": "passed_with_changes", "note": "已按意见修改"},
        format="json",
    )
    assert concluded.status_code == 200
    assert concluded.json()["approved_sha256"] == sha(pdf("v2"))
    wrong = manager.post(
        f"/api/v1/products/reviews/{pk}/launch/",
        {"launched_on": date.today().isoformat(), "sha256": approved},
        format="json",
    )
    assert wrong.status_code == 201 and wrong.json()["matches"] is False
    assert Notification.objects.filter(
        kind="escalation", urgent=True, title__startswith="上线版本与审定版本不一致"
    ).exists()
    assert manager.get(f"/api/v1/products/reviews/{pk}/").json()["status"] == "concluded"
    right = manager.post(
        f"/api/v1/products/reviews/{pk}/launch/",
        {"launched_on": date.today().isoformat(), "file": pdf("v2")},
        format="multipart",
    )
    assert right.status_code == 201 and right.json()["matches"] is True
    assert manager.get(f"/api/v1/products/reviews/{pk}/").json()["status"] == "launched"


def test_reviews_are_branch_scoped(api, staff, org, route):
    review = api(staff.manager).post(
        "/api/v1/products/reviews/",
        {"object_type": "fee", "title": "调整跨行转账手续费", "unit": "HQ"},
        format="json",
    )
    pk = review.json()["id"]
    other = api(staff.branch_manager)
    assert other.get(f"/api/v1/products/reviews/{pk}/").status_code == 404
    assert other.get("/api/v1/products/reviews/").json()["results"] == []
    bad = api(staff.manager).post(
        "/api/v1/products/reviews/",
        {"object_type": "fee", "title": "", "unit": "HQ"},
        format="json",
    )
    assert bad.status_code == 400 and "title" in str(bad.json())


def _profile(client, customer_id, risk_class, *, assessed_at=None, age_band="40_59"):
    body = {
        "customer_id": customer_id,
        "risk_class": risk_class,
        "questionnaire_version": "2026版",
        "unit": "OUT-a",
        "age_band": age_band,
    }
    if assessed_at:
        body["assessed_at"] = assessed_at.isoformat()
    made = client.post("/api/v1/products/risk-profiles/", body, format="json")
    assert made.status_code == 201, made.content
    return made.json()


def test_sale_check_blocks_r4_for_c2_and_an_expired_profile_and_stores_no_id(
    api, staff, org, people
):
    r4 = make_product(
        people.hq_officer,
        code="FD2026004",
        name="进取混合基金",
        kind="fund",
        issuer_grade="R4",
        seller_grade="R3",
        target_class="C4",
    )
    r2 = make_product(people.hq_officer, code="WM2026002", seller_grade="R2")
    wealth = api(staff.wealth_a)
    _profile(wealth, ID_C2, "C2")
    _profile(wealth, ID_EXPIRED, "C5", assessed_at=timezone.now() - timedelta(days=400))

    def check(product, customer_id, **extra):
        body = {
            "product": product.code,
            "customer_id": customer_id,
            "unit": "OUT-a",
            "seller": "wealth_a",
            "dual_recording_ref": "SL-001",
        } | extra
        answer = wealth.post("/api/v1/products/sale-checks/", body, format="json")
        assert answer.status_code == 201, answer.content
        return answer.json()

    blocked = check(r4, ID_C2)
    assert blocked["result"] == "blocked" and "grade_above_class" in blocked["flags"]
    assert blocked["product_grade"] == "R4" and blocked["customer_class"] == "C2"
    expired = check(r2, ID_EXPIRED)
    assert expired["result"] == "blocked" and expired["flags"] == ["expired_profile"]
    assert check(r2, ID_C2)["result"] == "matched"
    warned = check(r2, ID_C2, dual_recording_ref="")
    assert warned["result"] == "warned" and warned["flags"] == ["no_dual_recording"]
    # Both blocked checks are recorded.
    assert SaleCheck.objects.filter(result="blocked").count() == 2
    listed = wealth.get("/api/v1/products/sale-checks/").json()["results"]
    assert len(listed) == 4
    # No name or ID number anywhere in the raw tables.
    with connection.cursor() as cursor:
        for table in (SaleCheck._meta.db_table, RiskProfile._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            raw = repr(cursor.fetchall())
            assert ID_C2 not in raw and ID_EXPIRED not in raw
            assert ID_C2[:6] + "1950" not in raw
    from xiaobao.privacy.crypto import blind_index

    assert blocked["customer_key"] == blind_index(ID_C2, kind="id_number")
    assert blocked["customer_key"] != hashlib.sha256(ID_C2.encode()).hexdigest()


def test_sale_check_scope_and_permission(api, staff, people, org):
    make_product(people.hq_officer, code="WM2026003")
    outsider = api(people.handler_b)
    answer = outsider.post(
        "/api/v1/products/sale-checks/",
        {"product": "WM2026003", "customer_id": ID_C2, "unit": "OUT-a"},
        format="json",
    )
    assert answer.status_code == 403
    assert (
        api(staff.manager)
        .post(
            "/api/v1/products/sale-checks/",
            {"product": "WM2026003", "customer_id": ID_C2, "unit": "OUT-a"},
            format="json",
        )
        .status_code
        == 403
    )
    assert not SaleCheck.objects.exists() and not Review.objects.exists()


def test_profile_and_import_endpoints(api, staff, people, org):
    make_product(people.hq_officer, code="WM2026005", seller_grade="R3")
    wealth = api(staff.wealth_a)
    bad = wealth.post(
        "/api/v1/products/risk-profiles/",
        {
            "customer_id": ID_C2,
            "risk_class": "C9",
            "questionnaire_version": "v",
            "unit": "OUT-a",
            "age_band": "40_59",
        },
        format="json",
    )
    assert bad.status_code == 400 and "risk_class" in str(bad.json())
    made = _profile(wealth, ID_C2, "C3", assessed_at=timezone.now() - timedelta(days=1))
    assert "customer_id" not in made and made["attempt"] == 1
    sold = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    csv = f"product_code,customer_id,unit_code,sold_at,seller,dual_recording_ref\nWM2026005,{ID_C2},OUT-a,{sold},wealth_a,SL1\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = wealth.post(
        "/api/v1/products/sale-checks/import/",
        {"file": SimpleUploadedFile("s.csv", csv.encode())},
        format="multipart",
    )
    assert refused.status_code == 403  # an outlet may check, not import
    officer = api(people.officer_a)
    done = officer.post(
        "/api/v1/products/sale-checks/import/",
        {"file": SimpleUploadedFile("s.csv", csv.encode())},
        format="multipart",
    )
    assert done.status_code == 201 and done.json() == {"imported": 1, "blocked": 0, "warned": 0}
    broken = officer.post(
        "/api/v1/products/sale-checks/import/",
        {"file": SimpleUploadedFile("s.csv", csv.replace("OUT-a", "OUT-b").encode())},
        format="multipart",
    )
    assert broken.status_code in (400, 422) and "第2行" in str(broken.json())
    assert SaleCheck.objects.count() == 1
