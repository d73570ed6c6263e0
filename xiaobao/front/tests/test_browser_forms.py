"""One form-error pattern, in a real browser at desk and phone size: every error at once, next to
its field and summarised at the top under the field's Chinese label; limits said while typing;
destructive actions confirmed; date boxes filled so a form submits with its defaults."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.lib.tests.test_officialdoc import assert_official_layout

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(browser, live_server, username: str, viewport: dict[str, int]):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _summary_items(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-error-summary] li").all_inner_texts()]


@SIZES
def test_registration_with_three_errors_shows_all_three(browser, live_server, people, viewport):
    page = _login(browser, live_server, "handler_a", viewport)
    page.goto(f"{live_server.url}{reverse('complaints:register')}")
    page.select_option("#id_intake_channel", label="柜面/现场")
    page.fill("#id_name", "张伟")
    # Left out: the title, the narrative and the business channel.
    page.click("form.register-form button[type=submit]")
    page.wait_for_selector("[data-error-summary]")
    items = _summary_items(page)
    assert len(items) == 3, items
    for label in ("投诉标题", "投诉事实与理由", "业务办理渠道"):
        assert any(item.startswith(f"{label}：") for item in items), (label, items)
    # Each error also sits next to its own field, and the summary links to the field.
    for field in ("title", "narrative", "business_channel"):
        assert page.locator(f".field.has-error #id_{field}").count() == 1
        assert page.locator(f"[data-error-summary] a[href='#id_{field}']").count() == 1
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert "title" not in " ".join(items) and "narrative" not in " ".join(items)
    page.close()


@SIZES
def test_registry_bad_date_names_the_field_in_chinese(browser, live_server, people, viewport):
    page = _login(browser, live_server, "officer_a", viewport)
    page.goto(f"{live_server.url}{reverse('complaints:registry')}?received_from=2026-13-45")
    summary = page.inner_text("[data-error-summary]")
    assert "接收日期起" in summary
    assert "received_from" not in page.inner_text("main")
    page.close()


@SIZES
def test_work_summary_form_submits_with_its_defaults(browser, live_server, people, viewport):
    page = _login(browser, live_server, "hq_officer", viewport)
    page.goto(f"{live_server.url}{reverse('reports:summary')}")
    first = page.input_value("#id_first")
    last = page.input_value("#id_last")
    assert first.endswith("-01-01") and len(first) == 10 and len(last) == 10, (first, last)
    with page.expect_download() as info:
        page.click("button:has-text('生成并下载')")
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    with open(download.path(), "rb") as fh:
        doc = Document(BytesIO(fh.read()))
    assert_official_layout(doc)
    page.close()


def test_destructive_actions_are_styled_and_confirmed(browser, live_server, people, org):
    from django.utils import timezone

    from xiaobao.complaints.services import complaint_register
    from xiaobao.complaints.tests.conftest import person

    complaint = complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="COUNTER",
        title="测试不予受理",
        narrative="客户反映的事项。",
        complainants=[person()],
        business_channel="COUNTER",
    )
    page = _login(browser, live_server, "handler_a", DESK)
    page.goto(f"{live_server.url}{reverse('complaints:detail', args=[complaint.pk])}")
    page.click(".actions summary:text-is('不予受理')")
    button = page.locator("#action-decline button[type=submit]")
    assert "danger" in (button.get_attribute("class") or "")
    accept = page.locator("#action-accept button[type=submit]")
    assert "primary" in (accept.get_attribute("class") or "")
    dialogs: list[str] = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.fill("#id_decline-reason", "不属于投诉受理范围。")
    button.click()
    page.wait_for_function("true")
    assert dialogs and "不予受理" in dialogs[0]
    complaint.refresh_from_db()
    assert complaint.status != "declined"  # dismissed: nothing was sent
    page.close()


def test_portal_narrative_limit_is_said_while_typing_and_never_cut(browser, live_server, org):
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{live_server.url}{reverse('portal:file')}")
    assert page.inner_text("header a.home") == "测试银行投诉服务"  # the portal names the bank
    assert "测试银行投诉服务" in page.title()
    assert page.get_attribute("#id_narrative", "maxlength") is None  # the browser cuts nothing
    text = "事" * 5010
    page.fill("#id_narrative", text)
    counter = page.locator("#id_narrative + .counter")
    assert "5010" in counter.inner_text() and "5000" in counter.inner_text()
    assert "over" in (counter.get_attribute("class") or "")
    page.fill("#id_name", "")
    page.click("button:has-text('提交投诉')")
    page.wait_for_selector("[data-error-summary]")
    assert len(page.input_value("#id_narrative")) == 5010  # what the consumer wrote comes back
    items = _summary_items(page)
    assert any(item.startswith("事情经过与理由：") for item in items), items
    assert len(items) >= 3  # every missing field at once, not one at a time
    page.close()


def test_attachment_error_is_shown_where_the_phone_user_is(browser, live_server, people, org):
    from django.utils import timezone

    from xiaobao.complaints.services import complaint_register
    from xiaobao.complaints.tests.conftest import person

    complaint = complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="COUNTER",
        title="附件测试",
        narrative="客户反映的事项。",
        complainants=[person()],
        business_channel="COUNTER",
    )
    page = _login(browser, live_server, "handler_a", PHONE)
    page.goto(f"{live_server.url}{reverse('complaints:detail', args=[complaint.pk])}")
    page.set_input_files(
        "#id_file",
        files=[
            {"name": "run.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}
        ],
    )
    page.click("button:has-text('上传')")
    page.wait_for_selector("[data-error-summary]")
    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1
    assert "exe" in summary.inner_text()  # names the refused type
    # The page opens at the summary, next to the upload form, not at the top of a long page.
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; })()"
    )
    assert page.evaluate("window.scrollY") > 0
    page.close()
