"""Consumer journeys through the public portal in a real browser, on a phone-sized screen.

Debian's chromium driven by Playwright, against the live server: filing, following the case with
the tracking number, reading the answer, rating it, asking for a review, the large-text switch
and the rate limiter, as a consumer on a phone would meet them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import BROWSER_MARKS
from xiaobao.complaints import services as complaint_services
from xiaobao.complaints.models import Complaint
from xiaobao.portal import services
from xiaobao.portal.models import PortalRating

PHONE = "13912345678"
NAME = "欧阳娜娜"
LOOKUP_FAILED = "查询码或联系电话后四位不正确，请核对后重试。"

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data: Any) -> Iterator[None]:
    """Taxonomies and policies (flushed by earlier transactional tests), and fresh rate limits:
    the counters live in the cache, which the live server thread shares with the test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone: 390×844 CSS pixels, touch, and the page's own viewport meta tag honoured."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def _font_px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)"))


def _submit(page: Any, button: str) -> Any:
    """Tap a submit button and wait for the page it leads to; return the response to the POST."""
    with (
        page.expect_response(lambda r: r.request.method == "POST") as posted,
        page.expect_navigation(),
    ):
        page.tap(f"button:has-text('{button}')")
    return posted.value


def _look_up(page: Any, url: str, tracking: str, last4: str) -> Any:
    page.goto(f"{url}/portal/track/")
    page.fill("#id_tracking_number", tracking)
    page.fill("#id_phone_last4", last4)
    return _submit(page, "查询")


def _file(org: Any) -> tuple[Complaint, str]:
    return services.portal_file(
        filing=services.Filing(
            name=NAME,
            phone=PHONE,
            unit=org.outlet_a,
            title="理财产品到期未兑付",
            narrative="我在网点购买的理财产品到期后未按时兑付，要求尽快兑付并补偿利息。",
        )
    )


def test_file_a_complaint_on_a_phone_then_follow_it(phone, live_server, org, people):
    url = live_server.url
    phone.goto(f"{url}/portal/")
    assert _fits_the_screen(phone)
    phone.tap("text=我要投诉")
    phone.wait_for_url(f"{url}/portal/file/")
    # Submitting with nothing filled in explains, in Chinese, what is missing.
    _submit(phone, "提交投诉")
    assert "该字段是必填项" in phone.content() and "请阅读并勾选同意" in phone.content()
    assert Complaint.objects.count() == 0

    phone.fill("#id_name", NAME)
    phone.fill("#id_phone", PHONE)
    phone.select_option("#id_unit", label="A支行 · A网点")
    phone.fill("#id_title", "理财产品到期未兑付")
    phone.fill("#id_narrative", "我在网点购买的理财产品到期后未按时兑付，经理一直不接电话。")
    phone.check("#id_consent")
    assert _fits_the_screen(phone)
    _submit(phone, "提交投诉")
    assert phone.url == f"{url}/portal/filed/"

    tracking = phone.inner_text(".tracking").strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", tracking)
    complaint = Complaint.objects.get()
    assert complaint.registry_no in phone.content() and "只显示这一次" in phone.content()
    assert complaint.complained_unit == org.outlet_a and complaint.intake_channel.code == "PORTAL"
    assert _fits_the_screen(phone)
    # Enlarging the text to copy the number down must not lose it (it is shown only once).
    small = _font_px(phone, ".tracking")
    with phone.expect_response(lambda r: r.request.method == "POST"):
        phone.tap("button:has-text('大字号')")
    phone.wait_for_selector("button:has-text('标准字号')")
    assert phone.inner_text(".tracking").strip() == tracking
    assert _font_px(phone, ".tracking") > small and _fits_the_screen(phone)
    # Shown once: coming back to the page does not show the number again.
    phone.goto(f"{url}/portal/filed/")
    assert tracking not in phone.content()

    # A wrong verification is refused with one clear message that reveals nothing of the case.
    for number, last4 in ((tracking, "0000"), ("ZZZZ-YYYY-XXXX", PHONE[-4:])):
        _look_up(phone, url, number, last4)
        assert phone.inner_text("[role=alert]").strip() == LOOKUP_FAILED
        html = phone.content()
        assert complaint.registry_no not in html and "欧阳" not in html and "理财" not in html
        assert phone.input_value("#id_phone_last4") == ""  # the digits are not echoed back
    phone.goto(f"{url}/portal/case/")
    assert phone.url == f"{url}/portal/track/"  # no case is reachable

    _look_up(phone, url, tracking.lower().replace("-", " "), PHONE[-4:])
    assert phone.url == f"{url}/portal/case/"
    assert phone.inner_text(".status") == "已收到"
    html = phone.content()
    assert complaint.registry_no in html and "欧阳**" in html and "139****5678" in html
    assert PHONE not in html and NAME not in html
    assert "处理决定" not in phone.inner_text("main")
    assert _fits_the_screen(phone)


def test_read_the_decision_rate_it_and_ask_for_a_review(phone, live_server, org, people):
    url = live_server.url
    complaint, tracking = _file(org)
    _look_up(phone, url, tracking, PHONE[-4:])
    assert phone.inner_text(".status") == "已收到"
    assert "评价处理结果" not in phone.content() and "申请核查" not in phone.inner_text("main")

    handler = people.outlet_handler_a
    complaint_services.complaint_accept(actor=handler, complaint=complaint)
    complaint_services.complaint_classify(
        actor=handler,
        complaint=complaint,
        business_channel="COUNTER",
        business_category="WEALTH",
        cause="RETURNS",
    )
    complaint_services.complaint_decide(
        actor=handler,
        complaint=complaint,
        verified_facts=f"经核实，客户（电话{PHONE}）所购产品已于到期日次日兑付。",
        outcome="partly_upheld",
        basis="《理财产品说明书》第八条",
        reasons="兑付晚于约定一日。",
        routes=["review", "mediation", "litigation"],
        compensation=50,
        text="产品已兑付；延迟一日，补偿利息50元。",
    )
    phone.reload()
    assert phone.inner_text(".status") == "已作出处理决定"
    assert "补偿利息" not in phone.content()  # not before the consumer has been told
    complaint_services.complaint_notify(
        actor=handler,
        complaint=Complaint.objects.get(pk=complaint.pk),
        method="sms",
        given_at=timezone.now() - timedelta(minutes=1),
        evidence="短信发送记录",
    )
    phone.reload()
    assert phone.inner_text(".status") == "已答复"
    answer = phone.inner_text(".box")
    assert "部分成立" in answer and "补偿利息50元" in answer and "50.00 元" in answer
    assert "调解" in answer and "诉讼" in answer
    assert PHONE not in phone.content() and "139****5678" in answer  # quoted number masked
    assert _fits_the_screen(phone)

    # Rate the answer, once.
    phone.get_by_label("基本满意", exact=True).check()
    phone.fill("#id_comments", "处理及时，但希望早点兑付。")
    _submit(phone, "提交评价")
    assert phone.inner_text(".messages") == "感谢您的评价！"
    assert "您的评价：基本满意" in phone.content() and "提交评价" not in phone.content()
    rating = PortalRating.objects.get()
    assert (rating.complaint_id, rating.result) == (complaint.pk, "basically")

    # Ask the upper level for a review within the 30 days, once.
    last_day = complaint_services.review_deadline(Complaint.objects.get(pk=complaint.pk))
    assert last_day is not None
    assert f"{last_day[0].year}年{last_day[0].month}月{last_day[0].day}日" in phone.content()
    phone.fill("#id_narrative", "延迟兑付给我造成了损失，补偿不足，要求重新核查。")
    _submit(phone, "提交核查申请")
    review = Complaint.objects.get(review_of=complaint)
    assert f"已收到您的核查申请（编号 {review.registry_no}）" in phone.content()
    assert review.unit == org.sub_a and review.intake_channel.code == "PORTAL"
    assert phone.locator("h2", has_text="核查申请").is_visible()
    assert "提交核查申请" not in phone.content()
    assert _fits_the_screen(phone)


def test_large_text_enlarges_the_text_without_losing_what_was_typed(
    phone, live_server, org, people
):
    url = live_server.url
    phone.goto(f"{url}/portal/file/")
    normal = {s: _font_px(phone, s) for s in ("html", "h1", "label", "p.help")}
    assert normal["html"] == 17
    # Half-way through the form, the consumer finds the text too small.
    phone.fill("#id_name", NAME)
    phone.fill("#id_narrative", "我在网点购买的理财产品到期后未按时兑付。")
    with phone.expect_response(lambda r: r.request.method == "POST"):
        phone.tap("button:has-text('大字号')")
    phone.wait_for_selector("button:has-text('标准字号')")
    large = {s: _font_px(phone, s) for s in normal}
    assert large["html"] == 22
    for selector, size in normal.items():
        assert large[selector] >= size * 1.25, selector
    assert phone.input_value("#id_name") == NAME  # nothing typed is lost
    assert phone.input_value("#id_narrative") == "我在网点购买的理财产品到期后未按时兑付。"
    assert _fits_the_screen(phone)
    # The choice is remembered on the next page, and can be undone.
    phone.goto(f"{url}/portal/track/")
    assert _font_px(phone, "html") == 22 and _font_px(phone, "label") >= normal["label"] * 1.25
    with phone.expect_response(lambda r: r.request.method == "POST"):
        phone.tap("button:has-text('标准字号')")
    phone.wait_for_selector("button:has-text('大字号')")
    assert _font_px(phone, "html") == 17
    phone.reload()
    assert _font_px(phone, "html") == 17


def test_large_text_works_without_javascript(browser, live_server, org, people):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/portal/track/")
    assert _font_px(page, "html") == 17
    _submit(page, "大字号")
    assert page.url == f"{live_server.url}/portal/track/"  # back where the consumer was
    assert _font_px(page, "html") == 22 and page.is_visible("button:has-text('标准字号')")
    context.close()


def test_the_rate_limiter_refuses_guessing_with_a_clear_message(
    phone, live_server, org, people, settings
):
    settings.XIAOBAO_PORTAL_RATE_LIMITS = {"lookup": (3, 600), "lookup_number": (5, 900)}
    url = live_server.url
    complaint, tracking = _file(org)
    for last4 in ("0001", "0002", "0003"):
        response = _look_up(phone, url, tracking, last4)
        assert response.status == 200
        assert phone.inner_text("[role=alert]").strip() == LOOKUP_FAILED
    # The fourth try is refused, even with the right digits, and says what to do.
    response = _look_up(phone, url, tracking, PHONE[-4:])
    assert response.status == 429
    assert phone.inner_text("h1") == "请稍后再试"
    assert "操作过于频繁，请稍后再试。如需帮助，请拨打本行客服热线。" in phone.inner_text("main")
    assert complaint.registry_no not in phone.content()
    phone.goto(f"{url}/portal/case/")
    assert phone.url == f"{url}/portal/track/"
    assert _fits_the_screen(phone)
