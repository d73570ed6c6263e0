"""Plans and tasks over the REST API: scope, the task actions and the one error mapping."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    _, raw = api_token_create(actor=None, owner=user, name="测试")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_lists_are_branch_scoped(hq_plan, people):
    plan, _, (a, b) = hq_plan
    ids = {t["id"] for t in _api(people.officer_a).get("/api/v1/tasks/").json()["results"]}
    assert ids == {a.pk}
    assert _api(people.officer_b).get(f"/api/v1/tasks/{a.pk}/").status_code == 404
    hq = _api(people.hq_officer)
    assert {t["id"] for t in hq.get("/api/v1/tasks/").json()["results"]} == {a.pk, b.pk}
    detail = hq.get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["status"] == "in_progress" and detail["measures"][0]["number"] == 1
    assert _api(people.officer_a).get("/api/v1/plans/").json()["results"] == []
    assert _api(people.auditor).get(f"/api/v1/plans/{plan.pk}/").status_code == 200


def test_task_actions_and_error_codes(hq_plan, people):
    _, _, (a, _b) = hq_plan
    branch = _api(people.officer_a)
    bad = branch.post(f"/api/v1/tasks/{a.pk}/progress/", {"pct": 130, "text": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"pct", "text"}
    ok = branch.post(
        f"/api/v1/tasks/{a.pk}/progress/", {"pct": 40, "text": "方案已印发"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    assert ok.json()["progress_pct"] == 40
    # Branch A cannot verify its own work: 403; accepting before submission: 409.
    assert branch.post(f"/api/v1/tasks/{a.pk}/accept/", {}, format="json").status_code == 403
    hq = _api(people.hq_officer)
    early = hq.post(f"/api/v1/tasks/{a.pk}/accept/", {}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    assert _api(people.auditor).post(
        f"/api/v1/tasks/{a.pk}/submit/", {"note": "x"}, format="json"
    ).status_code in (403, 404)
    done = branch.post(f"/api/v1/tasks/{a.pk}/submit/", {"note": "已完成"}, format="json")
    assert done.json()["status"] == "submitted"
    back = hq.post(f"/api/v1/tasks/{a.pk}/return/", {"reason": "缺少照片"}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "returned"
    branch.post(f"/api/v1/tasks/{a.pk}/submit/", {"note": "补充照片"}, format="json")
    accepted = hq.post(f"/api/v1/tasks/{a.pk}/accept/", {"note": "同意"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "done"


def test_tasks_and_plans_are_in_the_schema(people):
    schema = _api(people.hq_officer).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/plans/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/progress/",
        "/api/v1/tasks/{id}/submit/",
        "/api/v1/tasks/{id}/accept/",
        "/api/v1/tasks/{id}/return/",
    ):
        assert path in schema["paths"], path
