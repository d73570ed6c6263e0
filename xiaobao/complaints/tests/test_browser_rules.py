"""Complaint rules in a real browser: recusal from the registration form, transfer on the page."""

from __future__ import annotations

import pytest

from conftest import BROWSER_MARKS, PASSWORD

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_the_person_complained_about_cannot_handle_the_case(browser, live_server, people, org):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    _login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/complaints/new/")
    page.select_option("#id_intake_channel", label="柜面/现场")
    page.select_option("#id_unit", label="A支行")
    page.select_option("#id_business_channel", label="营业网点")
    # The staff member is chosen from the unit's staff, not typed.
    option = page.locator("#id_complained_staff option", has_text="（handler_a，")
    page.select_option("#id_complained_staff", value=option.get_attribute("value"))
    page.fill("#id_name", "张伟")
    page.fill("#id_phone", "13800138000")
    page.fill("#id_title", "柜员服务态度差")
    page.fill("#id_narrative", "客户称柜员态度恶劣，拒绝解释收费项目。")
    page.click("button:has-text('登记')")
    page.wait_for_selector("h1:has-text('TS')")
    assert "handler_a" in page.inner_text(".facts")
    # A supervisor tries to assign that person: refused on the page, with the reason.
    page.click("summary:has-text('分派')")
    option = page.locator("#id_assign-handler option", has_text="handler_a")
    page.select_option("#id_assign-handler", value=option.get_attribute("value"))
    page.click("#action-assign button")
    page.wait_for_selector("text=回避原则")
    assert "回避原则" in page.content()
    # Transfer to the outlet: the timeline says so.
    page.click("summary:has-text('移交其他机构')")
    page.select_option("#id_transfer-to_unit", label="A网点")
    page.fill("#id_transfer-reason", "业务发生在网点")
    page.click("#action-transfer button")
    page.wait_for_selector("text=已移交A网点办理")
    assert "业务发生在网点" in page.inner_text(".timeline")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.close()


def test_personal_data_in_the_narrative_is_masked_and_revealed_with_a_reason(
    browser, live_server, people, register
):
    case = register(narrative="张伟请回电13912345678，卡号6222021234567890128。")
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    _login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/complaints/{case.pk}/")
    narrative = page.inner_text(".case-main .narrative")
    assert "139****5678" in narrative and "13912345678" not in narrative
    assert "张伟" not in narrative
    page.click("details.text-reveal summary")
    page.select_option("select[name=target]", value="narrative")
    page.fill("details.text-reveal input[name=reason]", "核实客户回电号码")
    page.click("details.text-reveal button")
    page.wait_for_selector(".revealed-text")
    assert "13912345678" in page.inner_text(".revealed-text")
    page.close()
