"""Done-when of issue 22 in a real browser: an inspector records a visit with photos on a phone,
the office publishes it, the outlet appeals within the window, the office answers, and the finding
becomes a task that closes only after its evidence is accepted."""

from __future__ import annotations

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.inspections.choices import FindingStatus
from xiaobao.inspections.models import Finding, Visit
from xiaobao.inspections.tests.conftest import photo
from xiaobao.plans.choices import TaskStatus

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


def _jpeg(name: str, seed: int) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": photo(name, seed=seed).read()}


def test_phone_visit_publish_appeal_and_a_finding_closed_only_on_accepted_evidence(
    browser, live_server, people, org, make_visit
):
    planned = make_visit()

    # The inspector, on a phone, finds the assigned visit and records it with photos.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = phone.new_page()
    _login(page, live_server, "inspector_a")
    page.goto(f"{live_server.url}/inspections/")
    page.click(f"#my-visits a[href='/inspections/visits/{planned.pk}/']")
    page.select_option("#id_r_ENV-01", "no")
    page.fill("#id_n_ENV-01", "未公示收费标准")
    page.fill("#id_r_SVC-01", "3")
    page.fill("#id_r_SVC-02", "1")
    page.select_option("#id_r_SUIT-01", "yes")
    page.fill("#id_summary", "客户经理主动介绍产品，但厅堂未公示收费标准。")
    page.set_input_files("#id_photos", [_jpeg("1.jpg", 801), _jpeg("2.jpg", 802)])
    assert _no_horizontal_scroll(page)
    page.click("#save-results")
    page.wait_for_selector("text=检查结果已保存")
    assert page.inner_text("#visit-score") == "66.67"
    assert page.locator(".evidence img").count() == 2
    page.click("#submit-visit")
    page.wait_for_selector("text=检查已提交审核")
    assert page.inner_text("#visit-status") == "待审核"
    assert _no_horizontal_scroll(page)

    # The outlet sees nothing of the visit before it is published (unannounced).
    outlet = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    shop = outlet.new_page()
    _login(shop, live_server, "outlet_handler_a")
    response = shop.goto(f"{live_server.url}/inspections/visits/{planned.pk}/")
    assert response is not None and response.status == 404

    # The consumer-protection office publishes the results.
    office = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = office.new_page()
    _login(desk, live_server, "officer_a")
    desk.goto(f"{live_server.url}/inspections/visits/{planned.pk}/")
    desk.click("#publish-visit")
    desk.wait_for_selector("text=检查结果已发布")
    assert desk.inner_text("#visit-status") == "已发布"
    visit = Visit.objects.get(pk=planned.pk)
    assert desk.inner_text("#appeal-due") == visit.appeal_due.strftime("%Y-%m-%d")

    # The outlet appeals within the window.
    shop.goto(f"{live_server.url}/inspections/visits/{planned.pk}/")
    shop.check("#appeal input[value='ENV-01']")
    shop.fill("#appeal textarea[name=reason]", "收费标准公示在二楼，暗访人员未看到。")
    shop.click("#appeal-visit")
    shop.wait_for_selector("text=申诉已提交")
    assert shop.inner_text("#visit-status") == "申诉中"

    # The office rejects the appeal: the results are final, the findings go to rectification.
    desk.reload()
    desk.select_option("#decide select[name=decision]", "rejected")
    desk.fill("#decide textarea[name=reply]", "一楼厅堂须公示，维持原结论。")
    desk.click("#decide-appeal")
    desk.wait_for_selector("text=申诉已答复")
    assert desk.inner_text("#visit-status") == "已定稿"
    finding = Finding.objects.get(visit=visit, item_code="ENV-01")
    assert finding.status == FindingStatus.OPEN and finding.task is not None

    # The outlet reports the rectification: without evidence it is refused.
    shop.goto(f"{live_server.url}/inspections/findings/{finding.pk}/")
    shop.fill("#rectify-form textarea[name=note]", "已在一楼张贴收费标准。")
    shop.click("#submit-rectification")
    shop.wait_for_selector("text=请上传整改证明材料")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    shop.fill("#rectify-form textarea[name=note]", "已在一楼张贴收费标准。")
    shop.set_input_files("#rectify-form input[type=file]", [_jpeg("fixed.jpg", 803)])
    shop.click("#submit-rectification")
    shop.wait_for_selector("text=整改情况已报送")
    assert shop.inner_text("#finding-status") == "待验收"
    assert shop.locator("#accept-rectification").count() == 0  # the outlet cannot accept its own

    # The office accepts the evidence: only now is the finding closed and its task done.
    desk.goto(f"{live_server.url}/inspections/findings/{finding.pk}/")
    assert desk.locator("#rectify-files li").count() == 1
    desk.click("#accept-rectification")
    desk.wait_for_selector("text=整改已验收")
    assert desk.inner_text("#finding-status") == "已整改"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED and finding.task.status == TaskStatus.DONE
    phone.close()
    outlet.close()
    office.close()
