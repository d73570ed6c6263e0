"""Tokens: who may call, as whom, and how far they see."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from xiaobao.api.models import ApiToken
from xiaobao.api.services import api_token_create, api_token_revoke
from xiaobao.audit.models import AuditEvent

from .conftest import GuardedClient, body

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"


def _client(raw: str | None = None) -> GuardedClient:
    client = GuardedClient()
    if raw:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_no_credentials_is_401_with_a_chinese_message(people):
    response = _client().get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    data = body(response)
    assert data["code"] == "not_authenticated" and "令牌" in data["message"]
    assert data["field"] is None and data["errors"] == {}


@pytest.mark.parametrize("raw", ["xb_deadbeef_nope", "not-a-token", "xb_x"])
def test_unknown_token_is_401(people, raw):
    response = _client(raw).get(LIST)
    assert response.status_code == 401
    assert body(response)["code"] == "authentication_failed"
    assert "令牌无效" in body(response)["message"]


def test_token_acts_as_its_owner_and_records_last_use(people, case_a):
    token, raw = api_token_create(actor=None, owner=people.handler_a, name="客服中心")
    assert raw.startswith(f"xb_{token.prefix}_") and token.token_hash not in raw
    assert ApiToken.objects.filter(token_hash__contains=raw).count() == 0  # only the hash is kept
    response = _client(raw).get(LIST)
    assert response.status_code == 200
    assert [c["registry_no"] for c in body(response)["results"]] == [case_a.registry_no]
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()


def test_revoked_token_is_refused(people):
    token, raw = api_token_create(actor=None, owner=people.handler_a, name="客服中心")
    assert _client(raw).get(LIST).status_code == 200
    api_token_revoke(actor=None, token=token)
    response = _client(raw).get(LIST)
    assert response.status_code == 401 and "已吊销" in body(response)["message"]


def test_token_of_a_deactivated_owner_is_refused(people):
    _, raw = api_token_create(actor=None, owner=people.handler_a, name="客服中心")
    people.handler_a.is_active = False
    people.handler_a.save()
    assert _client(raw).get(LIST).status_code == 401


def test_branch_b_token_gets_404_for_branch_a_case(api_b, case_a):
    for url in (f"{LIST}{case_a.pk}/", f"{LIST}{case_a.pk}/events/"):
        response = api_b.get(url)
        assert response.status_code == 404, url
        assert body(response)["code"] == "not_found"
    response = api_b.post(f"{LIST}{case_a.pk}/accept/", {}, format="json")
    assert response.status_code == 404
    assert case_a.events.count() == 1  # nothing happened
    assert body(api_b.get(LIST))["results"] == []


def test_branch_b_token_cannot_register_for_branch_a(api_b):
    from .conftest import payload

    response = api_b.post(LIST, payload(), format="json")
    assert response.status_code == 403
    assert body(response)["code"] == "out_of_scope"
    assert "管辖范围" in body(response)["message"]


def test_token_carries_no_more_rights_than_its_owner(client_for, people, case_a):
    auditor = client_for(people.auditor)  # reads everything, changes nothing
    assert auditor.get(f"{LIST}{case_a.pk}/").status_code == 200
    response = auditor.post(f"{LIST}{case_a.pk}/accept/", {}, format="json")
    assert response.status_code == 403 and body(response)["code"] == "permission_denied"


def test_session_login_works_for_the_browsable_api(client, people, case_a):
    from conftest import PASSWORD

    assert client.login(username="handler_a", password=PASSWORD)
    response = client.get(LIST, HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"<html" in response.content.lower()[:500]


def test_command_issues_and_revokes_tokens(people):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "handler_a", "--name", "手机银行", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert _client(raw).get(LIST).status_code == 200
    token = ApiToken.objects.get(owner=people.handler_a)
    assert token.name == "手机银行" and "只显示这一次" in err.getvalue()
    call_command("create_api_token", "--revoke", token.prefix, stdout=StringIO())
    assert _client(raw).get(LIST).status_code == 401


def test_admin_issues_a_token_and_shows_it_once(client, people, org, make_user):
    from conftest import PASSWORD
    from xiaobao.organisation.choices import Role

    admin_user = make_user("root", org.hq, Role.SYSADMIN, is_superuser=True)
    assert client.login(username=admin_user.username, password=PASSWORD)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"owner": people.handler_a.pk, "name": "呼叫中心"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(owner=people.handler_a)
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split("：", 1)[1] for m in shown if "只显示这一次" in m)
    assert raw.startswith(f"xb_{token.prefix}_")
    assert _client(raw).get(LIST).status_code == 200
    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()
