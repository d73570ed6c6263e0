"""The workbench in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() or os.environ.get("XIAOBAO_BROWSER") == "0",
        reason="Debian's chromium is not installed (dev.py installs it; CI requires it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Playwright's sync API runs an event loop; Django must allow DB access from this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _taxonomies(db):
    """Reload the default taxonomies if an earlier transactional test flushed them."""
    from importlib import import_module

    from django.apps import apps

    from xiaobao.complaints.models import TaxonomyTerm

    if not TaxonomyTerm.objects.exists():
        import_module("xiaobao.complaints.migrations.0002_load_defaults").load(apps, None)


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    # Keyboard only: the username field has focus order first, Enter submits.
    page.keyboard.press("Tab")  # skip link
    page.locator("#id_username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_register_accept_and_find_a_complaint_at_1366x768(browser, live_server, people, org):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "handler_a")
    assert "我办理的投诉" in page.content()
    page.click("text=登记投诉 >> nth=0")
    page.select_option("#id_intake_channel", label="柜面/现场")
    page.select_option("#id_unit", label="A支行")
    page.fill("#id_name", "张伟")
    page.fill("#id_phone", "13800138000")
    page.fill("#id_title", "信用卡年费未告知即扣收")
    page.fill("#id_narrative", "客户称办卡时未被告知年费标准，上月被扣收年费600元，要求退还。")
    page.select_option("#id_business_category", label="\u3000信用卡")
    page.select_option("#id_cause", label="定价收费")
    assert _no_horizontal_scroll(page)
    page.click("button:has-text('登记')")
    page.wait_for_selector("h1:has-text('TS')")
    heading = page.inner_text("h1")
    registry_no = heading.split(" ")[0]
    assert "138****8000" in page.content() and "13800138000" not in page.content()
    assert _no_horizontal_scroll(page)
    # Accept through the action list, with the keyboard-reachable <details> form.
    page.click("summary:has-text('受理')")
    page.click("#action-accept button")
    page.wait_for_selector("text=已受理")
    assert "处理中" in page.content()
    # The registry finds it; filtering by status narrows the list.
    page.goto(f"{live_server.url}/complaints/?status=accepted")
    assert registry_no in page.content()
    assert _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/complaints/?status=closed")
    assert registry_no not in page.content()
    page.close()


def test_case_page_on_a_tablet_and_reveal_with_reason(browser, live_server, people, org):
    from django.utils import timezone

    from xiaobao.complaints.services import complaint_register
    from xiaobao.complaints.tests.conftest import person

    complaint = complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="HOTLINE",
        title="手机银行转账延迟",
        narrative="转账两小时未到账。",
        complainants=[person()],
    )
    page = browser.new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    _login(page, live_server, "handler_a")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert _no_horizontal_scroll(page)
    page.click("summary:has-text('查看完整个人信息')")
    page.fill("input[name=reason]", "电话回访需要")
    page.click(".reveal button")
    page.wait_for_selector(".revealed")
    assert "13800138000" in page.inner_text(".revealed")
    page.close()
