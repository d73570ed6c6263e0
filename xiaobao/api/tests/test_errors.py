"""The one error shape, also where no endpoint is reached (found by the schemathesis run)."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from xiaobao.api.errors import server_error

from .conftest import body, payload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"
SHAPE = {"code", "message", "field", "errors"}


@pytest.mark.parametrize(
    "url", ["/api/v1/complaints/-1/", "/api/v1/complaints/abc/events/", "/api/v1/nothing/"]
)
def test_a_path_no_endpoint_matches_is_a_json_404(api_a, url):
    response = api_a.get(url)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert set(body(response)) == SHAPE and body(response)["code"] == "not_found"
    assert "未找到" in body(response)["message"]


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/portal/nothing/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_crash_under_the_api_is_a_json_500():
    response = server_error(RequestFactory().get("/api/v1/complaints/"))
    data = json.loads(response.content)
    assert response.status_code == 500 and set(data) == SHAPE
    assert data["code"] == "server_error" and "服务器内部错误" in data["message"]
    page = server_error(RequestFactory().get("/portal/"))
    assert page.status_code == 500 and b"<h1>" in page.content


def test_an_error_of_a_whole_list_names_the_list(api_a):
    response = api_a.post(LIST, payload(complainants=[]), format="json")
    out = body(response)
    assert response.status_code == 400 and out["field"] == "complainants"
    assert set(out["errors"]) == {"complainants"} and out["message"].startswith("complainants：")


def test_an_error_of_a_whole_item_names_the_item(api_a):
    response = api_a.post(LIST, payload(complainants=["张伟"]), format="json")
    out = body(response)
    assert response.status_code == 400 and out["field"] == "complainants.0"


def test_roots_have_no_parent_and_the_schema_says_so(api_a, org):
    units = {u["code"]: u for u in body(api_a.get("/api/v1/units/"))}
    terms = body(api_a.get("/api/v1/taxonomies/?axis=business_category"))
    assert units["SUB-a"]["parent"] == "BR-a"
    assert any(t["parent"] is None for t in terms)
    components = json.loads(api_a.get("/api/v1/schema/?format=json").content)["components"]
    for name in ("TaxonomyTermOut", "UnitOut"):
        assert components["schemas"][name]["properties"]["parent"]["nullable"] is True


@pytest.mark.parametrize("when", ["0008-01-15T07:57:17Z", "1999-12-31T15:59:59Z"])
def test_a_moment_before_2000_is_a_typing_error(api_a, when):
    response = api_a.post(LIST, payload(received_at=when), format="json")
    out = body(response)
    assert response.status_code == 400 and out["field"] == "received_at"
    assert out["message"] == "received_at：时间不能早于2000年1月1日。"
    assert (
        api_a.post(
            LIST, payload(received_at="2000-01-01T00:00:00+08:00"), format="json"
        ).status_code
        == 201
    )


def test_a_follow_up_in_the_year_8_is_refused(api_a, notified_a, people):
    from xiaobao.complaints import services

    services.complaint_close(
        actor=people.handler_a, complaint=notified_a, root_cause="告知流程缺失。", at_fault=False
    )
    url = f"/api/v1/complaints/{notified_a.pk}/follow-up/"
    data = {"result": "satisfied", "method": "phone", "made_at": "0008-01-15T07:57:17Z"}
    response = api_a.post(url, data, format="json")
    assert response.status_code == 400 and body(response)["field"] == "made_at"
