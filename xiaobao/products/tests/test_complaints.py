"""Complaints naming a product: followed through the complaint hooks; 3- and 6-month counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from xiaobao.complaints.services import ComplainantData, complaint_register
from xiaobao.lib.errors import DomainError
from xiaobao.products import selectors, services
from xiaobao.products.models import ProductComplaint
from xiaobao.products.tests.conftest import make_product, pdf

pytestmark = pytest.mark.django_db


def register(people, org, title, days_ago=1):
    return complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now() - timedelta(days=days_ago),
        intake_channel="COUNTER",
        title=title,
        narrative="客户反映购买后亏损，销售时未充分揭示风险。",
        complainants=[ComplainantData(name="王五", phone="13800000000")],
    )


def test_a_complaint_naming_the_product_code_is_linked_and_followed(people, org):
    product = make_product(people.hq_officer, code="WM2026099")
    complaint = register(people, org, "对WM2026099理财产品销售有异议")
    link = ProductComplaint.objects.get(product=product)
    assert link.complaint == complaint and link.automatic
    assert link.complaint_status == complaint.status
    register(people, org, "网点排队时间长")
    assert ProductComplaint.objects.count() == 1


def test_manual_link_and_post_launch_counts(people, org, staff, route):
    product = make_product(people.hq_officer, code="FD2026777", status="design")
    review = services.review_submit(
        actor=staff.manager,
        object_type="new_product",
        title="基金上线",
        unit=org.hq,
        product=product,
        documents=[pdf()],
    )
    review = services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
    launched = date.today() - timedelta(days=120)
    # Registered at the launch date (the conclusion was earlier in real life).
    review.concluded_at = timezone.now() - timedelta(days=130)
    review.save(update_fields=["concluded_at"])
    services.review_register_launch(
        actor=staff.manager, review=review, launched_on=launched, upload=pdf()
    )
    early = register(people, org, "基金净值下跌", days_ago=100)
    later = register(people, org, "基金赎回慢", days_ago=10)
    register(people, org, "与产品无关")
    services.product_link_complaint(actor=people.hq_officer, product=product, complaint=early)
    services.product_link_complaint(actor=people.hq_officer, product=product, complaint=later)
    with pytest.raises(DomainError):
        services.product_link_complaint(actor=people.hq_officer, product=product, complaint=later)
    figures = selectors.post_launch(review, user=people.hq_officer)
    assert figures.launched_on == launched
    assert figures.at_3_months == 1 and figures.at_6_months == 2
    assert figures.complete_3 and not figures.complete_6
    # A branch-B officer sees the counts but not branch A's cases.
    assert selectors.post_launch(review, user=people.officer_b).links == []


def test_link_by_registry_number_through_api_and_page(people, org, staff):
    from rest_framework.test import APIClient

    from conftest import PASSWORD
    from xiaobao.api.services import api_token_create

    product = make_product(people.hq_officer, code="JJ0001")
    complaint = register(people, org, "基金亏损")
    _, raw = api_token_create(actor=None, owner=people.officer_b, name="t")
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/products/register/{product.pk}/complaints/"
    assert (
        outsider.post(url, {"registry_no": complaint.registry_no}, format="json").status_code == 404
    )
    _, raw = api_token_create(actor=None, owner=people.officer_a, name="t")
    officer = APIClient()
    officer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    made = officer.post(url, {"registry_no": complaint.registry_no}, format="json")
    assert made.status_code == 201 and made.json()["registry_no"] == complaint.registry_no
    again = officer.post(url, {"registry_no": complaint.registry_no}, format="json")
    assert again.status_code in (400, 422)
    from django.test import Client

    page = Client()
    page.login(username="hq_officer", password=PASSWORD)
    body = page.get(f"/products/register/{product.pk}/").content.decode()
    assert complaint.registry_no in body
    assert (
        page.post(
            f"/products/register/{product.pk}/complaints/", {"registry_no": "NOPE"}
        ).status_code
        == 302
    )
    assert ProductComplaint.objects.filter(product=product).count() == 1
