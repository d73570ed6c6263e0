"""Every rule through the pages and the API: branch scope, 400/409 with the field, appeals,
the self-assessment with every 2025 element and its evidence links, gaps to tasks, exports."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xiaobao.assessment import services
from xiaobao.assessment.choices import RunStatus, SchemeStatus
from xiaobao.assessment.models import Score
from xiaobao.assessment.tests.conftest import LAST_YEAR, Q
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import replay
from xiaobao.plans.models import Task

pytestmark = pytest.mark.django_db

ELEMENTS_2025 = [
    "营销行为管理",
    "纠纷化解",
    "体制机制",
    "适当性管理",
    "金融教育",
    "消费者服务",
    "个人信息保护",
]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def run(scheme, people, org, test_metrics):
    test_metrics["testing.coverage"].update({"BR-a": 90, "BR-b": 60})
    run = services.run_create(actor=people.hq_officer, scheme=scheme, unit=org.hq, label="Q3", **Q)
    for score in run.scores.filter(indicator__metric_key=""):
        services.score_set(
            actor=people.hq_officer, score=score, points=0 if score.indicator.code == "V1" else 20
        )
    return run


@pytest.fixture
def self_run(people, org):
    from django.contrib.auth.models import Permission

    people.hq_officer.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    officer = type(people.hq_officer).objects.get(pk=people.hq_officer.pk)
    with replay(datetime(LAST_YEAR - 1, 12, 1, tzinfo=TZ)):
        scheme = services.scheme_load_regulator(actor=officer, year=2025, scheme_year=LAST_YEAR)
        services.scheme_advance(actor=officer, scheme=scheme, to=SchemeStatus.APPROVED)
        scheme = services.scheme_advance(actor=officer, scheme=scheme, to=SchemeStatus.PUBLISHED)
    return services.run_create(
        actor=officer, scheme=scheme, unit=org.hq, label="自评估", **Q
    ), officer


def test_branch_sees_only_its_own_results_page_and_api(run, people, org, client):
    client.force_login(people.officer_b)
    page = client.get(f"/assessment/runs/{run.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-unit="BR-b"' in body and 'data-unit="BR-a"' not in body
    assert client.get(f"/assessment/runs/{run.pk}/?unit={org.branch_a.pk}").status_code == 404
    data = api(people.officer_b).get(f"/api/v1/assessment/runs/{run.pk}/").json()
    assert [r["unit"] for r in data["results"]] == ["BR-b"]
    scores = api(people.officer_b).get(f"/api/v1/assessment/runs/{run.pk}/scores/").json()
    assert {s["unit"] for s in scores} == {"BR-b"}
    other = Score.objects.filter(run=run, unit=org.branch_a).first()
    manual = api(people.officer_b).post(
        f"/api/v1/assessment/runs/{run.pk}/manual-score/",
        {"score": other.pk, "points": "1"},
        format="json",
    )
    assert manual.status_code == 404
    assert api(people.hq_officer).get("/api/v1/assessment/runs/").json()[0]["id"] == run.pk


def test_api_manual_score_rules_and_appeal_flow(run, people, org):
    hq = api(people.hq_officer)
    m1 = Score.objects.get(run=run, unit=org.branch_a, indicator__code="M1")
    too_high = hq.post(
        f"/api/v1/assessment/runs/{run.pk}/manual-score/",
        {"score": m1.pk, "points": "99"},
        format="json",
    )
    assert too_high.status_code == 422 and too_high.json()["field"] == "points"
    assert (
        hq.post(
            f"/api/v1/assessment/runs/{run.pk}/advance/", {"to": "final"}, format="json"
        ).status_code
        == 409
    )
    early = api(people.officer_a).post(
        "/api/v1/assessment/appeals/", {"score": m1.pk, "reason": "不服"}, format="json"
    )
    assert early.status_code == 409
    for to in ("preview", "appeal"):
        assert (
            hq.post(
                f"/api/v1/assessment/runs/{run.pk}/advance/", {"to": to}, format="json"
            ).status_code
            == 200
        )
    filed = api(people.officer_a).post(
        "/api/v1/assessment/appeals/", {"score": m1.pk, "reason": "补充材料"}, format="json"
    )
    assert filed.status_code == 201, filed.json()
    refused = api(people.officer_a).post(
        f"/api/v1/assessment/appeals/{filed.json()['id']}/decide/",
        {"upheld": True, "decision": "成立", "points": "25"},
        format="json",
    )
    assert refused.status_code == 403  # a branch does not judge its own appeal
    decided = hq.post(
        f"/api/v1/assessment/appeals/{filed.json()['id']}/decide/",
        {"upheld": True, "decision": "材料属实", "points": "25"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["points_after"] == "25.00"
    result = hq.get(f"/api/v1/assessment/runs/{run.pk}/").json()["results"]
    assert next(r for r in result if r["unit"] == "BR-a")["total"] == "57.00"  # 32 + 25


def test_page_errors_name_the_field_and_illegal_moves_are_409(run, people, org, client):
    client.force_login(people.hq_officer)
    m1 = Score.objects.get(run=run, unit=org.branch_a, indicator__code="M1")
    bad = client.post(f"/assessment/runs/{run.pk}/score/", {"score": m1.pk, "points": "abc"})
    assert bad.status_code == 400 and "得分：得分须为数字。" in bad.content.decode()
    assert Score.objects.get(pk=m1.pk).points == Decimal("20.00")
    illegal = client.post(f"/assessment/runs/{run.pk}/advance/", {"to": "locked"})
    assert illegal.status_code == 409
    ok = client.post(f"/assessment/runs/{run.pk}/advance/", {"to": "preview"})
    assert ok.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.PREVIEW
    client.force_login(people.officer_a)
    assert client.post(f"/assessment/runs/{run.pk}/advance/", {"to": "appeal"}).status_code == 403


def test_self_assessment_shows_every_2025_element_with_evidence_links(self_run, org, client):
    run, officer = self_run
    hq_scores = Score.objects.filter(run=run, unit=org.hq)
    assert {s.indicator.element.name for s in hq_scores} == set(ELEMENTS_2025)
    manual = hq_scores.get(indicator__code="PIP1")
    services.score_evidence_add(
        actor=officer, score=manual,
        upload=SimpleUploadedFile("个人信息保护制度.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )  # fmt: skip
    client.force_login(officer)
    page = client.get(f"/assessment/runs/{run.pk}/?unit={org.hq.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    for name in ELEMENTS_2025:
        assert name in body
    assert body.count('class="bar"') + body.count("无数据") >= 7  # one bar or 无数据 per element
    assert "个人信息保护制度.pdf" in body and "/evidence/" in body
    # Indicators whose metric is not registered here say so, never a made-up figure.
    assert "无数据" in body
    data = api(officer).get(f"/api/v1/assessment/runs/{run.pk}/scores/?unit={org.hq.code}").json()
    pip = next(s for s in data if s["indicator"] == "PIP1")
    assert pip["element"] == "PIP" and pip["evidence"][0]["label"] == "个人信息保护制度.pdf"
    # The 自评报告 by element.
    report = client.get(f"/assessment/runs/{run.pk}/report.docx?unit={org.hq.pk}")
    lines = [p.text for p in Document(io.BytesIO(report.content)).paragraphs]
    assert [
        line
        for line in lines
        if line[:2] in ("二、", "三、", "四、", "五、", "六、", "七、", "八、")
    ] == [f"{n}、{e}" for n, e in zip("二三四五六七八", ELEMENTS_2025, strict=True)]
    assert any(line.startswith("证据：个人信息保护制度.pdf") for line in lines)


def test_gap_becomes_a_task(self_run, org, client):
    run, officer = self_run
    score = Score.objects.get(run=run, unit=org.hq, indicator__code="SUI1")
    client.force_login(officer)
    empty = client.post(
        f"/assessment/runs/{run.pk}/gap/",
        {"score": score.pk, "title": "", "due_date": "2099-01-01"},
    )
    assert empty.status_code == 400 and "任务名称" in empty.content.decode()
    client.post(
        f"/assessment/runs/{run.pk}/gap/",
        {"score": score.pk, "title": "制定特殊群体适当性保护制度", "due_date": "2099-03-31"},
    )
    task = Task.objects.get()
    assert task.source_kind == "self_assessment_gap" and task.source_id == score.pk
    assert task.title == "制定特殊群体适当性保护制度"


def test_hr_export_from_the_page(run, people, client):
    client.force_login(people.hq_officer)
    response = client.get(f"/assessment/runs/{run.pk}/hr.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[1][0] == "机构代码" and rows[1][9] == "消保考核占综合绩效权重（%）"
    assert rows[2][11] == "消保考核权重4%低于下限5%"
    client.force_login(people.officer_a)
    assert client.get(f"/assessment/runs/{run.pk}/hr.xlsx").status_code == 403


def test_schemes_api_and_publishing(people):
    data = api(people.hq_officer).post(
        "/api/v1/assessment/schemes/999/advance/", {"to": "published"}, format="json"
    )
    assert data.status_code == 404
    listing = api(people.auditor).get("/api/v1/assessment/schemes/")
    assert listing.status_code == 200


def test_scheme_built_through_the_api_refuses_complaint_volume(people):
    hq = api(people.hq_officer)
    created = hq.post(
        "/api/v1/assessment/schemes/",
        {"code": "API-1", "name": "接口方案", "year": LAST_YEAR, "unit_kinds": ["branch"]},
        format="json",
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    pk = created.json()["id"]
    volume = hq.post(
        f"/api/v1/assessment/schemes/{pk}/indicators/",
        {"code": "C1", "name": "投诉量", "kind": "auto", "metric_key": "complaints.received",
         "target": "0", "zero_at": "10", "weight": "100"},
        format="json",
    )  # fmt: skip
    assert volume.status_code == 422 and volume.json()["field"] == "metric_key"
    ok = hq.post(
        f"/api/v1/assessment/schemes/{pk}/indicators/",
        {"code": "C1", "name": "按时办结率", "kind": "auto", "metric_key": "complaints.timely_rate",
         "target": "100", "zero_at": "80", "weight": "100"},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 201
    refused = api(people.officer_a).post(
        f"/api/v1/assessment/schemes/{pk}/advance/", {"to": "approved"}, format="json"
    )
    assert refused.status_code == 403


def test_staff_lines_on_the_page_respect_the_branch_scope(people, org, client, test_metrics):
    from django.contrib.auth.models import Permission

    from xiaobao.assessment.tests.conftest import published_scheme
    from xiaobao.organisation.choices import Role

    people.hq_officer.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    officer = type(people.hq_officer).objects.get(pk=people.hq_officer.pk)
    scheme = published_scheme(officer, code="STAFF", staff_roles=(Role.BRANCH_CP_OFFICER,))
    run = services.run_create(actor=officer, scheme=scheme, unit=org.hq, label="Q3", **Q)
    client.force_login(officer)
    body = client.get(f"/assessment/runs/{run.pk}/").content.decode()
    assert 'data-staff="officer_a"' in body and 'data-staff="officer_b"' in body
    mine = client.get(f"/assessment/runs/{run.pk}/?staff={people.officer_a.pk}")
    assert mine.status_code == 200 and 'data-indicator="M1"' in mine.content.decode()
    m1 = Score.objects.get(run=run, staff=people.officer_a, indicator__code="M1")
    saved = client.post(
        f"/assessment/runs/{run.pk}/score/",
        {"score": m1.pk, "points": "27", "view_staff": people.officer_a.pk},
    )
    assert saved.status_code == 302 and saved["Location"].endswith(f"?staff={people.officer_a.pk}")
    client.force_login(people.officer_b)
    assert client.get(f"/assessment/runs/{run.pk}/?staff={people.officer_a.pk}").status_code == 404
    body = client.get(f"/assessment/runs/{run.pk}/").content.decode()
    assert 'data-staff="officer_b"' in body and 'data-staff="officer_a"' not in body
