"""The registration form's live helpers in a real browser (Debian's chromium, Playwright):
suggestions while typing, one-click apply, a duplicate warning, and the merge offer after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import BROWSER_MARKS, PASSWORD

from .conftest import person

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


def _shot(page, name: str) -> None:
    """Keep a screenshot when XIAOBAO_SCREENSHOTS names a folder (to look at the layout)."""
    folder = os.environ.get("XIAOBAO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


TITLE = "信用卡年费未告知即扣收"
ORIGINAL = "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。"
TYPED = "12345转办：客户称其信用卡被扣收年费六百元，办卡时未被告知年费标准，要求退还。"


def test_handler_types_applies_a_suggestion_sees_a_duplicate_and_registers(
    browser, live_server, register, trained_classifier, people, org
):
    from xiaobao.complaints.models import Complaint, TaxonomyTerm

    # The same story, already registered in the handler's sub-branch by another complainant,
    # and in branch B, which the handler may not see.
    original = register(
        title=TITLE,
        narrative=ORIGINAL,
        complainants=[person(name="王芳", id_number="", phone="13911112222")],
    )
    hidden = register(actor=people.handler_b, unit=org.sub_b, title=TITLE, narrative=ORIGINAL)
    card = TaxonomyTerm.objects.get(axis="business_category", code="CARD_CREDIT")
    pricing = TaxonomyTerm.objects.get(axis="cause", code="PRICING")
    service = TaxonomyTerm.objects.get(axis="cause", code="SERVICE")
    refund = TaxonomyTerm.objects.get(axis="demand", code="REFUND")

    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "handler_a")
    page.goto(f"{live_server.url}/complaints/new/")
    page.select_option("#id_intake_channel", label="柜面/现场")
    page.select_option("#id_unit", label="A支行")
    page.select_option("#id_business_channel", label="营业网点")  # required at registration
    page.fill("#id_name", "张伟")
    page.fill("#id_phone", "13800138000")
    page.fill("#id_title", TITLE)
    page.click("#id_narrative")
    page.keyboard.type(TYPED, delay=15)

    # Suggestions appear next to the classification fields, with confidences.
    chip = page.locator('#live-suggestions [data-apply-field="business_category"][data-first]')
    chip.wait_for()
    assert chip.inner_text().startswith("信用卡") and chip.inner_text().endswith("%")
    assert "暂无已训练的分类模型" not in page.inner_text("#live-suggestions")
    assert page.input_value("#id_business_category") == ""

    # One click fills the fields; the handler then corrects the cause.
    page.click("#live-suggestions button:has-text('采用全部首选建议')")
    assert page.input_value("#id_business_category") == str(card.pk)
    assert page.input_value("#id_cause") == str(pricing.pk)
    assert page.is_checked(f"input[name=demands][value='{refund.pk}']")
    assert chip.get_attribute("aria-pressed") == "true"
    cause_chip = page.locator('#live-suggestions [data-apply-field="cause"][data-first]')
    assert cause_chip.get_attribute("aria-pressed") == "true"
    page.select_option("#id_cause", str(service.pk))
    assert cause_chip.get_attribute("aria-pressed") == "false"
    assert chip.get_attribute("aria-pressed") == "true"

    # The near-identical story is flagged, linked, masked; branch B's copy is not shown.
    row = page.locator(f'#live-duplicates li[data-registry-no="{original.registry_no}"]')
    row.wait_for()
    panel = page.inner_text("#live-duplicates")
    assert "近期内容高度相似的投诉" in panel and "王* 139****2222" in panel
    assert "13911112222" not in panel and "王芳" not in panel
    assert hidden.registry_no not in panel
    link = row.locator("a")
    assert link.get_attribute("target") == "_blank"
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url == f"{live_server.url}/complaints/{original.pk}/"
    popup.close()
    _shot(page, "08-register-live-helpers")

    page.click("form.register-form button.btn.primary")
    page.wait_for_selector("h1:has-text('TS')")
    new = Complaint.objects.exclude(pk__in=[original.pk, hidden.pk]).get(title=TITLE)
    assert new.business_category_id == card.pk and new.cause_id == service.pk
    assert list(new.demands.values_list("code", flat=True)) == ["REFUND"]

    # After registering, the case page offers its own merge action, filled in.
    assert f"新投诉可能与 {original.registry_no} 为同一事项" in page.inner_text(".messages")
    assert page.get_attribute("#action-merge", "open") is not None
    assert page.input_value("#id_merge-into") == original.registry_no
    page.click("#action-merge button[type=submit]")
    page.wait_for_selector("text=已合并")
    new.refresh_from_db()
    assert new.status == "merged" and new.merged_into_id == original.pk
    page.close()
