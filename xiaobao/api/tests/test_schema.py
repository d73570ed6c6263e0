"""The OpenAPI schema and the offline documentation page."""

from __future__ import annotations

import json
import re

import pytest
from drf_spectacular.validation import validate_schema

from .conftest import RAW_PI, body

pytestmark = pytest.mark.django_db

ACTIONS = (
    "accept",
    "assign",
    "classify",
    "pause",
    "resume",
    "new-facts",
    "extension-request",
    "decide",
    "notify",
    "close",
    "withdraw",
    "decline",
    "merge",
    "flag-major",
    "review",
    "follow-up",
)


def test_schema_is_valid_openapi_3_with_every_complaint_path(api_a):
    response = api_a.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {
        "/api/v1/complaints/",
        "/api/v1/complaints/{id}/",
        "/api/v1/complaints/{id}/events/",
    } <= set(paths)
    for name in ACTIONS:
        assert f"/api/v1/complaints/{{id}}/{name}/" in paths, name
        assert "post" in paths[f"/api/v1/complaints/{{id}}/{name}/"]
    assert "/api/v1/complaints/{id}/extensions/{extension_pk}/approve/" in paths
    assert "post" in paths["/api/v1/complaints/{id}/text-reveal/"]  # i1718: free text as typed
    create = paths["/api/v1/complaints/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    assert {"400", "403", "409", "422"} <= set(
        paths["/api/v1/complaints/{id}/accept/"]["post"]["responses"]
    )
    listing = paths["/api/v1/complaints/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "status", "intake_channel", "unit", "due", "q"} <= names
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"


def test_schema_needs_credentials(client):
    assert client.get("/api/v1/schema/").status_code in (401, 403)


def test_every_get_endpoint_answers_without_server_error(api_a, notified_a):
    """A cheap walk over the schema: every GET path, with real ids, never 500s."""
    schema = json.loads(api_a.get("/api/v1/schema/?format=json").content)
    for path, item in schema["paths"].items():
        if "get" not in item or "{extension_pk}" in path or "{complainant_pk}" in path:
            continue
        url = path.replace("{id}", str(notified_a.pk)).replace("{code}", "SUB-a")
        if "taxonomies/{" in path:
            url = path.replace("{id}", "1")
        response = api_a.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code >= 400:
            assert set(body(response)) == {"code", "message", "field", "errors"}


def test_docs_page_works_offline(client, people):
    from conftest import PASSWORD

    assert client.get("/api/v1/docs/").status_code == 302  # staff log in first
    client.login(username="handler_a", password=PASSWORD)
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/api/v1/complaints/{id}/accept/" in html and "登记投诉" in html
    # Nothing fetched from outside: no CDN is reachable on the bank's network.
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []


def test_browsable_api_root_lists_the_resources(client, people):
    from conftest import PASSWORD

    client.login(username="handler_a", password=PASSWORD)
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert set(json.loads(response.content)) == {
        "complaints",
        "taxonomies",
        "units",
        "governance/meetings",
        "governance/rules",
        "plans",
        "tasks",
        "privacy-requests",
    }


def test_browsable_api_pages_render(client, people, notified_a):
    from conftest import PASSWORD

    client.login(username="handler_a", password=PASSWORD)
    for url in (
        "/api/v1/complaints/",
        f"/api/v1/complaints/{notified_a.pk}/",
        f"/api/v1/complaints/{notified_a.pk}/events/",
        f"/api/v1/complaints/{notified_a.pk}/close/",
        "/api/v1/units/",
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code in (200, 405), url
        assert b"<html" in response.content[:600].lower()
        assert not [v for v in RAW_PI if v in response.content.decode()], url
    html = client.get(
        f"/api/v1/complaints/{notified_a.pk}/close/", HTTP_ACCEPT="text/html"
    ).content.decode()
    assert "root_cause" in html  # the action's own input form


def test_documented_status_codes_match_the_responses(api_a):
    schema = json.loads(api_a.get("/api/v1/schema/?format=json").content)
    posts = {p: item["post"] for p, item in schema["paths"].items() if "post" in item}
    # Other apps' endpoints (outreach …) check their own 201s in their own tests.
    created = sorted(
        p
        for p, op in posts.items()
        if "201" in op["responses"] and p.startswith("/api/v1/complaints/")
    )
    assert created == [
        "/api/v1/complaints/",
        "/api/v1/complaints/{id}/extension-request/",
        "/api/v1/complaints/{id}/follow-up/",
        "/api/v1/complaints/{id}/letter/",
        "/api/v1/complaints/{id}/review/",
    ]
