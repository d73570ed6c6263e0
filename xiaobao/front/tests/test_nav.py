"""The navigation registry: areas by role, hidden when empty, entries by permission."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.front import nav

pytestmark = pytest.mark.django_db


def _areas(user) -> list[str]:
    return [s.area.key for s in nav.menu(user)]


def _labels(user, area: str) -> list[str]:
    return [str(link.label) for s in nav.menu(user) if s.area.key == area for link in s.links]


def test_each_role_sees_first_what_it_works_on(people, make_user, org):
    # Outlet staff (wealth managers) also see the suitability checks of the products area, and
    # everyone is trained, so everyone sees the training area ("我的培训").
    assert _areas(people.handler_a) == [
        "complaints",
        "education",
        "training",
        "inspections",
        "products",
        "assessment",
        "plans",
        "admin",
    ]
    assert _areas(people.hq_officer)[:3] == ["complaints", "plans", "reports"]
    assert _areas(people.auditor)[:2] == ["reports", "plans"]
    clerk = make_user("clerk_a", org.sub_a, "business_dept")
    assert _areas(clerk)[0] == "plans"


def test_entries_follow_permissions(people, make_user, org):
    assert _labels(people.handler_a, "complaints") == [
        "投诉台账",
        "全文检索",
        "登记投诉",
        "批量导入",
        "待回访",
    ]
    assert "登记投诉" not in _labels(people.auditor, "complaints")
    assert _labels(people.auditor, "plans") == ["我的任务", "工作计划", "消保会议", "制度登记"]
    assert "系统管理" in _labels(people.auditor, "admin")  # staff
    outsider = make_user("handler_x", org.sub_a, "handler", is_staff=False)
    assert "系统管理" not in _labels(outsider, "admin")


def test_a_new_entry_needs_no_template_change(people, client):
    nav.entry("education", "宣传活动（测试）", "front:healthz", order=1)
    try:
        assert _areas(people.handler_a)[1] == "education"
        client.login(username="handler_a", password=PASSWORD)
        page = client.get("/").content.decode()
        assert 'data-area="education"' in page and "宣传活动（测试）" in page
    finally:
        nav._ENTRIES.pop(("education", "front:healthz"))


def test_the_current_page_is_marked(people):
    client = Client()
    client.login(username="hq_officer", password=PASSWORD)
    page = client.get("/governance/rules/").content.decode()
    assert '<a href="/governance/rules/" aria-current="page">' in page
    assert 'class="navarea current" data-area="plans"' in page
