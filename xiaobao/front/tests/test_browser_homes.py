"""Role homes and the phone flows in a real browser (Debian's chromium through Playwright).

Done when (issue 28): as each demo role, at desktop and phone size, the first screen holds the
role's most urgent actions; on a phone a handler looks a case up and records a follow-up visit,
and a unit head approves an extension.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.front.tests.test_home import make_home_data

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# The panel each role must see first, and the row it must be able to reach without scrolling.
FIRST = {
    "hq_officer": ("extensions", "需要延期的理财投诉"),
    "handler_a": ("my_overdue", "逾期的年费投诉"),
    "head_a": ("extensions", "需要延期的理财投诉"),
    "officer_a": ("extensions", "需要延期的理财投诉"),
    "auditor": ("scope_overdue", "逾期的年费投诉"),
    "card_user": ("my_tasks", "修订分期业务营销话术"),
    "sysadmin": ("locked_accounts", "员工与角色"),
}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _context(browser, viewport):
    if viewport is PHONE:
        return browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    return browser.new_context(viewport=viewport, locale="zh-CN")


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _on_first_screen(page, selector: str, viewport) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] + min(box["height"], 40) <= viewport["height"]


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])
def test_first_screen_holds_each_roles_most_urgent_actions(
    browser, live_server, org, people, make_user, viewport
):
    make_home_data(org, people, make_user)
    for username, (key, text) in FIRST.items():
        context = _context(browser, viewport)
        page = context.new_page()
        _login(page, live_server, username)
        first = page.get_attribute("[data-panel] >> nth=0", "data-panel")
        assert first == key, (username, first)
        row = f"#panel-{key} >> text={text}"
        assert _on_first_screen(page, row, viewport), (username, page.locator(row).bounding_box())
        assert _no_horizontal_scroll(page), username
        if username == "auditor":
            assert page.locator("#panel-unassigned").count() == 0  # nothing it could act on
        context.close()


def _closed_case(people, org):
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    c = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now() - timedelta(hours=5),
        intake_channel="COUNTER",
        title="网点排队时间过长",
        narrative="客户称在网点排队两个小时无人引导。",
        complainants=[person()],
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause="PRICING",
    )
    services.complaint_accept(actor=people.handler_a, complaint=c)
    services.complaint_decide(
        actor=people.handler_a,
        complaint=c,
        verified_facts="当日叫号系统故障。",
        outcome="upheld",
        basis="服务规范",
        reasons="引导不到位。",
        routes=["review"],
        compensation=None,
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=c,
        method="phone",
        given_at=timezone.now(),
        evidence="通话录音",
    )
    services.complaint_close(
        actor=people.handler_a, complaint=c, root_cause="叫号系统故障", at_fault=False
    )
    c.refresh_from_db()
    return c


def test_phone_look_up_approve_an_extension_and_record_a_follow_up(
    browser, live_server, org, people, make_user
):
    from xiaobao.complaints.models import Extension, FollowUp

    data = make_home_data(org, people, make_user)
    closed = _closed_case(people, org)

    # A handler away from the desk looks the closed case up by its number and records the call.
    context = _context(browser, PHONE)
    page = context.new_page()
    _login(page, live_server, "handler_a")
    page.goto(f"{live_server.url}/complaints/")
    page.fill("input[name=q]", closed.registry_no)
    # Wait for the searched page itself: the case may already show on the unfiltered one, and a
    # click there while the search loads is lost with that page.
    with page.expect_navigation(url=lambda url: "q=" in url):
        page.keyboard.press("Enter")
    page.wait_for_selector(f"#rows >> text={closed.registry_no}")
    assert _no_horizontal_scroll(page)
    assert _no_horizontal_scroll(page)  # the result list fits the phone after the search
    page.click(f"#rows >> text={closed.registry_no}")
    page.wait_for_url(f"**/complaints/{closed.pk}/")
    page.click("#action-follow_up summary")
    page.select_option("#action-follow_up select[name='follow_up-result']", "satisfied")
    page.fill("#action-follow_up input[name='follow_up-comments']", "客户表示满意")
    assert _no_horizontal_scroll(page)
    page.click("#action-follow_up button[type=submit]")
    page.wait_for_selector("text=客户表示满意")
    assert FollowUp.objects.filter(complaint=closed, comments="客户表示满意").count() == 1
    context.close()

    # The unit head approves the extension from the first panel of the home.
    context = _context(browser, PHONE)
    page = context.new_page()
    _login(page, live_server, "head_a")
    page.click("#panel-extensions >> text=需要延期的理财投诉")
    page.wait_for_url(f"**/complaints/{data.extended.pk}/")
    form = page.locator("form[action*='extension']").first
    form.scroll_into_view_if_needed()
    form.locator("select[name='ext-decision']").select_option("approve")
    form.locator("input[name='ext-note']").fill("同意延期")
    assert _no_horizontal_scroll(page)
    form.locator("button").click()
    page.wait_for_load_state()
    extension = Extension.objects.get(pk=data.extension.pk)
    assert extension.status == "approved" and extension.decided_by == people.head_a
    page.goto(f"{live_server.url}/")
    assert page.locator("#panel-extensions").count() == 0  # nothing left to approve
    context.close()
