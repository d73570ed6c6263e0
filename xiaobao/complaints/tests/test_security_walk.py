"""The attack, repeatable: every URL and API operation walked as every role.

For each route of the URLconf (the admin has its own walk in organisation/tests/test_admin_access)
the test fills the route's parameters with records of branch A and requests it as anonymous, as
staff of branch B, as the auditor and as staff of branch A, with GET and with an empty POST. It
asserts the edge's answer: never a server error; anonymous staff pages go to the login and API
calls get 401; a record of another branch looks like one that does not exist (404); the auditor
writes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from xiaobao.complaints.models import Complaint

pytestmark = pytest.mark.django_db

# Reachable without signing in (the consumer portal, the login and the health check).
PUBLIC = ("portal/", "login/", "healthz", "i18n/setlang/")
# Posts that change only the caller's own session or preferences.
OWN_STATE = (
    "logout/",
    "i18n/setlang/",
    "watch/",
    "complaints/saved-filters/",
    "complaints/person-lookup/",
    "api/v1/complaints/person-lookup/",
    "search/",
    "api/v1/docs/",  # the offline API documentation page answers any method with itself
)


def _routes() -> list[str]:
    """Every route as a regex-free template: '<pk>' style placeholders, admin excluded."""
    out: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            text = str(p.pattern)
            if isinstance(p, URLResolver):
                if text.startswith("admin/"):
                    continue
                walk(p.url_patterns, prefix + text)
            elif isinstance(p, URLPattern):
                out.append(prefix + text)

    walk(get_resolver().url_patterns, "")
    return out


def test_routes_are_filled_into_real_paths(routes, register):
    case = register()
    paths = [_fill(r, case) for r in routes]
    assert f"/api/v1/complaints/{case.pk}/accept/" in paths
    assert f"/complaints/{case.pk}/reveal/" in paths
    assert not any("(?P" in p or "<" in p for p in paths)


def _fill(route: str, case: Complaint) -> str:
    """Parameters filled with branch A's records (a case, its complainant, its event)."""
    person = case.complainants.first()
    values = {
        "pk": case.pk,
        "complainant_pk": person.pk if person else 1,
        "extension_pk": 1,
        "attachment_pk": 1,
        "name": "accept",
        "code": "BR-a",
    }
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), 1)), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), path)
    path = path.replace("\\.", ".")
    return "/" + path


def _is_case_route(route: str) -> bool:
    return bool(re.search(r"complaints/(<int:pk>|\(\?P<pk>)", route))


@pytest.fixture
def case_a(register) -> Complaint:
    return register()


@pytest.fixture
def routes() -> list[str]:
    found = _routes()
    assert len(found) > 60  # the whole product, not a handful
    return found


def _client(user: Any, api: bool) -> Any:
    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def test_no_route_errors_for_anyone(routes, case_a, people):
    for user in (None, people.handler_b, people.officer_b, people.auditor, people.handler_a):
        for route in routes:
            path = _fill(route, case_a)
            client = _client(user, api=path.startswith("/api/"))
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code < 500, (user, method, path, response.status_code)


def test_anonymous_reaches_only_the_public_doors(routes, case_a):
    for route in routes:
        path = _fill(route, case_a)
        if path.lstrip("/").startswith(PUBLIC):
            continue
        if path.startswith("/api/v1/docs"):
            response = Client().get(path)  # an HTML page: to the login like the workbench
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        elif path.startswith("/api/"):
            response = APIClient().get(path)
            assert response.status_code in (401, 403), (path, response.status_code)
        else:
            response = Client().get(path)
            if response.status_code == 405:
                continue  # a POST-only door (logout): nothing is shown either way
            assert response.status_code == 302, (path, response.status_code)
            assert response["Location"].startswith("/login/"), path


def test_other_branch_sees_no_case_of_branch_a(routes, case_a, people):
    """Reads and writes on a branch-A case by branch-B staff: 404, as if it did not exist."""
    case_routes = [r for r in routes if _is_case_route(r)]
    assert len(case_routes) >= 20
    for user in (people.handler_b, people.officer_b):
        for route in case_routes:
            path = _fill(route, case_a)
            client = _client(user, api=path.startswith("/api/"))
            for method in ("get", "post"):
                status = getattr(client, method)(path).status_code
                assert status in (404, 405), (user, method, path, status)


def test_auditor_writes_nothing(routes, case_a, people):
    before = (Complaint.objects.count(), case_a.events.count(), case_a.status)
    for route in routes:
        path = _fill(route, case_a)
        if path.lstrip("/").startswith(OWN_STATE):
            continue
        client = _client(people.auditor, api=path.startswith("/api/"))
        response = client.post(path, {"reason": "审计测试写入", "narrative": "审计测试"})
        # 415: a body in a content type the operation does not take is refused before it is read.
        assert response.status_code in (400, 403, 404, 405, 415, 422) or (
            response.status_code in (200, 302) and not path.startswith("/api/")
        ), (path, response.status_code)
    case_a.refresh_from_db()
    assert (Complaint.objects.count(), case_a.events.count(), case_a.status) == before


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "WyJ4IiwgMV0", "WzEsIDJd", "WyIyMDI2LTAxLTA1IiwgIngiXQ", "W10", "bnVsbA", "e30"],
)
def test_tampered_registry_cursor_is_the_first_page_not_a_500(client, case_a, people, cursor):
    client.force_login(people.officer_a)
    response = client.get("/complaints/", {"cursor": cursor})
    assert response.status_code == 200
