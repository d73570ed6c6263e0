"""The workbench pages: every rule of the API, refused the same way through the forms."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.products import services
from xiaobao.products.models import Review
from xiaobao.products.tests.conftest import make_product, pdf

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_body(**overrides):
    body = {
        "object_type": "marketing",
        "title": "微信公众号理财推文",
        "planned_launch": "",
        "summary": "",
    }
    from xiaobao.products.choices import SelfCheck

    body |= {f"check_{c.value}": "yes" for c in SelfCheck}
    return body | overrides


def test_submit_page_and_validation(staff, org, route):
    client = login(staff.manager)
    assert client.get("/products/reviews/new/").status_code == 200
    bad = client.post("/products/reviews/new/", form_body(unit=org.hq.pk, title=""))
    assert bad.status_code == 400 and "审查事项" in bad.content.decode()
    past = client.post(
        "/products/reviews/new/",
        form_body(unit=org.hq.pk, planned_launch="2020-01-01", document=pdf()),
    )
    assert past.status_code == 400 and "不得先上线后审查" in past.content.decode()
    assert not Review.objects.exists()
    ok = client.post("/products/reviews/new/", form_body(unit=org.hq.pk, document=pdf()))
    assert ok.status_code == 302
    review = Review.objects.get()
    page = client.get(f"/products/reviews/{review.pk}/").content.decode()
    assert review.number in page and "说明书.pdf" in page
    Review.objects.filter(pk=review.pk).update(due_on=date(2020, 1, 2))
    listing = client.get("/products/").content.decode()
    assert review.number in listing and "已超期" in listing


def test_opinion_answer_escalation_and_mismatch_on_pages(staff, org, route, people):
    product = make_product(people.hq_officer, status="design")
    review = services.review_submit(
        actor=staff.manager,
        object_type="new_product",
        title="T",
        unit=org.hq,
        product=product,
        documents=[pdf()],
    )
    manager, reviewer, leader = login(staff.manager), login(staff.reviewer), login(staff.leader)
    url = f"/products/reviews/{review.pk}/"
    assert (
        manager.post(
            url + "opinion/",
            {"location": "l", "issue": "i", "basis": "b", "kind": "mandatory", "severity": "high"},
        ).status_code
        == 403
    )
    assert (
        reviewer.post(
            url + "opinion/",
            {"location": "", "issue": "i", "basis": "b", "kind": "mandatory", "severity": "high"},
        ).status_code
        == 400
    )
    assert (
        reviewer.post(
            url + "opinion/",
            {
                "location": "第1页",
                "issue": "保本表述",
                "basis": "第十二条",
                "kind": "mandatory",
                "severity": "high",
            },
        ).status_code
        == 302
    )
    opinion = review.opinions.get()
    p = f"o{opinion.pk}-"
    refused = manager.post(
        url + "answer/",
        {"opinion": opinion.pk, p + "response": "not_adopted", p + "reason": "需要"},
    )
    assert refused.status_code == 400 and "审批人" in refused.content.decode()
    done = manager.post(
        url + "answer/",
        {
            "opinion": opinion.pk,
            p + "response": "not_adopted",
            p + "reason": "需要",
            p + "approver": staff.manager.pk,
        },
    )
    assert done.status_code == 302
    page = manager.get(url).content.decode()
    assert 'id="escalated"' in page
    assert reviewer.post(url + "conclude/", {"conclusion": "passed"}).status_code == 409
    d = f"d{opinion.pk}-"
    assert (
        leader.post(
            url + "decide/", {"opinion": opinion.pk, d + "decision": "waived", d + "note": "同意"}
        ).status_code
        == 302
    )
    assert reviewer.post(url + "conclude/", {"conclusion": "passed"}).status_code == 302
    mismatch = manager.post(
        url + "launch/", {"launched_on": date.today().isoformat(), "file": pdf("changed")}
    )
    assert mismatch.status_code == 302
    assert 'id="launch-mismatch"' in manager.get(url).content.decode()
    other = login(staff.branch_manager)
    assert other.get(url).status_code == 404


def test_product_register_and_sale_checks_pages(staff, org, people):
    officer = login(people.hq_officer)
    created = officer.post(
        "/products/register/",
        {
            "code": "WM9",
            "name": "n",
            "kind": "wealth",
            "issuer": "i",
            "issuer_grade": "R3",
            "seller_grade": "R2",
            "target_class": "C3",
        },
    )
    assert created.status_code == 302
    dup = officer.post(
        "/products/register/",
        {
            "code": "WM9",
            "name": "n",
            "kind": "wealth",
            "issuer": "i",
            "issuer_grade": "R3",
            "seller_grade": "R2",
            "target_class": "C3",
        },
    )
    assert dup.status_code == 400 and "该产品代码已在产品库中" in dup.content.decode()
    assert login(staff.manager).post("/products/register/", {"code": "X"}).status_code == 403
    wealth = login(staff.wealth_a)
    assert wealth.get("/products/sale-checks/").status_code == 200
    assert wealth.get("/products/").status_code == 403


def test_readvice_is_recorded_by_the_selling_unit(staff, org, people):
    from django.utils import timezone

    from xiaobao.products.models import ReadviceNotice

    product = make_product(people.hq_officer, seller_grade="R2")
    services.profile_record(
        actor=staff.wealth_a,
        customer_id="110101197001010000",
        risk_class="C4",
        questionnaire_version="v",
        unit=org.outlet_a,
        assessed_at=timezone.now() - timezone.timedelta(days=2),
    )
    services.sale_check(
        actor=staff.wealth_a,
        product=product,
        customer_id="110101197001010000",
        unit=org.outlet_a,
        dual_recording_ref="S",
    )
    services.product_regrade(
        actor=people.hq_officer,
        product=product,
        issuer_grade="R3",
        seller_grade="R3",
        reason="上调",
    )
    notice = ReadviceNotice.objects.get()
    url = f"/products/register/{product.pk}/readvice/{notice.pk}/sent/"
    assert login(people.handler_b).post(url).status_code in (403, 404)
    page = login(staff.wealth_a)
    assert 'id="readvice"' in page.get(f"/products/register/{product.pk}/").content.decode()
    assert page.post(url).status_code == 302
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert page.post(url).status_code == 409
