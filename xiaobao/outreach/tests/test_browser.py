"""Done-when of issue 20 in a real browser: an outlet records an activity with photos on a phone,
the branch officer approves it, and the campaign totals and the XLSX change by exactly its figures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.outreach.models import Activity
from xiaobao.outreach.tests.conftest import photo, yesterday

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _totals(page) -> dict[str, int]:
    cards = page.locator("#totals .card")
    out = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        out[card.locator(".stat-label").inner_text()] = int(card.locator(".stat").inner_text())
    return out


def _xlsx_total(page) -> dict[str, int]:
    with page.expect_download() as info:
        page.click("#report-xlsx")
    # The download has no file suffix, which openpyxl refuses by name: read the bytes.
    content = io.BytesIO(Path(info.value.path()).read_bytes())
    rows = list(load_workbook(content).active.values)
    header, total = rows[1], rows[-1]
    assert total[0] == "合计"
    return dict(zip(header[1:], total[1:], strict=True))


def _jpeg(name: str, seed: int) -> dict:
    upload = photo(name, seed=seed)
    return {"name": name, "mimeType": "image/jpeg", "buffer": upload.read()}


def test_outlet_records_on_a_phone_officer_approves_totals_and_xlsx_move_by_its_figures(
    browser, live_server, people, org, campaign, make_activity
):
    # An earlier approved activity, so the totals do not start from zero.
    make_activity(campaign=campaign, status="approved", audience_count=25, staff_count=2)

    officer = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = officer.new_page()
    _login(desk, live_server, "officer_a")
    desk.goto(f"{live_server.url}/outreach/campaigns/{campaign.pk}/")
    before, xlsx_before = _totals(desk), _xlsx_total(desk)
    assert before["线下受众人次"] == 25

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = phone.new_page()
    _login(page, live_server, "outlet_handler_a")
    page.goto(f"{live_server.url}/outreach/")
    page.click("text=记录活动")
    page.select_option("#id_campaign", str(campaign.pk))
    page.fill("#id_title", "网点厅堂防范电信诈骗宣传")
    page.select_option("#id_form", "hall")
    page.fill("#id_starts_at", yesterday().strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "A网点营业厅")
    page.fill("#id_staff_count", "3")
    page.fill("#id_audience_count", "46")
    page.select_option("#id_counting_method", "sign_in")
    page.fill("#id_group_elderly", "20")
    page.fill("#id_sms_sent", "150")
    page.fill("#id_consultations", "12")
    page.check("#id_no_marketing")
    page.set_input_files("#id_photos", [_jpeg("1.jpg", 501), _jpeg("2.jpg", 502)])
    assert _no_horizontal_scroll(page)
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=活动已保存为草稿")
    assert page.locator(".evidence img").count() == 2
    assert _no_horizontal_scroll(page)
    page.click("#submit-activity")
    page.wait_for_selector("text=活动已提交审核")
    assert page.inner_text("#activity-status") == "待审核"
    activity = Activity.objects.get(title="网点厅堂防范电信诈骗宣传")

    # Not counted until approved.
    desk.reload()
    assert _totals(desk) == before
    desk.goto(f"{live_server.url}/outreach/activities/{activity.pk}/")
    assert desk.locator("#reuse-warning").count() == 0
    desk.click("#approve-activity")
    desk.wait_for_selector("text=活动已审核通过")
    desk.goto(f"{live_server.url}/outreach/campaigns/{campaign.pk}/")
    after, xlsx_after = _totals(desk), _xlsx_total(desk)

    moved = {k: after[k] - before[k] for k in after}
    assert moved == {
        "活动场次": 1,
        "线下活动场次": 1,
        "线上活动场次": 0,
        "开展活动网点数": 0,  # the outlet had already held an approved activity
        "参与员工人次": 3,
        "线下受众人次": 46,
        "发放宣传资料（份）": 0,
        "发送短信（条）": 150,
        "发布信息（篇）": 0,
        "阅读/观看量": 0,
        "媒体报道（篇）": 0,
        "解答咨询（人次）": 12,
        "现场受理投诉（件）": 0,
    }
    assert {k: xlsx_after[k] - xlsx_before[k] for k in xlsx_after} == moved
    phone.close()
    officer.close()


def test_a_reused_photo_is_flagged_on_the_approvers_page(
    browser, live_server, people, make_activity
):
    from xiaobao.outreach import services

    first = make_activity(n_photos=1)
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=first, upload=photo("a.jpg", seed=77)
    )
    second = make_activity(n_photos=1, status="draft")
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=second, upload=photo("b.jpg", seed=77, quality=60)
    )
    services.activity_submit(actor=people.outlet_handler_a, activity=second)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/outreach/activities/{second.pk}/")
    assert page.locator("#reuse-warning").is_visible()
    assert page.locator(".reused").count() == 1
    context.close()
