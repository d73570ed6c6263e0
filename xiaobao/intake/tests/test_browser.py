"""The import wizard in a real browser (Debian's chromium driven by Playwright), on a phone-sized
page: upload a messy referral list, check it, import the valid rows, read the problems."""

from __future__ import annotations

import csv

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.complaints.models import Complaint
from xiaobao.intake.tests.test_importing import HEADER, ROWS
from xiaobao.jobs.services import run_pending

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data, settings, tmp_path):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""
    settings.MEDIA_ROOT = tmp_path / "media"


def test_check_then_import_the_valid_rows_on_a_phone(browser, live_server, people, org, tmp_path):
    path = tmp_path / "杭州12345转办明细.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["杭州市12345热线转办工单明细表"])
        out.writerow(HEADER)
        out.writerows(ROWS)
        out.writerow(["GD-9", "时间写错", "内容", "2019年2月30日", "赵六", "13600136000", "SUB-a"])
        out.writerow(["合计", "", "", "", "", "", ""])
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "officer_a")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/complaints/import/")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('上传')")
    page.wait_for_selector("#settings-form")
    # The title row was skipped: row 2 is the header, and its columns are already mapped.
    assert page.input_value("#id_header_row") == "2"
    assert page.input_value("#id_map_narrative") == "诉求内容"
    page.select_option("#id_channel", value="R12345")
    page.check("input[name=mode][value=partial]")
    page.click("button[value=preview]")
    page.wait_for_selector("#progress")
    assert run_pending() >= 1
    page.wait_for_selector("#issues", timeout=10_000)  # the page refreshes itself
    text = page.inner_text("#issues")
    assert "无法识别的时间" in text and "2019年2月30日" in text and "不是投诉记录" in text
    assert Complaint.objects.count() == 0
    page.click("button[value=import]")
    page.wait_for_selector("#progress")
    assert run_pending() >= 1
    page.wait_for_selector("text=已导入 3 件投诉", timeout=10_000)
    assert "1 行有错误，未导入" in page.content()
    assert Complaint.objects.count() == 3
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    with page.expect_download() as download:
        page.click("text=下载问题报告")
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert "2019年2月30日" in report and "处理办法" in report
