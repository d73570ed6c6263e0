"""The regrouped menu in a real browser: desktop and a 390x844 phone, for three roles."""

from __future__ import annotations

import pytest

from conftest import BROWSER_MARKS, PASSWORD

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(browser, live_server, username: str, viewport):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _visible_areas(page) -> list[str]:
    return page.eval_on_selector_all(
        ".mainnav .navarea",
        "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.area)",
    )


@pytest.mark.parametrize(
    ("username", "first", "goes_to", "heading"),
    [
        ("hq_officer", "complaints", "制度登记", "制度登记"),
        ("handler_a", "complaints", "投诉台账", "投诉台账"),
        ("auditor", "reports", "消保会议", "消保会议"),
    ],
)
def test_the_menu_on_desktop_and_phone(
    browser, live_server, people, username, first, goes_to, heading
):
    desk = _login(browser, live_server, username, DESKTOP)
    areas = _visible_areas(desk)
    assert areas[0] == first
    assert not desk.is_visible(".navbutton")
    desk.click(f".mainnav a:text-is('{goes_to}')")
    assert desk.locator("h1").first.inner_text().startswith(heading)
    assert desk.locator(".mainnav a[aria-current=page]").first.inner_text() == goes_to
    desk.close()

    phone = _login(browser, live_server, username, PHONE)
    # Folded behind one button: no link of the menu shows until it is opened.
    assert phone.is_visible(".navbutton") and not phone.is_visible(".mainnav")
    phone.click(".navbutton")
    assert phone.is_visible(".mainnav") and _visible_areas(phone) == areas
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing sticks out sideways
    phone.click(f".mainnav a:text-is('{goes_to}')")
    assert phone.locator("h1").first.inner_text().startswith(heading)
    phone.close()


def test_an_officer_registers_a_rule_and_sees_the_overdue_flag(browser, live_server, people):
    page = _login(browser, live_server, "officer_a", DESKTOP)
    page.click(".mainnav a:text-is('制度登记')")
    page.fill("#id_title", "消费者投诉处理工作实施细则")
    page.fill("#id_doc_number", "A分行发〔2023〕8号")
    page.fill("#id_version", "2023版")
    page.fill("#id_effective_on", "2023-01-01")
    page.fill("#id_next_review_on", "2024-01-01")
    page.click("form button:has-text('登记')")
    page.wait_for_url("**/governance/rules/*/")
    assert "逾期未评估" in page.locator("h1").inner_text()
    # A review with a date in the past is refused with a clear message; nothing changes.
    page.fill("form:has(input[value=review]) #id_next_review_on", "2020-01-01")
    page.fill("form:has(input[value=review]) #id_reason", "经评估仍适用")
    page.click("button:has-text('记录评估')")
    assert page.is_visible("text=下次评估日期须晚于今天。")
    page.goto(f"{live_server.url}/governance/rules/")
    assert page.is_visible("text=1 项制度逾期未评估")
    page.close()
