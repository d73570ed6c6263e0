from __future__ import annotations

import io

from django.db.models import Max, Min

from xiaobao.inspections import demo, selectors
from xiaobao.inspections.choices import FindingStatus, VisitStatus
from xiaobao.inspections.models import Examination, Finding, ServiceMeeting, Visit
from xiaobao.organisation.demo import seed_institution
from xiaobao.organisation.models import Unit, User


def test_demo_builds_a_year_of_visits_findings_in_every_state_and_the_special_cases(db):
    seed_institution()
    out = io.StringIO()
    demo.seed_demo(stdout=out)
    visits = Visit.objects.all()
    assert visits.filter(status=VisitStatus.FINAL).count() > 20
    assert visits.filter(status=VisitStatus.PLANNED).exists()  # windows still to come
    scores = [v.score for v in visits.exclude(score__isnull=True)]
    assert min(scores) < 70 and max(scores) == 100
    for visit in visits.exclude(score__isnull=True)[:10]:
        assert selectors.recomputed_score(visit).score == visit.score
    states = set(Finding.objects.values_list("status", flat=True))
    assert set(FindingStatus.values) <= states, states
    assert visits.filter(test_complaint_result="unregistered").count() == 1
    assert Finding.objects.filter(source="test_complaint").count() == 1
    assert Examination.objects.count() == 1 and Examination.objects.get().status == "reported"
    assert ServiceMeeting.objects.exists()
    for visit in visits.exclude(inspector__username="vendor_shopper").select_related(
        "inspector", "outlet"
    ):
        assert not visit.inspector.unit.path.startswith(visit.outlet.path)
    assert User.objects.filter(username__in=["inspector", "vendor_shopper"]).count() == 2
    hq = Unit.objects.get(parent__isnull=True)
    span = visits.aggregate(first=Min("visited_at"), last=Max("visited_at"))
    figures = selectors.figures(hq, span["first"].date(), span["last"].date())
    assert figures["visits"] > 20 and figures["findings"] > 0
    demo.seed_demo(stdout=out)
    assert Visit.objects.count() == visits.count()
