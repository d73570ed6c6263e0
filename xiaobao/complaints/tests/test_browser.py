"""The workbench in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import BROWSER_MARKS, PASSWORD

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


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
    page.select_option("#id_business_channel", label="营业网点")
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


SHOTS = (
    Path(os.environ.get("XIAOBAO_SCREENSHOTS", ""))
    if os.environ.get("XIAOBAO_SCREENSHOTS")
    else None
)


def _shot(page, name: str) -> None:
    """Screenshots of the main pages, kept when XIAOBAO_SCREENSHOTS names a folder (to look at)."""
    data = page.screenshot(full_page=True)
    assert len(data) > 10_000  # a rendered page, not a blank one
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(data)


def _open_action(page, label: str) -> None:
    page.click(f".actions summary:text-is('{label}')")


def _submit_action(page, name: str) -> None:
    page.click(f"#action-{name} button[type=submit]")
    page.wait_for_load_state("load")


def test_full_journey_register_accept_assign_decide_notify_close(browser, live_server, people, org):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "officer_a")
    _shot(page, "01-my-work")
    page.goto(f"{live_server.url}/complaints/new/")
    page.select_option("#id_intake_channel", label="12345政务服务便民热线")
    assert page.is_visible("#id_external_ref")  # referral fields appear for referral channels
    page.fill("#id_external_ref", "GD-2026-0001")
    page.fill("#id_referrer_received_on", (timezone.localdate() - timedelta(days=3)).isoformat())
    page.select_option("#id_unit", label="A支行")
    page.fill("#id_name", "李娜")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_title", "理财产品亏损，销售时未揭示风险")
    page.fill("#id_narrative", "客户70岁，称在网点购买的理财产品亏损12%，销售人员称保本。")
    page.select_option("#id_business_channel", label="营业网点")
    page.select_option("#id_business_category", label="自营理财")
    page.select_option("#id_cause", label="营销方式和手段")
    _shot(page, "02-register-form")
    page.click("button:has-text('登记')")
    page.wait_for_selector("h1:has-text('TS')")
    _shot(page, "03-case-registered")
    _open_action(page, "受理")
    _submit_action(page, "accept")
    _open_action(page, "分派")
    page.select_option("#id_assign-handler", label="handler_a")
    _submit_action(page, "assign")
    assert "已分派" in page.content()
    page.context.clear_cookies()
    _login(page, live_server, "handler_a")
    page.goto(
        page.url.replace(live_server.url + "/", live_server.url + "/")
        if False
        else f"{live_server.url}/"
    )
    page.click("[data-panel] a:has-text('TS')")  # the role home lists the case assigned to her
    _open_action(page, "作出处理决定")
    page.fill("#id_decide-verified_facts", "调阅双录视频，销售人员未充分揭示风险。")
    page.select_option("#id_decide-outcome", "partly_upheld")
    page.fill("#id_decide-basis", "《理财公司理财产品销售管理暂行办法》")
    page.fill("#id_decide-reasons", "销售过程存在瑕疵。")
    page.fill("#id_decide-compensation", "3000")
    _submit_action(page, "decide")
    assert "已作出决定" in page.content()
    _open_action(page, "告知处理决定")
    page.fill("#id_notify-evidence", "通话录音 REC-001")
    _submit_action(page, "notify")
    assert "按时答复" in page.content()
    _open_action(page, "办结")
    page.fill("#id_close-root_cause", "适老化销售流程缺少风险复核环节。")
    _submit_action(page, "close")
    assert "已办结" in page.content()
    _shot(page, "04-case-closed")
    assert _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/complaints/")
    _shot(page, "05-registry")
    page.close()


def test_extension_is_approved_only_by_the_right_person(
    browser, live_server, people, org, make_user
):
    from django.utils import timezone

    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person
    from xiaobao.organisation.choices import Role

    make_user("head_sub_a", org.sub_a, Role.UNIT_HEAD)
    complaint = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="HOTLINE",
        title="贷款利率调整争议",
        narrative="客户对LPR重定价有异议。",
        complainants=[person()],
        business_channel="COUNTER",
        business_category="LOAN_MORTGAGE",
        cause="PRICING",
    )
    services.complaint_accept(actor=people.handler_a, complaint=complaint)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "handler_a")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    _open_action(page, "申请延期")
    page.fill("#id_extension_request-reason", "需调取历史利率数据")
    _submit_action(page, "extension_request")
    assert "提交审批" not in page.content()  # the requester cannot approve
    page.context.clear_cookies()
    _login(page, live_server, "officer_b")
    response = page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert response is not None and response.status == 404  # branch B cannot open A's case by URL
    page.context.clear_cookies()
    _login(page, live_server, "head_sub_a")
    assert "待我审批的延期申请" in page.content() and complaint.registry_no in page.content()
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    page.select_option("#id_ext-decision", "approve")
    page.click("button:has-text('提交审批')")
    page.wait_for_selector("text=已批准延期至30日")
    complaint.refresh_from_db()
    assert complaint.allowed_days == 30
    _shot(page, "06-extension-approved")
    page.close()


def test_review_of_a_decided_case(browser, live_server, people, org):
    from django.utils import timezone

    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    complaint = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="COUNTER",
        title="柜面服务态度差",
        narrative="柜员态度生硬。",
        complainants=[person()],
        business_channel="COUNTER",
        business_category="DEPOSIT",
        cause="SERVICE",
    )
    services.complaint_accept(actor=people.handler_a, complaint=complaint)
    services.complaint_decide(
        actor=people.handler_a,
        complaint=complaint,
        verified_facts="已调阅监控",
        outcome="not_upheld",
        basis="服务规范",
        reasons="柜员按规定办理",
        routes=["review", "mediation"],
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=complaint,
        method="phone",
        given_at=timezone.now(),
        evidence="录音 9",
    )
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert "申请核查" in page.content()
    _open_action(page, "申请核查")
    page.fill("#id_review_request-narrative", "客户书面申请核查，认为柜员存在推诿。")
    _submit_action(page, "review_request")
    page.wait_for_selector("text=已登记核查")
    review = complaint.reviews.get()
    assert review.unit == org.branch_a
    page.goto(f"{live_server.url}/complaints/{review.pk}/")
    assert "核查案件" in page.content() and complaint.registry_no in page.content()
    _shot(page, "07-review-case")
    page.close()
