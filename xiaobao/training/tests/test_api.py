"""The training API: branch scope, self-only sign-in, no answer key before submission, the
attempts limit, locked results and recorded corrections, and the schema."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.audit.models import RecordEvent
from xiaobao.training.choices import SessionStatus
from xiaobao.training.models import Attempt, Attendance, Session

from .conftest import at, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(people):
    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def test_trainer_publishes_and_runs_a_session_staff_sign_in_for_themselves(api, staff, course):
    trainer = api(staff.trainer)
    created = trainer.post(
        "/api/v1/training/sessions/",
        {
            "course": course.code,
            "unit": "BR-a",
            "title": "网点消保培训",
            "starts_at": at().isoformat(),
            "ends_at": at(hours=2).isoformat(),
            "roster": ["teller_a", "wealth_a"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["roster_size"] == 2
    assert (
        trainer.post(f"/api/v1/training/sessions/{pk}/advance/", {"to": "signing"}).status_code
        == 200
    )
    teller = api(staff.teller)
    # Not for someone else.
    other = teller.post(f"/api/v1/training/sessions/{pk}/sign-in/", {"user": "wealth_a"})
    assert other.status_code == 403
    assert Attendance.objects.get(session_id=pk, user=staff.manager).status == "enrolled"
    mine = teller.post(f"/api/v1/training/sessions/{pk}/sign-in/", {"user": "teller_a"})
    assert mine.status_code == 200 and mine.json()["user"] == "teller_a"
    again = teller.post(f"/api/v1/training/sessions/{pk}/sign-in/", {})
    assert again.status_code == 409
    # The trainer closes; the one who did not come is absent and flagged.
    closed = trainer.post(f"/api/v1/training/sessions/{pk}/advance/", {"to": "closed"})
    assert closed.json()["status"] == "closed"
    rows = trainer.get(f"/api/v1/training/attendance/?session={pk}").json()["results"]
    assert {r["user"]: (r["status"], r["needs_makeup"]) for r in rows} == {
        "teller_a": ("present", False),
        "wealth_a": ("absent", True),
    }


def test_branch_b_sees_nothing_of_branch_a(api, make_session, people):
    session = make_session()
    client = api(people.officer_b)
    assert client.get(f"/api/v1/training/sessions/{session.pk}/").status_code == 404
    assert client.get("/api/v1/training/sessions/").json()["results"] == []
    refused = client.post(f"/api/v1/training/sessions/{session.pk}/advance/", {"to": "signing"})
    assert refused.status_code == 404
    assert Session.objects.get(pk=session.pk).status == SessionStatus.PLANNED


def test_bad_input_names_the_field(api, staff, course):
    response = api(staff.trainer).post(
        "/api/v1/training/sessions/",
        {
            "course": course.code,
            "unit": "BR-a",
            "title": "x",
            "starts_at": at(hours=2).isoformat(),
            "ends_at": at().isoformat(),
        },
        format="json",
    )
    assert response.status_code in (400, 422)
    assert "ends_at" in json.dumps(response.json())
    assert not Session.objects.exists()


def test_no_answer_key_reaches_a_candidate_before_submission(api, make_exam, staff, bank):
    exam = make_exam()
    client = api(staff.teller)
    started = client.post(f"/api/v1/training/exams/{exam.pk}/start/")
    assert started.status_code == 201
    body = started.json()
    assert all(q["answer"] is None and q["explanation"] is None for q in body["questions"])
    text = json.dumps(body, ensure_ascii=False)
    assert "解析" not in text and '"answer": [' not in text
    fetched = client.get(f"/api/v1/training/attempts/{body['id']}/").json()
    assert all(q["answer"] is None for q in fetched["questions"])
    # The bank itself does not give keys to anyone but its editors.
    assert client.get("/api/v1/training/questions/").status_code == 403
    auditor_view = api(staff.trainer).get("/api/v1/training/questions/").json()["results"][0]
    assert auditor_view["answer"] is not None  # the training admin edits the bank
    # Another member of staff cannot read the paper in progress.
    assert api(staff.manager).get(f"/api/v1/training/attempts/{body['id']}/").status_code == 404
    assert api(staff.trainer).get(f"/api/v1/training/attempts/{body['id']}/").status_code == 404

    attempt = Attempt.objects.get(pk=body["id"])
    submitted = client.post(
        f"/api/v1/training/attempts/{attempt.pk}/submit/",
        {"answers": right_answers(attempt)},
        format="json",
    )
    assert submitted.status_code == 200
    result = submitted.json()
    assert result["status"] == "locked" and result["score"] == "100.0" and result["passed"]
    assert all(q["answer"] is not None and q["correct"] for q in result["questions"])


def test_attempts_limit_and_locked_results_through_the_api(api, make_exam, staff, people):
    exam = make_exam(max_attempts=1)
    client = api(staff.teller)
    pk = client.post(f"/api/v1/training/exams/{exam.pk}/start/").json()["id"]
    assert (
        client.post(
            f"/api/v1/training/attempts/{pk}/submit/", {"answers": {}}, format="json"
        ).status_code
        == 200
    )
    again = client.post(f"/api/v1/training/attempts/{pk}/submit/", {"answers": {}}, format="json")
    assert again.status_code == 409
    refused = client.post(f"/api/v1/training/exams/{exam.pk}/start/")
    assert refused.status_code == 409 and refused.json()["code"] == "attempts_exhausted"
    # The candidate cannot correct; the trainer can, with a reason, and it is recorded.
    assert (
        client.post(
            f"/api/v1/training/attempts/{pk}/correct/", {"score": "90", "reason": "x"}
        ).status_code
        == 403
    )
    no_reason = api(staff.trainer).post(f"/api/v1/training/attempts/{pk}/correct/", {"score": "70"})
    assert no_reason.status_code == 400 and "reason" in json.dumps(no_reason.json())
    fixed = api(staff.trainer).post(
        f"/api/v1/training/attempts/{pk}/correct/", {"score": "70", "reason": "阅卷复核"}
    )
    assert (
        fixed.status_code == 200 and fixed.json()["score"] == "70.0" and fixed.json()["corrected"]
    )
    assert RecordEvent.objects.filter(object_id=pk, action="correct").count() == 1
    assert (
        api(people.officer_b)
        .post(f"/api/v1/training/attempts/{pk}/correct/", {"score": "99", "reason": "x"})
        .status_code
        == 404
    )


def test_coverage_endpoint(api, make_session, staff, people):
    session = make_session(status=SessionStatus.SIGNING)
    api(staff.teller).post(f"/api/v1/training/sessions/{session.pk}/sign-in/", {})
    api(staff.trainer).post(f"/api/v1/training/sessions/{session.pk}/advance/", {"to": "closed"})
    data = api(staff.trainer).get("/api/v1/training/coverage/?unit=OUT-a").json()
    rows = {r["category"]: r for r in data["rows"]}
    assert rows["frontline"]["trained"] == 1
    assert "newbie_a" in data["not_yet_trained"] and "teller_a" not in data["not_yet_trained"]
    assert "wealth_a" in data["sellers_without_qualification"]
    assert api(people.officer_b).get("/api/v1/training/coverage/?unit=OUT-a").status_code == 404


def test_contests_and_qualifications(api, staff, people):
    trainer = api(staff.trainer)
    contest = trainer.post(
        "/api/v1/training/contests/",
        {"title": "消保知识竞赛", "unit": "BR-a", "mode": "team", "held_on": "2026-06-01"},
    )
    assert contest.status_code == 201
    entry = trainer.post(
        f"/api/v1/training/contests/{contest.json()['id']}/entries/",
        {"name": "一队", "members": ["teller_a", "wealth_a"], "score": "95", "award": "一等奖"},
        format="json",
    )
    assert entry.status_code == 201
    qual = trainer.post(
        "/api/v1/training/qualifications/",
        {
            "user": "wealth_a",
            "kind": "fund",
            "number": "JJ-1",
            "issuer": "中国证券投资基金业协会",
            "valid_from": "2024-01-01",
            "valid_to": "2024-01-01",
        },
    )
    assert qual.status_code == 201
    dup = trainer.post(
        "/api/v1/training/qualifications/",
        {
            "user": "wealth_a",
            "kind": "fund",
            "number": "JJ-1",
            "issuer": "x",
            "valid_from": "2024-01-01",
        },
    )
    assert dup.status_code in (400, 422) and "number" in json.dumps(dup.json())
    assert api(people.handler_b).get("/api/v1/training/qualifications/").json()["results"] == []


def test_schema_documents_the_training_endpoints(api, people):
    from drf_spectacular.validation import validate_schema

    schema = json.loads(api(people.hq_officer).get("/api/v1/schema/?format=json").content)
    validate_schema(schema)
    paths = set(schema["paths"])
    for name in (
        "courses",
        "sessions",
        "attendance",
        "questions",
        "exams",
        "attempts",
        "contests",
        "qualifications",
    ):
        assert f"/api/v1/training/{name}/" in paths, name
    assert "/api/v1/training/sessions/{id}/sign-in/" in paths
    assert "/api/v1/training/attempts/{id}/correct/" in paths
    assert "/api/v1/training/coverage/" in paths
