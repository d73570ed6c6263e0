"""Consumer journeys through the public portal: file, follow, read the answer, review, rate."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from xiaobao.complaints import services as complaint_services
from xiaobao.complaints.models import Complaint
from xiaobao.portal import services
from xiaobao.portal.models import PortalRating, PortalTicket

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "110105194912310029"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # rate-limit counters live in the (per-process) cache
    yield
    cache.clear()


def form(org, **overrides):
    data = {
        "role": "self",
        "name": "欧阳娜娜",
        "phone": PHONE,
        "unit": org.outlet_a.pk,
        "title": "理财产品到期未兑付",
        "narrative": f"我在网点购买的理财产品到期后未按时兑付，经理电话{PHONE}一直不接。",
        "demands": [],
        "consent": "on",
    }
    data.update(overrides)
    return data


def file_case(client, org, **overrides):
    response = client.post("/portal/file/", form(org, **overrides), follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    tracking = re.search(r'class="tracking"[^>]*>([A-Z0-9-]+)<', html).group(1)
    return tracking, html


def look_up(client, tracking, last4=PHONE[-4:], **extra):
    return client.post(
        "/portal/track/", {"tracking_number": tracking, "phone_last4": last4}, **extra
    )


def assert_no_pi(html: str) -> None:
    for raw in (PHONE, "欧阳娜娜", ID_NUMBER):
        assert raw not in html


def test_file_then_follow(client, org, people):
    tracking, html = file_case(client, org)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", tracking)
    complaint = Complaint.objects.get()
    assert complaint.registry_no in html and "只显示这一次" in html
    assert (complaint.unit, complaint.complained_unit) == (org.outlet_a, org.outlet_a)
    assert complaint.intake_channel.code == "PORTAL" and complaint.created_by.username == "portal"
    assert complaint.complainants.get().phone == PHONE
    # The tracking number is shown once and stored only as a keyed hash.
    assert client.get("/portal/filed/").status_code == 302
    ticket = PortalTicket.objects.get()
    assert tracking.replace("-", "") not in (ticket.tracking_hash + ticket.verifier)

    response = look_up(client, tracking.lower().replace("-", " "))  # forgiving about format
    assert response.status_code == 302 and response["Location"] == "/portal/case/"
    html = client.get("/portal/case/").content.decode()
    assert "已收到" in html and complaint.registry_no in html and "A网点" in html
    assert "欧阳**" in html and "139****5678" in html
    assert_no_pi(html)
    assert "<h2>处理决定</h2>" not in html  # nothing to show yet


def test_portal_account_may_only_register(org, people):
    actor = services.portal_actor()
    assert actor.has_perm("complaints.add_complaint")
    assert not actor.has_perm("complaints.view_complaint")
    assert not actor.has_perm("complaints.handle_complaint")
    assert not actor.has_usable_password() and actor.unit == org.hq
    assert services.portal_actor() == actor


def test_wrong_number_and_wrong_digits_look_exactly_alike(client, org, people):
    tracking, _ = file_case(client, org)
    client.cookies.clear()
    wrong_digits = look_up(client, tracking, "0000")
    unknown = look_up(client, "ZZZZ-YYYY-XXXX", PHONE[-4:])
    assert wrong_digits.status_code == unknown.status_code == 200

    def strip(response):  # the per-response CSRF token and CSP nonce differ by design
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return re.sub(r'nonce="[^"]+"', "", html)

    assert strip(wrong_digits) == strip(unknown).replace("ZZZZ-YYYY-XXXX", tracking)
    assert "查询码或联系电话后四位不正确" in strip(unknown)
    assert client.get("/portal/case/").status_code == 302  # no case reachable


def test_lookup_compares_digests_whether_or_not_the_number_exists(org, people, client):
    tracking, _ = file_case(client, org)
    with mock.patch(
        "xiaobao.portal.services.hmac.compare_digest", wraps=__import__("hmac").compare_digest
    ) as spy:
        assert services.portal_find(tracking_number="ZZZZ-ZZZZ-ZZZZ", phone_last4="5678") is None
        assert services.portal_find(tracking_number=tracking, phone_last4="0000") is None
        assert services.portal_find(tracking_number=tracking, phone_last4="5678") is not None
    assert spy.call_count == 3


def test_one_case_never_opens_another(client, org, people):
    first, _ = file_case(client, org)
    second, _ = file_case(client, org, phone="13800001111", name="李雷")
    assert services.portal_find(tracking_number=first, phone_last4="1111") is None
    look_up(client, second, "1111")
    html = client.get("/portal/case/").content.decode()
    assert "李*" in html and "欧阳" not in html


def test_filing_is_rate_limited_per_ip(client, org, people, settings):
    settings.XIAOBAO_PORTAL_RATE_LIMITS = {"file": (2, 3600)}
    file_case(client, org)
    file_case(client, org)
    response = client.post("/portal/file/", form(org))
    assert response.status_code == 429 and "过于频繁" in response.content.decode()
    assert Complaint.objects.count() == 2
    other = client.post("/portal/file/", form(org), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302  # another address has its own allowance


def test_lookups_are_rate_limited_per_ip_and_per_number(client, org, people, settings):
    settings.XIAOBAO_PORTAL_RATE_LIMITS = {"lookup": (3, 600), "lookup_number": (2, 900)}
    tracking, _ = file_case(client, org)
    for guess in ("ABCD-EFGH-JKM2", "ABCD-EFGH-JKM3", "ABCD-EFGH-JKM4"):
        assert look_up(client, guess, "1234", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert look_up(client, tracking, REMOTE_ADDR="10.0.0.1").status_code == 429
    # Guessing the digits of one number from one address stops, even for the right digits …
    look_up(client, tracking, "0001", REMOTE_ADDR="10.0.0.2")
    look_up(client, tracking, "0002", REMOTE_ADDR="10.0.0.2")
    assert look_up(client, tracking, REMOTE_ADDR="10.0.0.2").status_code == 429
    # … but cannot lock the true owner out: from their own address the right digits work.
    assert look_up(client, tracking, REMOTE_ADDR="10.0.0.8").status_code == 302
    # The same answer for a number that does not exist: the limit reveals nothing either.
    look_up(client, "ZZZZ-ZZZZ-ZZZ2", "0001", REMOTE_ADDR="10.0.0.5")
    look_up(client, "ZZZZ-ZZZZ-ZZZ2", "0002", REMOTE_ADDR="10.0.0.5")
    assert look_up(client, "ZZZZ-ZZZZ-ZZZ2", "0003", REMOTE_ADDR="10.0.0.5").status_code == 429


def test_form_errors_are_explained(client, org, people):
    response = client.post("/portal/file/", form(org, role="agent", phone="12345", consent=""))
    html = response.content.decode()
    assert response.status_code == 200 and Complaint.objects.count() == 0
    assert "请填写所代表的消费者姓名" in html and "请阅读并勾选同意" in html
    response = client.post("/portal/file/", form(org, phone="12345"))
    assert "格式不正确" in response.content.decode()
    response = client.post("/portal/file/", form(org, website="http://spam.example"))
    assert Complaint.objects.count() == 0 and "提交失败" in response.content.decode()
    response = client.post("/portal/file/", form(org, unit=org.branch_a.pk))
    assert "选择" in response.content.decode() and Complaint.objects.count() == 0


def _answer(complaint, people):
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
        outcome="not_upheld",
        basis="《理财产品说明书》第八条",
        reasons="兑付符合约定。",
        routes=["review", "mediation", "litigation"],
        text="您购买的理财产品已按约定兑付，详见说明。",
    )


def test_decision_review_and_rating(client, org, people):
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False) as traveller:
        tracking, _ = file_case(client, org)
        complaint = Complaint.objects.get()
        traveller.shift(timedelta(days=1))
        _answer(complaint, people)
        look_up(client, tracking)
        html = client.get("/portal/case/").content.decode()
        assert "已作出处理决定" in html and "兑付符合约定" not in html  # not before the notice
        assert "评价处理结果" not in html
        traveller.shift(timedelta(minutes=10))
        complaint_services.complaint_notify(
            actor=people.outlet_handler_a,
            complaint=complaint,
            method="sms",
            given_at=timezone.now(),
            evidence="短信",
        )
        html = client.get("/portal/case/").content.decode()
        assert "已答复" in html and "诉求不成立" in html and "已按约定兑付" in html
        assert "申请核查" in html and "评价处理结果" in html and "调解" in html
        assert_no_pi(html)  # the decision text quoted the phone number; it is masked

        response = client.post(
            "/portal/case/rate/", {"result": "unsatisfied", "comments": "不认可"}, follow=True
        )
        assert "感谢您的评价" in response.content.decode()
        rating = PortalRating.objects.get()
        assert (rating.complaint, rating.result) == (complaint, "unsatisfied")
        response = client.post("/portal/case/rate/", {"result": "satisfied"}, follow=True)
        assert "已评价过" in response.content.decode() and PortalRating.objects.count() == 1

        response = client.post(
            "/portal/case/review/", {"narrative": "产品延迟兑付，要求补偿利息。"}, follow=True
        )
        html = response.content.decode()
        review = Complaint.objects.get(review_of=complaint)
        assert review.registry_no in html and review.unit == org.sub_a  # the upper level reviews
        assert review.intake_channel.code == "PORTAL"
        assert "核查申请" in html and "提交核查申请" not in html
        response = client.post("/portal/case/review/", {"narrative": "再申请一次"}, follow=True)
        assert "已申请过核查" in response.content.decode()


def test_review_window_closes_after_30_days(client, org, people):
    start = timezone.now() - timedelta(days=45)
    with time_machine.travel(start, tick=False) as traveller:
        tracking, _ = file_case(client, org)
        complaint = Complaint.objects.get()
        _answer(complaint, people)
        traveller.shift(timedelta(hours=1))
        complaint_services.complaint_notify(
            actor=people.outlet_handler_a,
            complaint=complaint,
            method="sms",
            given_at=timezone.now(),
            evidence="短信",
        )
        traveller.shift(timedelta(days=31))
        look_up(client, tracking)
        html = client.get("/portal/case/").content.decode()
        assert "提交核查申请" not in html
        response = client.post("/portal/case/review/", {"narrative": "逾期申请"}, follow=True)
        assert "30日内" in response.content.decode()
        assert not Complaint.objects.filter(review_of=complaint).exists()


def test_the_case_leaves_the_session_after_a_while(client, org, people):
    tracking, _ = file_case(client, org)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        look_up(client, tracking)
        assert client.get("/portal/case/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        assert client.get("/portal/case/").status_code == 302
    look_up(client, tracking)
    client.post("/portal/case/leave/")
    assert client.get("/portal/case/").status_code == 302


def test_large_text_switch(client, org, people):
    page = client.get("/portal/")
    assert 'class=""' in page.content.decode() and "大字号" in page.content.decode()
    response = client.post("/portal/text-size/", {"size": "large", "next": "/portal/file/"})
    assert response.status_code == 302 and response["Location"] == "/portal/file/"
    html = client.get("/portal/file/").content.decode()
    assert '<html lang="zh-Hans" class="large">' in html and "标准字号" in html
    response = client.post(
        "/portal/text-size/", {"size": "normal", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/portal/"


def test_pages_are_mobile_ready_and_in_chinese(client, org, people):
    for url in ("/portal/", "/portal/file/", "/portal/track/"):
        html = client.get(url).content.decode()
        assert 'name="viewport"' in html and 'lang="zh-Hans"' in html
    html = client.get("/portal/file/").content.decode()
    assert "A网点" in html and "B网点" in html and "请选择" in html


def test_the_portal_answers_in_chinese_whatever_the_browser_prefers(client, org, people):
    response = client.post("/portal/file/", {"title": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "该字段是必填项" in response.content.decode()


def test_rate_limits_are_counted_in_the_shared_cache(client, org, people, settings):
    """The hole: each web process counted alone. The counters live in the database cache (or
    Redis), which every process reads: another process sees this one's count."""
    from django.core.cache.backends.db import DatabaseCache

    from xiaobao.portal import ratelimit

    settings.XIAOBAO_PORTAL_RATE_LIMITS = {"file": (2, 3600)}
    file_case(client, org)
    file_case(client, org)
    # A cache object of its own, as another web process would open: it reads the same table.
    other_process = DatabaseCache("xiaobao_cache", {})
    assert other_process.get(ratelimit._key("file", "127.0.0.1", 3600)) == 2
    assert client.post("/portal/file/", form(org)).status_code == 429
