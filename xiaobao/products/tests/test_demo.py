from __future__ import annotations

import io

from xiaobao.lib import metrics
from xiaobao.organisation.demo import seed_institution
from xiaobao.organisation.models import Unit
from xiaobao.products import demo
from xiaobao.products.choices import CheckResult, Conclusion, ReviewStatus
from xiaobao.products.models import (
    LaunchRegistration,
    Opinion,
    Product,
    ReadviceNotice,
    Review,
    SaleCheck,
)


def test_demo_has_reviews_in_every_state_graded_products_and_a_few_mismatches(db):
    seed_institution()
    out = io.StringIO()
    demo.seed_demo(stdout=out)
    statuses = set(Review.objects.values_list("status", flat=True))
    assert statuses == set(ReviewStatus.values)
    assert set(Review.objects.exclude(conclusion="").values_list("conclusion", flat=True)) == set(
        Conclusion.values
    )
    responses = set(Opinion.objects.values_list("response", flat=True))
    assert {"adopted", "partly", "not_adopted", ""} <= responses
    assert (
        Opinion.objects.filter(decision="upheld").exists()
        and Opinion.objects.filter(decision="waived").exists()
    )
    assert Opinion.objects.filter(escalated=True, decision="").exists()
    assert LaunchRegistration.objects.filter(matches=False).count() == 1
    assert Product.objects.filter(status="on_sale").count() >= 6
    assert Product.objects.exclude(issuer_grade=models_F("seller_grade")).exists()
    checks = SaleCheck.objects.all()
    assert checks.count() > 50
    blocked = checks.filter(result=CheckResult.BLOCKED).count()
    assert 0 < blocked < checks.count() * 0.2  # a decent bank: a few honest mismatches
    assert ReadviceNotice.objects.exists()
    hq = Unit.objects.get(code="JC0001")
    today = max(checks.values_list("checked_at", flat=True)).date()
    first = today.replace(year=today.year - 1)
    assert metrics.value("products.launched_without_review", unit=hq, first=first, last=today) == 0
    demo.seed_demo(stdout=out)
    assert "跳过" in out.getvalue()


def models_F(name):
    from django.db.models import F

    return F(name)
