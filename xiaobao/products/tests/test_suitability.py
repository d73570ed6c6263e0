"""Suitability through the services: profiles, flags, re-grading, batch import."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.products import services
from xiaobao.products.models import GradeChange, ReadviceNotice, SaleCheck
from xiaobao.products.tests.conftest import make_product

pytestmark = pytest.mark.django_db

ID = "110101196001011111"


def profile(staff, org, risk_class, at, **kw):
    return services.profile_record(
        actor=staff.wealth_a,
        customer_id=ID,
        risk_class=risk_class,
        questionnaire_version="2026版",
        unit=org.outlet_a,
        assessed_at=at,
        **kw,
    )


def check(staff, org, product, **kw):
    return services.sale_check(
        actor=staff.wealth_a,
        product=product,
        customer_id=ID,
        unit=org.outlet_a,
        dual_recording_ref="SL-1",
        **kw,
    )


def test_effective_grade_is_the_higher_and_history_is_kept(people):
    product = make_product(people.hq_officer, issuer_grade="R2", seller_grade="R3")
    assert product.effective_grade == "R3"
    product = make_product(people.hq_officer, code="WM2", issuer_grade="R4", seller_grade="R2")
    assert product.effective_grade == "R4"  # never resolved downward
    services.product_regrade(
        actor=people.hq_officer,
        product=product,
        issuer_grade="R4",
        seller_grade="R5",
        reason="底层资产调整",
    )
    product.refresh_from_db()
    assert product.effective_grade == "R5"
    history = list(
        GradeChange.objects.filter(product=product).values_list("previous_grade", "effective_grade")
    )
    assert history == [("", "R4"), ("R4", "R5")]
    with pytest.raises(DomainError) as exc:
        services.product_regrade(
            actor=people.hq_officer,
            product=product,
            issuer_grade="R9",
            seller_grade="R1",
            reason="x",
        )
    assert exc.value.field == "issuer_grade"


def test_duplicate_code_is_refused(people):
    make_product(people.hq_officer)
    with pytest.raises(DomainError) as exc:
        make_product(people.hq_officer)
    assert exc.value.field == "code"


def test_retests_ending_higher_the_same_day_are_flagged(staff, org, people):
    product = make_product(people.hq_officer, seller_grade="R3")
    morning = timezone.now().replace(hour=9, minute=0) - timedelta(days=1)
    profile(staff, org, "C2", morning)
    profile(staff, org, "C2", morning + timedelta(minutes=10))
    last = profile(staff, org, "C3", morning + timedelta(minutes=20))
    assert last.attempt == 3
    result = check(staff, org, product)
    assert result.result == "warned" and result.flags == ["retest_anomaly"]


def test_one_retest_is_not_an_anomaly(staff, org, people):
    product = make_product(people.hq_officer, seller_grade="R3")
    morning = timezone.now().replace(hour=9, minute=0) - timedelta(days=1)
    profile(staff, org, "C2", morning)
    profile(staff, org, "C3", morning + timedelta(minutes=10))
    assert check(staff, org, product).result == "matched"


def test_elderly_customers_buying_top_grades_are_flagged(staff, org, people, settings):
    product = make_product(people.hq_officer, seller_grade="R4")
    profile(staff, org, "C5", timezone.now() - timedelta(days=3), age_band="65_plus")
    result = check(staff, org, product)
    assert result.result == "warned" and "elderly_top_grade" in result.flags and result.elderly
    settings.XIAOBAO_PRODUCTS_TOP_GRADES = ("R5",)
    assert check(staff, org, product).result == "matched"


def test_no_profile_blocks(staff, org, people):
    product = make_product(people.hq_officer)
    result = check(staff, org, product)
    assert result.result == "blocked" and result.flags == ["no_profile"] and result.profile is None


def test_a_grade_rise_owes_holders_new_advice(staff, org, people):
    product = make_product(people.hq_officer, seller_grade="R2")
    profile(staff, org, "C3", timezone.now() - timedelta(days=3))
    check(staff, org, product)
    services.product_regrade(
        actor=people.hq_officer,
        product=product,
        issuer_grade="R3",
        seller_grade="R2",
        reason="发行方上调",
    )
    notices = ReadviceNotice.objects.filter(product=product)
    assert notices.count() == 1 and notices.get().unit == org.outlet_a
    # A fall owes nothing.
    services.product_regrade(
        actor=people.hq_officer,
        product=product,
        issuer_grade="R2",
        seller_grade="R2",
        reason="回调",
    )
    assert notices.count() == 1
    services.readvice_mark_sent(actor=staff.wealth_a, notice=notices.get())
    assert notices.get().sent_at is not None


def csv_file(lines):
    text = "product_code,customer_id,unit_code,sold_at,seller,dual_recording_ref\n" + "\n".join(
        lines
    )
    return SimpleUploadedFile("sales.csv", text.encode(), content_type="text/csv")


def test_batch_import_audits_every_sale(staff, org, people):
    product = make_product(people.hq_officer, seller_grade="R3")
    profile(staff, org, "C2", timezone.now() - timedelta(days=30))
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    imported = services.sales_import(
        actor=people.officer_a,
        upload=csv_file(
            [
                f"{product.code},{ID},OUT-a,{yesterday},wealth_a,SL-9",
                f"{product.code},320101199001012222,OUT-a,{yesterday},wealth_a,",
            ]
        ),
    )
    assert [c.result for c in imported] == ["blocked", "blocked"]
    assert imported[0].flags == ["grade_above_class"]
    assert imported[1].flags == ["no_profile", "no_dual_recording"]
    assert all(c.source == "import" for c in imported)


def test_a_bad_line_refuses_the_whole_file(staff, org, people):
    product = make_product(people.hq_officer)
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(DomainError) as exc:
        services.sales_import(
            actor=people.officer_a,
            upload=csv_file(
                [
                    f"{product.code},{ID},OUT-a,{yesterday},,",
                    f"{product.code},{ID},OUT-b,{yesterday},,",
                ]
            ),
        )
    assert "第3行" in exc.value.message and "unit_code" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.sales_import(
            actor=people.officer_a, upload=csv_file([f"NOPE,{ID},OUT-a,{yesterday},,"])
        )
    assert "第2行" in exc.value.message
    with pytest.raises(PermissionDeniedError):
        services.sales_import(actor=staff.manager, upload=csv_file([]))
    assert not SaleCheck.objects.exists()


def test_profile_needs_an_id(staff, org):
    with pytest.raises(DomainError) as exc:
        services.profile_record(
            actor=staff.wealth_a,
            customer_id=" ",
            risk_class="C2",
            questionnaire_version="v",
            unit=org.outlet_a,
            assessed_at=datetime.now().astimezone(),
        )
    assert exc.value.field == "customer_id"
