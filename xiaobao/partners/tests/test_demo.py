from __future__ import annotations

import io

from django.utils import timezone

from xiaobao.complaints import demo as complaints_demo
from xiaobao.lib import metrics
from xiaobao.organisation.demo import seed_institution
from xiaobao.organisation.models import Unit
from xiaobao.partners import demo
from xiaobao.partners.choices import ExitStatus, PartnerStatus
from xiaobao.partners.models import Agreement, Evaluation, Exit, Partner, PartnerComplaint


def test_demo_has_partners_in_every_status_evaluations_and_an_exit_in_progress(db):
    seed_institution()
    out = io.StringIO()
    complaints_demo.seed_demo(stdout=out)
    demo.seed_demo(stdout=out)
    assert {p.status for p in Partner.objects.all()} == set(PartnerStatus.values)
    assert Exit.objects.filter(status=ExitStatus.IN_PROGRESS).count() == 1
    assert Exit.objects.filter(status=ExitStatus.COMPLETED).count() == 1
    assert Evaluation.objects.filter(complaints__gt=0).exists()
    assert PartnerComplaint.objects.exists()
    # Agreements went through pre-review: one passed and signed, one renewal still in review.
    assert Agreement.objects.filter(review_result="passed", status="effective").exists()
    assert (
        Agreement.objects.filter(review_result="", status="draft").exclude(review_ref="").count()
        == 1
    )
    hq = Unit.objects.get(code="JC0001")
    today = timezone.localdate()
    first = (
        today.replace(month=1, day=1)
        if today.month > 1
        else today.replace(year=today.year - 1, month=1, day=1)
    )
    values = {
        key: metrics.value(key, unit=hq, first=first, last=today)
        for key in (
            "partners.listed",
            "partners.agreements_lacking_clauses",
            "partners.licences_expired",
            "partners.evaluated_share",
        )
    }
    assert values["partners.listed"] >= 4
    assert values["partners.agreements_lacking_clauses"] == 1
    assert values["partners.licences_expired"] == 1
    assert 0 < values["partners.evaluated_share"] < 100
    demo.seed_demo(stdout=out)
    assert Partner.objects.count() == 12
