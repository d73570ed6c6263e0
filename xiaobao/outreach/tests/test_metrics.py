"""Every outreach figure equals a direct sum over the approved activities, for every subtree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xiaobao.lib import metrics
from xiaobao.organisation import services as org_services
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.outreach import selectors, services
from xiaobao.outreach.choices import COUNTED, KeyGroup
from xiaobao.outreach.models import Activity, Material
from xiaobao.outreach.tests.conftest import yesterday


@pytest.fixture
def varied(settings, people, org, campaign, make_activity):
    """Approved, pending, returned, online, joint and out-of-period activities across the tree."""
    settings.XIAOBAO_OUTREACH_MIN_PHOTOS = 1
    outlet_a2 = org_services.unit_create(
        actor=None, code="OUT-a2", name="A二网点", kind=UnitKind.OUTLET, parent=org.sub_a
    )
    leaflet = Material.objects.create(code="ZY-01", title="防范电信诈骗折页")
    poster = Material.objects.create(code="HB-02", title="存款保险海报")
    b = people.handler_b
    make_activity(
        campaign=campaign,
        status="approved",
        n_photos=1,
        audience_count=120,
        audience_by_group={"elderly": 50, "youth": 20},
        materials={leaflet: 300, poster: 10},
        sms_sent=200,
        co_units=[outlet_a2, org.outlet_b],
        division_code="330106",
    )
    make_activity(
        campaign=campaign,
        status="approved",
        n_photos=1,
        counting_method="estimate",
        audience_count=800,
        staff_count=9,
        media_reports=1,
        division_code="330106001",
        consultations=30,
    )
    make_activity(
        campaign=campaign,
        status="approved",
        n_photos=1,
        form="new_media",
        audience_count=0,
        counting_method="",
        posts=3,
        reads=15000,
        staff_count=1,
    )
    make_activity(
        campaign=campaign,
        status="approved",
        n_photos=1,
        form="live",
        audience_count=260,
        counting_method="platform",
        reads=900,
    )
    make_activity(
        actor=people.handler_a, unit=outlet_a2, status="approved", n_photos=1, audience_count=15
    )
    make_activity(campaign=campaign, status="submitted", n_photos=1, audience_count=999)
    make_activity(status="draft", n_photos=1, audience_count=777)
    returned = make_activity(status="submitted", n_photos=1, audience_count=555)
    services.activity_return(actor=people.officer_a, activity=returned, reason="照片不清")
    make_activity(
        actor=b,
        unit=org.outlet_b,
        status="approved",
        approver=people.officer_b,
        n_photos=1,
        audience_count=60,
        audience_by_group={"rural": 60},
        division_code="330106",
        materials={leaflet: 80},
    )
    make_activity(
        actor=people.officer_a,
        unit=org.branch_a,
        status="approved",
        approver=people.hq_officer,
        n_photos=1,
        audience_count=33,
        starts_at=yesterday() - timedelta(days=40),
    )
    return outlet_a2


def direct(unit: Unit, first, last, campaign=None) -> dict[str, int]:
    """The figures summed by hand in Python over every activity row, one by one."""
    rows = [
        act
        for act in Activity.objects.prefetch_related("materials", "audiences").select_related(
            "unit"
        )
        if act.status in COUNTED
        and act.unit.path.startswith(unit.path)
        and (campaign is None or act.campaign_id == campaign.pk)
        and (campaign is not None or first <= timezone.localdate(act.starts_at) <= last)
    ]
    offline = [r for r in rows if not r.online]
    out = {
        "activities": len(rows),
        "activities_offline": len(offline),
        "activities_online": len(rows) - len(offline),
        "staff": sum(r.staff_count for r in rows),
        "audience": sum(r.audience_count for r in offline),
        "audience_online": sum(r.audience_count for r in rows if r.online),
        "audience_sign_in": sum(
            r.audience_count for r in offline if r.counting_method == "sign_in"
        ),
        "audience_estimate": sum(
            r.audience_count for r in offline if r.counting_method == "estimate"
        ),
        "sms": sum(r.sms_sent for r in rows),
        "posts": sum(r.posts for r in rows),
        "reads": sum(r.reads for r in rows),
        "media_reports": sum(r.media_reports for r in rows),
        "consultations": sum(r.consultations for r in rows),
        "materials": sum(m.quantity for r in rows for m in r.materials.all()),
        "outlets_covered": len({r.unit_id for r in rows if r.unit.kind == UnitKind.OUTLET}),
        "divisions_reached": len({r.division_code for r in offline if r.division_code}),
    }
    for group in KeyGroup:
        out[f"group_{group.value}"] = sum(
            a.count for r in offline for a in r.audiences.all() if a.group == group.value
        )
    return out


METRIC_OF = {
    "activities": "outreach.activities",
    "activities_offline": "outreach.activities_offline",
    "activities_online": "outreach.activities_online",
    "staff": "outreach.staff",
    "audience": "outreach.audience",
    "audience_online": "outreach.audience_online",
    "audience_sign_in": "outreach.audience.sign_in",
    "audience_estimate": "outreach.audience.estimate",
    "sms": "outreach.sms",
    "posts": "outreach.posts",
    "reads": "outreach.reads",
    "media_reports": "outreach.media_reports",
    "consultations": "outreach.consultations",
    "materials": "outreach.materials",
    "outlets_covered": "outreach.outlets_covered",
    "divisions_reached": "outreach.divisions_reached",
    **{f"group_{g.value}": f"outreach.audience.{g.value}" for g in KeyGroup},
}


def test_every_metric_equals_a_direct_sum_for_every_subtree(varied):
    first = timezone.localdate() - timedelta(days=10)
    last = timezone.localdate()
    checked = 0
    for unit in Unit.objects.all():
        expected = direct(unit, first, last)
        for name, key in METRIC_OF.items():
            assert metrics.value(key, unit=unit, first=first, last=last) == expected[name], (
                unit.code,
                key,
            )
            checked += 1
        outlets = Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.OUTLET).count()
        assert metrics.value(
            "outreach.outlets_covered_share", unit=unit, first=first, last=last
        ) == metrics.rate(expected["outlets_covered"], outlets)
    assert checked == Unit.objects.count() * len(METRIC_OF)
    # The dataset is not trivial: the head office sees real, distinct figures.
    hq = direct(Unit.objects.get(code="HQ"), first, last)
    assert hq["audience"] == 120 + 800 + 15 + 60 and hq["reads"] == 15900
    assert hq["audience_online"] == 260 and hq["materials"] == 390


def test_the_period_excludes_activities_begun_outside_it(varied, org):
    last = timezone.localdate()
    recent = metrics.value(
        "outreach.audience", unit=org.branch_a, first=last - timedelta(days=10), last=last
    )
    wide = metrics.value(
        "outreach.audience", unit=org.branch_a, first=last - timedelta(days=60), last=last
    )
    assert recent == 120 + 800 + 15 and wide == recent + 33


def test_campaign_totals_equal_a_direct_sum_for_every_subtree(varied, campaign):
    for unit in Unit.objects.all():
        expected = direct(unit, None, None, campaign=campaign)
        found = selectors.campaign_figures(campaign, unit)
        assert {k: found[k] for k in expected} == expected, unit.code


def test_every_key_of_the_registry_is_covered_here():
    keys = {k for k in metrics.registry() if k.startswith("outreach.")}
    assert keys == {*METRIC_OF.values(), "outreach.outlets_covered_share"}
