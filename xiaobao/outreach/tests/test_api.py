from __future__ import annotations

import json

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.outreach.choices import ActivityStatus
from xiaobao.outreach.models import Activity, Material
from xiaobao.outreach.tests.conftest import photo, photos, yesterday


@pytest.fixture
def api(people):
    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def body(**overrides):
    data = {
        "unit": "OUT-a",
        "title": "进校园金融知识讲座",
        "form": "school",
        "starts_at": yesterday().isoformat(),
        "staff_count": 2,
        "audience_count": 80,
        "counting_method": "sign_in",
        "audience_by_group": {"youth": 75},
        "no_marketing": True,
        "topics": ["ANTI_FRAUD"],
    }
    return data | overrides


def test_the_outlet_records_uploads_and_submits_and_the_officer_approves(api, people, campaign):
    outlet, officer = api(people.outlet_handler_a), api(people.officer_a)
    leaflet = Material.objects.create(code="ZY-01", title="防范电信诈骗折页")
    created = outlet.post(
        "/api/v1/outreach/activities/",
        body(campaign=campaign.pk, materials=[{"material": leaflet.pk, "quantity": 120}]),
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["audience_by_group"] == {"youth": 75}
    assert created.json()["materials"] == [{"material": leaflet.pk, "quantity": 120}]
    early = outlet.post(f"/api/v1/outreach/activities/{pk}/submit/")
    assert early.status_code == 422 and early.json()["field"] == "evidence"
    for upload in photos(2):
        sent = outlet.post(
            f"/api/v1/outreach/activities/{pk}/evidence/", {"file": upload}, format="multipart"
        )
        assert sent.status_code == 201 and sent.json()["reused_elsewhere"] is False
    assert outlet.post(f"/api/v1/outreach/activities/{pk}/submit/").status_code == 200
    assert outlet.post(f"/api/v1/outreach/activities/{pk}/approve/").status_code == 403
    approved = officer.post(f"/api/v1/outreach/activities/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = officer.post(f"/api/v1/outreach/activities/{pk}/approve/")
    assert again.status_code == 409
    totals = officer.get(f"/api/v1/outreach/campaigns/{campaign.pk}/totals/").json()
    assert totals["unit"] == "BR-a"
    assert totals["figures"]["audience"] == 80 and totals["figures"]["group_youth"] == 75
    assert totals["figures"]["materials"] == 120
    assert totals["non_reporters"] == []


def test_a_reused_photo_is_flagged_in_the_upload_answer(api, people, make_activity):
    first, second = make_activity(n_photos=0), make_activity(n_photos=0)
    outlet = api(people.outlet_handler_a)
    url = "/api/v1/outreach/activities/{}/evidence/"
    assert outlet.post(url.format(first.pk), {"file": photo("x.jpg", seed=99)}, format="multipart")
    again = outlet.post(
        url.format(second.pk), {"file": photo("y.jpg", seed=99)}, format="multipart"
    )
    assert again.status_code == 201 and again.json()["reused_elsewhere"] is True


def test_invalid_input_names_the_field_and_writes_nothing(api, people):
    outlet = api(people.outlet_handler_a)
    wrong = outlet.post(
        "/api/v1/outreach/activities/", body(counting_method="platform"), format="json"
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "counting_method"
    too_many = outlet.post(
        "/api/v1/outreach/activities/", body(audience_by_group={"youth": 81}), format="json"
    )
    assert too_many.status_code == 422 and too_many.json()["field"] == "audience_by_group"
    unknown = outlet.post("/api/v1/outreach/activities/", body(form="party"), format="json")
    assert unknown.status_code == 400 and unknown.json()["field"] == "form"
    assert not Activity.objects.exists()


def test_branch_scope_404_for_reads_and_403_for_a_unit_out_of_scope(api, people, make_activity):
    activity = make_activity()
    other = api(people.handler_b)
    assert other.get(f"/api/v1/outreach/activities/{activity.pk}/").status_code == 404
    assert other.post(f"/api/v1/outreach/activities/{activity.pk}/submit/").status_code == 404
    assert other.get("/api/v1/outreach/activities/").json()["results"] == []
    refused = other.post("/api/v1/outreach/activities/", body(), format="json")
    assert refused.status_code == 403


def test_return_needs_a_reason(api, people, make_activity):
    activity = make_activity(status="submitted")
    officer = api(people.officer_a)
    url = f"/api/v1/outreach/activities/{activity.pk}/return/"
    assert officer.post(url, {}, format="json").status_code == 400
    returned = officer.post(url, {"reason": "缺少签到表"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == ActivityStatus.RETURNED


def test_hq_creates_and_publishes_a_campaign_others_cannot(api, people):
    payload = {
        "name": "金融教育宣传月",
        "kind": "edu_month",
        "unit": "HQ",
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "report_deadline": "2026-10-10",
        "key_groups": ["elderly", "youth"],
    }
    assert api(people.officer_a).post("/api/v1/outreach/campaigns/", payload).status_code == 403
    hq = api(people.hq_officer)
    created = hq.post("/api/v1/outreach/campaigns/", payload, format="json")
    assert created.status_code == 201 and "group_elderly" in created.json()["report_columns"]
    pk = created.json()["id"]
    assert hq.post(f"/api/v1/outreach/campaigns/{pk}/advance/", {"to": "locked"}).status_code == 409
    published = hq.post(f"/api/v1/outreach/campaigns/{pk}/advance/", {"to": "published"})
    assert published.status_code == 200 and published.json()["status"] == "published"
    # The outlet sees a campaign issued above it.
    seen = api(people.outlet_handler_a).get("/api/v1/outreach/campaigns/").json()["results"]
    assert [c["id"] for c in seen] == [pk]


def test_the_schema_documents_the_outreach_endpoints(api, people):
    response = api(people.officer_a).get("/api/v1/schema/?format=json")
    schema = json.loads(response.content)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/outreach/campaigns/",
        "/api/v1/outreach/campaigns/{id}/totals/",
        "/api/v1/outreach/activities/",
        "/api/v1/outreach/activities/{id}/approve/",
        "/api/v1/outreach/activities/{id}/evidence/",
    ):
        assert path in paths, path
    assert {"403", "409", "422"} <= set(
        paths["/api/v1/outreach/activities/{id}/approve/"]["post"]["responses"]
    )
    posts = {p: item["post"] for p, item in paths.items() if "post" in item}
    created = sorted(p for p, op in posts.items() if "201" in op["responses"] and "/outreach/" in p)
    assert created == [
        "/api/v1/outreach/activities/",
        "/api/v1/outreach/activities/{id}/complaints/",
        "/api/v1/outreach/activities/{id}/evidence/",
        "/api/v1/outreach/campaigns/",
    ]


def test_a_complaint_received_on_the_spot_is_registered_through_the_api(api, people, make_activity):
    activity = make_activity()
    url = f"/api/v1/outreach/activities/{activity.pk}/complaints/"
    payload = {
        "title": "现场反映信用卡分期手续费",
        "narrative": "客户在宣传活动现场反映信用卡分期手续费未告知。",
        "complainant_name": "李娜",
    }
    no_contact = api(people.outlet_handler_a).post(url, payload, format="json")
    assert no_contact.status_code == 422 and no_contact.json()["field"] == "phone"
    payload["phone"] = "13900139000"
    assert api(people.handler_b).post(url, payload, format="json").status_code == 404
    created = api(people.outlet_handler_a).post(url, payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["registry_no"] == activity.complaints.get().complaint.registry_no
    bad = api(people.outlet_handler_a).post(url, payload | {"narrative": " "}, format="json")
    assert bad.status_code in (400, 422) and bad.json()["field"] == "narrative"
