"""Done when: a business department completes a complaint rectification with evidence in the
browser, the consumer-protection officer accepts it, and the work summary's figures follow."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

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


def _closed_case_with_rectification(people, org, department):
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    now = timezone.now()
    c = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=now - timedelta(hours=3),
        intake_channel="COUNTER",
        title="信用卡年费未告知即扣收",
        narrative="客户称办卡时未被告知年费标准。",
        complainants=[person()],
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause="PRICING",
    )
    services.complaint_accept(actor=people.handler_a, complaint=c)
    services.complaint_decide(
        actor=people.handler_a,
        complaint=c,
        verified_facts="办卡时未书面告知年费标准。",
        outcome="upheld",
        basis="《信用卡领用合约》第五条",
        reasons="告知义务未履行。",
        routes=["review"],
        compensation=None,
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=c,
        method="phone",
        given_at=timezone.now() - timedelta(minutes=5),
        evidence="通话录音",
    )
    services.complaint_close(
        actor=people.handler_a,
        complaint=c,
        root_cause="申请表缺少年费确认栏",
        at_fault=True,
        rectifications=[
            services.RectificationData(
                department, "在申请表增加年费确认栏", timezone.localdate() + timedelta(days=30)
            )
        ],
    )
    return c


def _figures():
    from xiaobao.reports.selectors import viewer_for
    from xiaobao.reports.summary import work_summary_content

    today = timezone.localdate()
    content = work_summary_content(viewer=viewer_for(None), first=today.replace(day=1), last=today)
    rect = content.context["rect"]
    return rect["total"], rect["done"], rect["open"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_department_completes_rectification_with_evidence_and_officer_accepts(
    browser, live_server, people, org, biz
):
    case = _closed_case_with_rectification(people, org, biz.card)
    assert _figures() == (1, 0, 1)

    # The card department lands on its tasks on a phone and completes this one with a photo.
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    _login(page, live_server, "card_user")
    assert "我的任务" in page.content() and case.registry_no in page.content()
    page.click(f"text=投诉{case.registry_no}溯源整改")
    page.fill("#submit textarea[name=note]", "已在申请表增加年费确认栏并全行启用")
    page.set_input_files(
        "#submit input[name=evidence]",
        files=[{"name": "申请表.png", "mimeType": "image/png", "buffer": _png()}],
    )
    page.click("#submit button")
    page.wait_for_selector("#task-status:has-text('待验收')")
    assert "申请表.png" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.close()
    assert _figures() == (1, 0, 1)  # submitted is not yet done

    # Branch A's CP officer (over the issuing sub-branch) accepts it.
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    _login(page, live_server, "officer_a")
    page.click("a.btn:has-text('我的任务')")
    page.click(f"text=投诉{case.registry_no}溯源整改")
    page.click("#verify button[name=accept]")
    page.wait_for_selector("#task-status:has-text('已完成')")
    assert "验收通过" in page.content()
    page.goto(f"{live_server.url}/complaints/{case.pk}/")
    assert "已完成" in page.inner_text("text=在申请表增加年费确认栏 >> xpath=..")
    page.close()
    assert _figures() == (1, 1, 0)
