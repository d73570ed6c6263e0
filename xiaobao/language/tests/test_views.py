"""The search page: login, permission, Chinese UI, scope, escaping, filters."""

from __future__ import annotations

import re

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
    # The form shows the filters the search applied, and so does it without hits or a search.
    assert re.search(r'<option value="registered"[^>]*selected', body)
    for params in ({"q": "没有这个词", "status": "registered"}, {"status": "registered"}):
        body = client.get(url, params).content.decode()
        assert re.search(r'<option value="registered"[^>]*selected', body), params
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


def test_suggest_endpoint_without_models_is_empty_and_says_so_quietly(client, people):
    _login(client, "handler_a")
    url = reverse("language:suggest")
    data = client.post(url, {"title": "年费", "narrative": "x"}).json()
    assert data == {
        "category": [],
        "cause": [],
        "demand": [],
        "untrained": ["category", "cause", "demand"],
    }
    # The form's fragment: a quiet note, no error and no suggestions.
    response = client.post(url, {"title": "年费", "narrative": "x"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "业务类别、投诉原因、诉求暂无已训练的分类模型，请手工选择。" in body
    assert "error" not in body and "data-apply-field" not in body
    # Nothing typed yet: nothing to say.
    empty = client.post(url, {"title": " ", "narrative": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 200 and empty.content.decode().strip() == ""


# --- the registration form's helpers with unsaved text -------------------------------------------

DRAFT_TITLE = "信用卡年费未告知即扣收"
DRAFT_NARRATIVE = "12345转办：客户称其信用卡被扣收年费六百元，办卡时未被告知年费标准，要求退还。"


def test_suggest_endpoint_classifies_unsaved_text(client, people, trained_classifier):
    from xiaobao.complaints.models import Complaint, TaxonomyTerm

    before = Complaint.objects.count()
    _login(client, "handler_a")
    url = reverse("language:suggest")
    data = client.post(url, {"title": DRAFT_TITLE, "narrative": DRAFT_NARRATIVE}).json()
    assert data["untrained"] == []
    card = TaxonomyTerm.objects.get(axis="business_category", code="CARD_CREDIT")
    best = data["category"][0]
    assert best["code"] == "CARD_CREDIT" and best["name"] == "信用卡"
    assert best["term_id"] == card.pk and 0.5 < best["confidence"] <= 1
    # Only guesses above the confidence floor are shown (test_suggest_floor.py), at most three.
    assert 1 <= len(data["category"]) <= 3
    assert data["cause"][0]["code"] == "PRICING" and data["demand"][0]["code"] == "REFUND"
    assert Complaint.objects.count() == before  # unsaved text stays unsaved

    # The form's fragment: a chip per suggestion that names the field and the term to fill in.
    body = client.post(
        url, {"title": DRAFT_TITLE, "narrative": DRAFT_NARRATIVE}, headers={"HX-Request": "true"}
    ).content.decode()
    pricing = TaxonomyTerm.objects.get(axis="cause", code="PRICING")
    refund = TaxonomyTerm.objects.get(axis="demand", code="REFUND")
    assert f'data-apply-field="business_category" data-apply-value="{card.pk}" data-first' in body
    assert f'data-apply-field="cause" data-apply-value="{pricing.pk}" data-first' in body
    assert f'data-apply-field="demands" data-apply-value="{refund.pk}" data-first' in body
    assert f'信用卡 <span class="conf">{round(best["confidence"] * 100)}%</span>' in body
    assert "采用全部首选建议" in body and "暂无已训练的分类模型" not in body


def test_helpers_refuse_bad_input_with_a_clear_message(client, people, org):
    from xiaobao.language.forms import MAX_NARRATIVE_CHARS

    _login(client, "handler_a")
    too_long = {"title": "年费", "narrative": "年" * (MAX_NARRATIVE_CHARS + 1)}
    for name in ("language:suggest", "language:duplicates"):
        response = client.post(reverse(name), too_long)
        assert response.status_code == 400
        data = response.json()
        assert data["error"] == f"投诉事实与理由过长（最多{MAX_NARRATIVE_CHARS}字）。"
        assert list(data["fields"]) == ["narrative"]
        fragment = client.post(reverse(name), too_long, headers={"HX-Request": "true"})
        assert fragment.status_code == 400 and 'role="alert"' in fragment.content.decode()
        assert client.get(reverse(name), {"title": "年费"}).status_code == 405
    # A unit outside the user's branch is refused, not silently widened or narrowed.
    response = client.post(
        reverse("language:duplicates"), {"title": "年费", "unit": str(org.sub_b.pk)}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "责任机构不存在或不在您的管辖范围内。",
        "fields": {"unit": ["责任机构不存在或不在您的管辖范围内。"]},
    }
    ok = client.post(reverse("language:duplicates"), {"title": "年费", "unit": str(org.sub_a.pk)})
    assert ok.status_code == 200 and ok.json() == {"candidates": []}


def test_helpers_refuse_strangers_and_keep_csrf(client, people, make_user, org):
    from django.test import Client

    from xiaobao.organisation.choices import Role

    draft = {"title": DRAFT_TITLE, "narrative": DRAFT_NARRATIVE}
    for name in ("language:suggest", "language:duplicates"):
        response = client.post(reverse(name), draft)
        assert response.status_code == 302 and "/login/" in response["Location"]
    # Auditors read everything in scope but register nothing; business departments see no cases.
    make_user("dept_user", org.branch_a, Role.BUSINESS_DEPT)
    for username in ("auditor", "dept_user"):
        _login(client, username)
        for name in ("language:suggest", "language:duplicates"):
            assert client.post(reverse(name), draft).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people.handler_a)
    for name in ("language:suggest", "language:duplicates"):
        assert strict.post(reverse(name), draft).status_code == 403


def test_duplicates_of_unsaved_text_are_scoped_masked_and_linked(client, register, people, org):
    from .conftest import person

    mine = register(
        title="信用卡年费未告知即扣收（来电13912345678）",
        complainants=[person(name="王芳", id_number="", phone="13911112222")],
    )
    theirs = register(actor=people.handler_b, unit=org.sub_b)
    other_topic = register(
        title="理财产品亏损",
        narrative="客户购买理财产品亏损，要求赔偿。",
        complainants=[person(id_number="", phone="0571-87654322")],
    )
    _login(client, "handler_a")
    url = reverse("language:duplicates")
    draft = {"title": DRAFT_TITLE, "narrative": DRAFT_NARRATIVE, "phone": "13700001111"}
    response = client.post(url, draft)
    body = response.content.decode()
    [candidate] = response.json()["candidates"]
    assert candidate["registry_no"] == mine.registry_no
    assert candidate["reasons"] == ["近期内容高度相似的投诉"]
    assert candidate["text_similarity"] >= 0.5 and candidate["can_merge"] is True
    assert candidate["url"] == reverse("complaints:detail", args=[mine.pk])
    assert candidate["title"] == "信用卡年费未告知即扣收（来电139****5678）"
    assert candidate["complainants"] == [{"name": "王*", "phone": "139****2222"}]
    assert "13911112222" not in body and "13912345678" not in body and "王芳" not in body
    assert theirs.registry_no not in body and other_topic.registry_no not in body

    # Head office sees both branches' cases, so both near-identical stories.
    _login(client, "hq_officer")
    found = {c["registry_no"] for c in client.post(url, draft).json()["candidates"]}
    assert found == {mine.registry_no, theirs.registry_no}

    # The form's fragment: registry numbers open the case in a new tab; masked data only.
    _login(client, "handler_a")
    fragment = client.post(url, draft, headers={"HX-Request": "true"}).content.decode()
    assert (
        f'<a href="{candidate["url"]}" target="_blank" rel="noopener">{mine.registry_no}</a>'
        in fragment
    )
    assert "王* 139****2222" in fragment and "13911112222" not in fragment
    assert "登记后可在新投诉页面用“合并”操作并入原投诉" in fragment
    quiet = client.post(
        url,
        {"title": "柜面排队太久", "narrative": "等候两小时无人处理。"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "未发现可能重复的投诉。" in quiet and mine.registry_no not in quiet


def test_a_decided_case_is_not_offered_for_merging(client, register, people):
    from xiaobao.complaints.choices import Status
    from xiaobao.complaints.models import Complaint

    case = register()
    Complaint.objects.filter(pk=case.pk).update(status=Status.DECIDED)  # open, but takes no merges
    _login(client, "handler_a")
    data = client.post(
        reverse("language:duplicates"), {"title": DRAFT_TITLE, "narrative": DRAFT_NARRATIVE}
    ).json()
    assert [(c["registry_no"], c["can_merge"]) for c in data["candidates"]] == [
        (case.registry_no, False)
    ]
