"""The search page: login, permission, Chinese UI, scope, escaping, filters."""

from __future__ import annotations

from django.urls import reverse

from conftest import PASSWORD


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)


def test_login_required(client, db):
    response = client.get(reverse("language:search"), {"q": "年费"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_search_page_shows_hits_in_scope(client, register, people, org):
    mine = register()
    theirs = register(actor=people.handler_b, unit=org.sub_b, title="B支行信用卡年费争议")
    _login(client, "handler_a")
    body = client.get(reverse("language:search"), {"q": "年费"}).content.decode()
    assert "全文检索" in body and 'lang="zh-hans"' in body
    assert mine.registry_no in body and theirs.registry_no not in body
    assert "<mark>年费</mark>" in body and "已登记" in body


def test_search_page_escapes_query_and_text(client, register, people):
    register(title="<b>年费</b>争议", narrative="<script>alert('x')</script>年费")
    _login(client, "handler_a")
    body = client.get(reverse("language:search"), {"q": "<script>年费"}).content.decode()
    assert "<script>alert" not in body
    assert (
        "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;<mark>年费</mark>"
        in body
    )
    assert "&lt;b&gt;<mark>年费</mark>&lt;/b&gt;争议" in body
    assert 'value="&lt;script&gt;年费"' in body


def test_search_page_filters_and_bad_filters(client, register, people):
    case = register()
    _login(client, "hq_officer")
    url = reverse("language:search")
    body = client.get(url, {"q": "年费", "status": "registered"}).content.decode()
    assert case.registry_no in body
    body = client.get(url, {"q": "年费", "status": "closed"}).content.decode()
    assert case.registry_no not in body and "没有找到" in body
    body = client.get(url, {"q": "年费", "status": "bogus"}).content.decode()
    assert "筛选条件有误" in body


def test_users_without_case_access_are_refused(client, make_user, org):
    from xiaobao.organisation.choices import Role

    make_user("dept_user", org.branch_a, Role.BUSINESS_DEPT)
    _login(client, "dept_user")
    assert client.get(reverse("language:search"), {"q": "年费"}).status_code == 403


def test_duplicates_endpoint_is_post_only_and_scoped(client, register, people, org):
    from .conftest import PHONE

    mine = register()
    register(actor=people.handler_b, unit=org.sub_b)
    _login(client, "handler_a")
    url = reverse("language:duplicates")
    assert client.get(url, {"phone": PHONE}).status_code == 405
    data = client.post(url, {"title": "x", "narrative": "y", "phone": PHONE}).json()
    assert [c["registry_no"] for c in data["candidates"]] == [mine.registry_no]
    assert data["candidates"][0]["reasons"] == ["同一联系电话的未办结投诉"]


def test_suggest_endpoint_without_models_is_empty(client, people):
    _login(client, "handler_a")
    data = client.post(reverse("language:suggest"), {"title": "年费", "narrative": "x"}).json()
    assert data == {"category": [], "cause": [], "demand": []}
