from __future__ import annotations

import io

from xiaobao.evidence.selectors import evidence_for, reused_elsewhere
from xiaobao.organisation.demo import seed_institution
from xiaobao.organisation.models import Unit
from xiaobao.outreach import demo, selectors
from xiaobao.outreach.choices import ActivityStatus, CampaignStatus
from xiaobao.outreach.models import Activity, Campaign


def test_demo_builds_both_campaigns_with_the_cases_the_issue_asks_for(db):
    seed_institution()
    out = io.StringIO()
    demo.seed_demo(stdout=out)
    week, month = Campaign.objects.order_by("starts_on")
    assert week.status == CampaignStatus.LOCKED and month.status == CampaignStatus.REPORTING
    activities = Activity.objects.all()
    statuses = {a.status for a in activities}
    assert {ActivityStatus.LOCKED, ActivityStatus.RETURNED, ActivityStatus.SUBMITTED} <= statuses
    assert ActivityStatus.APPROVED in statuses
    assert any(a.is_late for a in activities)
    assert activities.filter(co_units__isnull=False).count() == 1
    assert activities.filter(online=True).count() == 1
    flagged = [a for a in activities if reused_elsewhere(evidence_for(a))]
    assert len(flagged) == 2  # the re-used photo, seen from both activities
    hq = Unit.objects.get(code="JC0001")
    assert selectors.non_reporters(week, hq).exists()
    totals = selectors.campaign_figures(week, hq)
    assert totals["activities"] > 10 and totals["audience"] > 0
    # Running it again changes nothing.
    demo.seed_demo(stdout=out)
    assert Campaign.objects.count() == 2
