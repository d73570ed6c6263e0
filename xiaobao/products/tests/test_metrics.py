"""The products.* figures of the metric contract, computed over a small known history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from xiaobao.lib import metrics
from xiaobao.products import services
from xiaobao.products.tests.conftest import make_product, pdf

pytestmark = pytest.mark.django_db

CONTRACT = (
    "products.reviews",
    "products.opinions",
    "products.adoption_rate",
    "products.turnaround_days",
    "products.launched_without_review",
    "products.hash_mismatches",
    "products.sale_checks",
    "products.sale_checks_blocked",
    "products.elderly_top_grade_sales",
)


def test_every_contract_key_is_registered():
    assert set(CONTRACT) <= set(metrics.registry())


@pytest.fixture
def history(staff, org, people, route):
    product = make_product(people.hq_officer, code="WM1", status="design")
    review = services.review_submit(
        actor=staff.manager,
        object_type="new_product",
        title="A",
        unit=org.hq,
        product=product,
        documents=[pdf()],
    )
    o1 = services.opinion_issue(
        actor=staff.reviewer, review=review, location="l", issue="i", basis="b", kind="mandatory"
    )
    o2 = services.opinion_issue(
        actor=staff.reviewer, review=review, location="l", issue="i", basis="b", kind="advisory"
    )
    o3 = services.opinion_issue(
        actor=staff.reviewer, review=review, location="l", issue="i", basis="b", kind="advisory"
    )
    services.opinion_answer(actor=staff.manager, opinion=o1, response="adopted")
    services.opinion_answer(actor=staff.manager, opinion=o2, response="partly", reason="部分")
    services.opinion_answer(
        actor=staff.manager,
        opinion=o3,
        response="not_adopted",
        reason="不适用",
        approver=staff.manager,
    )
    services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
    services.review_register_launch(
        actor=staff.manager, review=review, launched_on=date.today(), upload=pdf("other")
    )
    services.review_register_launch(
        actor=staff.manager, review=review, launched_on=date.today(), upload=pdf()
    )
    services.review_submit(actor=staff.manager, object_type="marketing", title="B", unit=org.hq)
    # A legacy product put on sale without any review.
    make_product(people.hq_officer, code="OLD1", launched_on=date.today())
    top = make_product(
        people.hq_officer, code="FD5", kind="fund", issuer_grade="R5", seller_grade="R5"
    )
    at = timezone.now() - timedelta(days=1)
    for cid, cls, band in (
        ("110101194001010011", "C5", "65_plus"),
        ("110101199001010022", "C2", "40_59"),
    ):
        services.profile_record(
            actor=staff.wealth_a,
            customer_id=cid,
            risk_class=cls,
            questionnaire_version="v",
            unit=org.outlet_a,
            age_band=band,
            assessed_at=at,
        )
        services.sale_check(
            actor=staff.wealth_a,
            product=top,
            customer_id=cid,
            unit=org.outlet_a,
            dual_recording_ref="S",
        )


def test_figures(history, org):
    today = date.today()
    first, last = today - timedelta(days=30), today
    hq = {key: metrics.value(key, unit=org.hq, first=first, last=last) for key in CONTRACT}
    assert hq == {
        "products.reviews": 2,
        "products.opinions": 3,
        "products.adoption_rate": Decimal("66.7"),
        "products.turnaround_days": Decimal("0.0"),
        "products.launched_without_review": 1,
        "products.hash_mismatches": 1,
        "products.sale_checks": 2,
        "products.sale_checks_blocked": 1,
        "products.elderly_top_grade_sales": 1,
    }
    assert metrics.value("products.reviews.marketing", unit=org.hq, first=first, last=last) == 1
    # Branch B sold nothing and submitted nothing; the register's legacy product is head office's.
    assert metrics.value("products.sale_checks", unit=org.branch_b, first=first, last=last) == 0
    assert (
        metrics.value("products.launched_without_review", unit=org.branch_a, first=first, last=last)
        == 0
    )
    assert metrics.value("products.sale_checks", unit=org.branch_a, first=first, last=last) == 2
    assert (
        metrics.value("products.adoption_rate", unit=org.branch_a, first=first, last=last) is None
    )
