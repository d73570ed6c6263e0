"""The API: scope, the vendor account's narrow view, errors naming fields, the workflow through
HTTP, the results-workbook import with row-level errors, examinations and meetings."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from openpyxl import Workbook
from rest_framework.test import APIClient

from conftest import PASSWORD, create_user
from xiaobao.api.services import api_token_create
from xiaobao.evidence.selectors import evidence_for
from xiaobao.inspections import services
from xiaobao.inspections.choices import FindingStatus, VisitKind, VisitStatus
from xiaobao.inspections.models import Finding, ItemResult, ServiceMeeting, Visit
from xiaobao.inspections.tests.conftest import BAD, GOOD, photo
from xiaobao.lib.clock import now as clock_now
from xiaobao.organisation.choices import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/inspections"


@pytest.fixture
def api(people):
    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def record_body(results=BAD, **extra):
    return {
        "results": [{"code": c, "value": v, "note": n} for c, (v, n) in results.items()]
    } | extra


def test_an_inspector_records_submits_and_the_office_publishes_through_the_api(
    api, people, org, checklist, inspector
):
    me = api(inspector)
    r = me.post(
        f"{URL}/visits/",
        {"outlet": "OUT-a", "kind": "mystery", "scenario": "wealth", "checklist": checklist.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = me.post(f"{URL}/visits/{pk}/record/", record_body(), format="json")
    assert r.status_code == 200 and r.json()["score"] == "66.67"
    r = me.post(
        f"{URL}/visits/{pk}/evidence/", {"file": photo("a.jpg", seed=5)}, format="multipart"
    )
    assert r.status_code == 201
    assert me.post(f"{URL}/visits/{pk}/submit/").status_code == 200
    # The inspector may not publish (no right); another branch's officer cannot see it.
    assert me.post(f"{URL}/visits/{pk}/publish/").status_code == 403
    assert api(people.officer_b).post(f"{URL}/visits/{pk}/publish/").status_code == 404
    r = api(people.officer_a).post(f"{URL}/visits/{pk}/publish/")
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["appeal_due"]
    # Publishing twice is an illegal transition.
    r = api(people.officer_a).post(f"{URL}/visits/{pk}/publish/")
    assert r.status_code == 409
    r = api(people.outlet_handler_a).post(
        f"{URL}/visits/{pk}/appeal/", {"reason": ""}, format="json"
    )
    assert r.status_code == 400 and "reason" in json.dumps(r.json())
    r = api(people.outlet_handler_a).post(
        f"{URL}/visits/{pk}/appeal/", {"reason": "有异议", "item_codes": ["ENV-01"]}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "appealed"
    r = api(people.officer_a).post(
        f"{URL}/visits/{pk}/decide/", {"decision": "rejected", "reply": "维持"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "final"
    findings = api(people.outlet_handler_a).get(f"{URL}/findings/").json()["results"]
    assert {f["status"] for f in findings} == {"open"}
    fid = findings[0]["id"]
    r = api(people.outlet_handler_a).post(
        f"{URL}/findings/{fid}/submit/", {"note": "已整改"}, format="multipart"
    )
    assert r.status_code == 422 and r.json()["field"] == "files"
    pdf = SimpleUploadedFile("z.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    r = api(people.outlet_handler_a).post(
        f"{URL}/findings/{fid}/submit/", {"note": "已整改", "files": [pdf]}, format="multipart"
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = api(people.officer_a).post(f"{URL}/findings/{fid}/accept/", {}, format="json")
    assert (
        r.status_code == 200
        and r.json()["status"] == "closed"
        and r.json()["task_status"] == "done"
    )


def test_own_unit_assignment_is_refused_with_the_field(api, people, org, checklist):
    at_a = create_user("insp_at_a", org.outlet_a, Role.INSPECTOR)
    r = api(people.officer_a).post(
        f"{URL}/visits/",
        {
            "outlet": "OUT-a",
            "kind": "onsite",
            "scenario": "fees",
            "checklist": checklist.pk,
            "inspector": at_a.username,
        },
        format="json",
    )
    assert (
        r.status_code == 422
        and r.json()["field"] == "inspector"
        and "本人所在机构" in r.json()["message"]
    )
    assert not Visit.objects.exists()


def test_a_vendor_sees_only_its_visits_and_no_personal_data(
    api, people, org, checklist, vendor, make_visit, inspector
):
    theirs = make_visit(by=vendor)
    other = make_visit(status="submitted")
    client = api(vendor)
    rows = client.get(f"{URL}/visits/").json()["results"]
    assert [r["id"] for r in rows] == [theirs.pk]
    assert client.get(f"{URL}/visits/{other.pk}/").status_code == 404
    body = client.get(f"{URL}/visits/{theirs.pk}/").json()
    for personal in ("inspector", "reviewed_by", "matched_complaint", "appeal_text"):
        assert personal not in body
    assert (
        client.post(
            f"{URL}/visits/{theirs.pk}/record/", record_body(GOOD), format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{URL}/visits/{other.pk}/record/", record_body(GOOD), format="json"
        ).status_code
        == 404
    )
    # Nothing else: no complaints, findings, units, tasks or other people's evidence.
    for path in (
        "/api/v1/complaints/",
        f"{URL}/findings/",
        "/api/v1/tasks/",
        f"{URL}/examinations/",
    ):
        assert client.get(path).status_code in (403, 404), path
    page = Client()
    page.login(username=vendor.username, password=PASSWORD)
    assert page.get("/complaints/").status_code == 403
    assert page.get(f"/inspections/visits/{theirs.pk}/").status_code == 200
    assert page.get(f"/inspections/visits/{other.pk}/").status_code == 404
    others_photo = evidence_for(other).first()
    assert page.get(f"/evidence/{others_photo.pk}/").status_code == 404
    # The office sees the names.
    assert (
        api(people.officer_a).get(f"{URL}/visits/{theirs.pk}/").json()["inspector"]
        == vendor.username
    )


def _workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["检查编号", "项目代码", "结果", "说明"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("vendor.xlsx", buffer.getvalue())


def test_vendor_workbook_import_reports_each_bad_row_and_writes_nothing(
    api, people, org, checklist, vendor
):
    today = timezone.localdate(clock_now())
    plan = services.plan_create(
        actor=people.hq_officer,
        data=services.PlanData(
            name="外包暗访",
            kind=VisitKind.MYSTERY,
            unit=org.hq,
            checklist=checklist,
            starts_on=date(today.year, 1, 1),
            ends_on=date(today.year, 12, 31),
            vendor_name="某调研公司",
        ),
    )
    a, b = services.plan_schedule(actor=people.hq_officer, plan=plan, inspectors=[vendor], seed=1)
    client = api(people.hq_officer)
    bad = _workbook(
        [
            [a.pk, "ENV-01", "是", ""],
            [a.pk, "SVC-01", "9", ""],
            [999999, "ENV-01", "是", ""],
            [b.pk, "NOPE", "1", ""],
        ]
    )
    r = client.post(f"{URL}/plans/{plan.pk}/import/", {"file": bad}, format="multipart")
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert [e["row"] for e in errors] == [3, 4, 5]
    assert (
        "0—4" in errors[0]["message"]
        and "999999" in errors[1]["message"]
        and "NOPE" in errors[2]["message"]
    )
    assert not ItemResult.objects.exists()
    good = _workbook(
        [[a.pk, c, v, n] for c, (v, n) in BAD.items()] + [[b.pk, "ENV-01", "否", "未公示"]]
    )
    r = client.post(f"{URL}/plans/{plan.pk}/import/", {"file": good}, format="multipart")
    assert r.status_code == 200 and r.json() == {"rows": 5, "visits": 2, "errors": []}
    a.refresh_from_db()
    assert a.status == VisitStatus.DRAFT and str(a.score) == "66.67"
    r = client.post(
        f"{URL}/plans/{plan.pk}/import/",
        {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")},
        format="multipart",
    )
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_examination_findings_penalties_and_report_back(api, people, org):
    client = api(people.hq_officer)
    r = client.post(
        f"{URL}/examinations/",
        {
            "regulator": "国家金融监督管理总局某监管局",
            "notice_no": "金监检〔2026〕12号",
            "notice_date": str(clock_now().date()),
            "unit": "BR-a",
            "scope": "消费者权益保护工作",
            "report_back_due": str(clock_now().date() + timedelta(days=30)),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    due = str(clock_now().date() + timedelta(days=20))
    finding = {
        "unit": "OUT-a",
        "title": "未按规定公示收费标准",
        "severity": "medium",
        "due_date": due,
        "penalty": "罚款20万元",
        "penalty_amount": "200000",
    }
    assert (
        client.post(f"{URL}/examinations/{pk}/findings/", finding, format="json").status_code == 409
    )
    assert (
        client.post(
            f"{URL}/examinations/{pk}/advance/", {"to": "onsite"}, format="json"
        ).status_code
        == 200
    )
    r = client.post(f"{URL}/examinations/{pk}/findings/", finding, format="json")
    assert r.status_code == 201 and r.json()["status"] == "open" and r.json()["task"]
    r = client.post(
        f"{URL}/examinations/{pk}/findings/", finding | {"unit": "OUT-b"}, format="json"
    )
    assert r.status_code == 422 and r.json()["field"] == "unit"
    assert (
        client.post(
            f"{URL}/examinations/{pk}/advance/", {"to": "rectifying"}, format="json"
        ).status_code
        == 200
    )
    report = SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    r = client.post(f"{URL}/examinations/{pk}/report/", {"file": report}, format="multipart")
    assert (
        r.status_code == 200
        and r.json()["status"] == "reported"
        and r.json()["penalty_amount"] == "200000.00"
    )
    r = client.post(f"{URL}/examinations/{pk}/advance/", {"to": "closed"}, format="json")
    assert r.status_code == 409  # a finding is still being rectified
    assert Finding.objects.get(examination_id=pk).status == FindingStatus.OPEN


def test_weekly_meeting_with_attendance(api, people, org):
    client = api(people.outlet_handler_a)
    body = {
        "unit": "OUT-a",
        "held_on": str(clock_now().date()),
        "topic": "本周服务问题复盘",
        "minutes": "讨论了收费公示。",
        "present": ["outlet_handler_a"],
        "absent": ["outlet_handler_a"],
    }
    r = client.post(f"{URL}/meetings/", body, format="json")
    assert r.status_code == 422 and r.json()["field"] == "absent"
    r = client.post(f"{URL}/meetings/", body | {"absent": []}, format="json")
    assert r.status_code == 201 and r.json()["present"] == ["outlet_handler_a"]
    r = client.post(
        f"{URL}/meetings/", body | {"absent": [], "present": ["handler_b"]}, format="json"
    )
    assert r.status_code == 422 and r.json()["field"] == "present"
    assert ServiceMeeting.objects.count() == 1
    assert api(people.officer_b).get(f"{URL}/meetings/").json()["results"] == []


def test_schema_is_valid_and_documents_the_endpoints(api, people):
    schema = json.loads(api(people.hq_officer).get("/api/v1/schema/?format=json").content)
    validate_schema(schema)
    for path in (
        "/api/v1/inspections/visits/",
        "/api/v1/inspections/findings/",
        "/api/v1/inspections/plans/{id}/import/",
    ):
        assert path in schema["paths"]


def test_checklist_versions_and_a_plan_scheduled_through_the_api(api, people, org, checklist):
    client = api(people.hq_officer)
    item = {
        "section": "服务环境",
        "code": "ENV-09",
        "text": "叫号机可用",
        "scoring_type": "yes_no",
        "points": "5",
    }
    r = client.post(
        f"{URL}/checklists/",
        {
            "code": "MS",
            "name": "神秘人暗访清单",
            "previous": checklist.pk,
            "checklist_items": [item],
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["status"] == "draft"
    v2 = r.json()["id"]
    bad = item | {"scoring_type": "scale", "code": "X"}
    r = client.post(
        f"{URL}/checklists/",
        {"code": "NEW", "name": "新清单", "checklist_items": [bad]},
        format="json",
    )
    assert (
        r.status_code == 422 and r.json()["field"] == "items" and "分档上限" in r.json()["message"]
    )
    assert api(people.officer_a).post(f"{URL}/checklists/{v2}/activate/").status_code == 403
    assert client.post(f"{URL}/checklists/{v2}/activate/").json()["status"] == "active"
    year = timezone.localdate(clock_now()).year
    plan = {
        "name": "分行现场检查",
        "kind": "onsite",
        "unit": "BR-a",
        "checklist": v2,
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "visits_per_outlet": 2,
    }
    assert api(people.officer_b).post(f"{URL}/plans/", plan, format="json").status_code == 403
    r = api(people.officer_a).post(f"{URL}/plans/", plan, format="json")
    assert r.status_code == 201
    at_a = create_user("insp_at_a", org.outlet_a, Role.INSPECTOR)
    r = api(people.officer_a).post(
        f"{URL}/plans/{r.json()['id']}/schedule/", {"inspectors": [at_a.username]}, format="json"
    )
    assert r.status_code == 422 and r.json()["field"] == "inspectors"
