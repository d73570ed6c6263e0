from __future__ import annotations

from datetime import timedelta

import pytest

from xiaobao.audit.selectors import timeline
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation import services as org_services
from xiaobao.organisation.choices import UnitKind
from xiaobao.outreach import selectors, services
from xiaobao.outreach.choices import ActivityStatus, CampaignStatus
from xiaobao.outreach.models import Activity
from xiaobao.outreach.tests.conftest import photos, yesterday


def test_the_outlet_records_submits_and_the_branch_officer_approves(
    people, campaign, make_activity
):
    activity = make_activity(campaign=campaign)
    services.activity_submit(actor=people.outlet_handler_a, activity=activity)
    services.activity_approve(actor=people.officer_a, activity=activity)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.APPROVED
    actions = [(e.action, e.from_status, e.to_status, e.actor) for e in timeline(activity)]
    assert actions[0] == ("create", "", "draft", people.outlet_handler_a)
    assert [a[0] for a in actions].count("evidence_add") == 2
    assert actions[-2:] == [
        ("submit", "draft", "submitted", people.outlet_handler_a),
        ("approve", "submitted", "approved", people.officer_a),
    ]


def test_an_offline_activity_needs_two_photos_before_it_can_be_submitted(people, make_activity):
    activity = make_activity(n_photos=1)
    with pytest.raises(DomainError, match="至少上传2张") as exc:
        services.activity_submit(actor=people.outlet_handler_a, activity=activity)
    assert exc.value.field == "evidence"
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.DRAFT
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=activity, upload=photos(1)[0]
    )
    assert services.activity_submit(actor=people.outlet_handler_a, activity=activity).status == (
        ActivityStatus.SUBMITTED
    )


def test_the_minimum_number_of_photos_is_a_setting(settings, people, make_activity):
    settings.XIAOBAO_OUTREACH_MIN_PHOTOS = 3
    activity = make_activity(n_photos=2)
    with pytest.raises(DomainError, match="至少上传3张"):
        services.activity_submit(actor=people.outlet_handler_a, activity=activity)


def test_an_online_activity_needs_a_screenshot_and_never_counts_reads_as_people(
    people, make_activity
):
    with pytest.raises(DomainError) as exc:
        make_activity(form="new_media", audience_count=500, counting_method="estimate")
    assert exc.value.field == "counting_method"
    activity = make_activity(
        form="new_media", audience_count=0, counting_method="", reads=5000, posts=2, n_photos=0
    )
    assert activity.online
    with pytest.raises(DomainError, match="截图"):
        services.activity_submit(actor=people.outlet_handler_a, activity=activity)


def test_platform_counting_is_refused_for_an_offline_activity(make_activity):
    with pytest.raises(DomainError) as exc:
        make_activity(counting_method="platform")
    assert exc.value.field == "counting_method"


def test_key_groups_cannot_add_up_to_more_than_the_audience(make_activity):
    with pytest.raises(DomainError) as exc:
        make_activity(audience_count=10, audience_by_group={"elderly": 8, "youth": 5})
    assert exc.value.field == "audience_by_group"
    assert not Activity.objects.exists()


def test_submitting_needs_the_no_marketing_attestation(people, make_activity):
    activity = make_activity(no_marketing=False)
    with pytest.raises(DomainError) as exc:
        services.activity_submit(actor=people.outlet_handler_a, activity=activity)
    assert exc.value.field == "no_marketing"


def test_only_a_branch_officer_of_the_subtree_approves_and_never_their_own(
    people, org, make_activity
):
    activity = make_activity(status="submitted")
    with pytest.raises(PermissionDeniedError):
        services.activity_approve(actor=people.outlet_handler_a, activity=activity)
    with pytest.raises(PermissionDeniedError) as exc:
        services.activity_approve(actor=people.officer_b, activity=activity)
    assert exc.value.code == "out_of_scope"
    own = make_activity(actor=people.officer_a, unit=org.branch_a, status="submitted")
    with pytest.raises(PermissionDeniedError) as exc:
        services.activity_approve(actor=people.officer_a, activity=own)
    assert exc.value.code == "own_record"


def test_outlet_staff_cannot_record_for_another_branch(people, org, make_activity):
    with pytest.raises(PermissionDeniedError):
        make_activity(unit=org.outlet_b)


def test_return_needs_a_reason_and_a_returned_activity_is_fixed_and_resubmitted(
    people, make_activity
):
    activity = make_activity(status="submitted")
    with pytest.raises(DomainError) as exc:
        services.activity_return(actor=people.officer_a, activity=activity, reason=" ")
    assert exc.value.field == "reason"
    services.activity_return(actor=people.officer_a, activity=activity, reason="照片看不清横幅")
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.RETURNED
    assert activity.return_reason == "照片看不清横幅"
    [event] = [e for e in timeline(activity) if e.action == "return"]
    assert event.reason == "照片看不清横幅" and event.from_status == "submitted"
    data = services.ActivityData(
        title="反诈宣传进社区（更正）",
        form="community",
        unit=activity.unit,
        starts_at=activity.starts_at,
        audience_count=35,
        counting_method="sign_in",
        no_marketing=True,
    )
    services.activity_update(actor=people.outlet_handler_a, activity=activity, data=data)
    services.activity_submit(actor=people.outlet_handler_a, activity=activity)
    activity.refresh_from_db()
    assert (activity.status, activity.audience_count) == (ActivityStatus.SUBMITTED, 35)


def test_illegal_transitions_are_refused_and_write_nothing(people, make_activity):
    activity = make_activity()
    before = timeline(activity).count()
    with pytest.raises(InvalidTransitionError):
        services.activity_approve(actor=people.officer_a, activity=activity)
    approved = make_activity(status="approved")
    with pytest.raises(InvalidTransitionError):
        services.activity_submit(actor=people.outlet_handler_a, activity=approved)
    with pytest.raises(InvalidTransitionError):
        services.activity_update(
            actor=people.outlet_handler_a,
            activity=approved,
            data=services.ActivityData(
                title="x", form="hall", unit=approved.unit, starts_at=approved.starts_at
            ),
        )
    assert timeline(activity).count() == before


def test_locking_the_campaign_locks_approved_activities_and_reopen_needs_a_reason(
    people, campaign, make_activity
):
    approved = make_activity(campaign=campaign, status="approved")
    pending = make_activity(campaign=campaign, status="submitted")
    pending_draft = make_activity(campaign=campaign)
    services.campaign_advance(
        actor=people.hq_officer, campaign=campaign, to=CampaignStatus.REPORTING
    )
    services.campaign_advance(actor=people.hq_officer, campaign=campaign, to=CampaignStatus.LOCKED)
    approved.refresh_from_db()
    pending.refresh_from_db()
    assert approved.status == ActivityStatus.LOCKED
    assert pending.status == ActivityStatus.SUBMITTED
    with pytest.raises(DomainError, match="已锁定"):
        make_activity(campaign=campaign)
    with pytest.raises(DomainError):
        services.activity_reopen(actor=people.officer_a, activity=approved, reason="")
    services.activity_reopen(actor=people.officer_a, activity=approved, reason="受众人次填错")
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.DRAFT
    [event] = [e for e in timeline(approved) if e.action == "reopen"]
    assert (event.from_status, event.to_status, event.reason) == ("locked", "draft", "受众人次填错")
    # The correction is made, resubmitted and approved again: locked with its campaign.
    data = services.ActivityData(
        title=approved.title,
        form=approved.form,
        unit=approved.unit,
        campaign=campaign,
        starts_at=approved.starts_at,
        audience_count=38,
        counting_method="sign_in",
        no_marketing=True,
    )
    services.activity_update(actor=people.outlet_handler_a, activity=approved, data=data)
    services.activity_submit(actor=people.outlet_handler_a, activity=approved)
    services.activity_approve(actor=people.officer_a, activity=approved)
    approved.refresh_from_db()
    assert (approved.status, approved.audience_count) == (ActivityStatus.LOCKED, 38)
    # A first report after the lock stays refused.
    with pytest.raises(InvalidTransitionError):
        services.activity_submit(actor=people.outlet_handler_a, activity=pending_draft)


def test_campaign_transitions_follow_the_table(people, campaign):
    with pytest.raises(InvalidTransitionError):
        services.campaign_advance(
            actor=people.hq_officer, campaign=campaign, to=CampaignStatus.LOCKED
        )
    with pytest.raises(PermissionDeniedError):
        services.campaign_advance(
            actor=people.officer_a, campaign=campaign, to=CampaignStatus.REPORTING
        )


def test_only_hq_creates_campaigns_and_the_form_defaults_to_the_preset(people, org):
    data = services.CampaignData(
        name="金融教育宣传月",
        kind="edu_month",
        unit=org.hq,
        starts_on=yesterday().date(),
        ends_on=yesterday().date() + timedelta(days=30),
        report_deadline=yesterday().date() + timedelta(days=35),
    )
    with pytest.raises(PermissionDeniedError):
        services.campaign_create(actor=people.officer_a, data=data)
    created = services.campaign_create(actor=people.hq_officer, data=data)
    assert "group_elderly" in created.report_columns
    data.report_columns = ["audience", "nonsense"]
    with pytest.raises(DomainError) as exc:
        services.campaign_create(actor=people.hq_officer, data=data)
    assert exc.value.field == "report_columns"


def test_a_joint_activity_is_seen_by_its_co_units_but_counted_once_by_its_lead(
    people, org, campaign, make_activity
):
    outlet_a2 = org_services.unit_create(
        actor=None, code="OUT-a2", name="A二网点", kind=UnitKind.OUTLET, parent=org.sub_a
    )
    joint = make_activity(campaign=campaign, co_units=[outlet_a2, org.outlet_b], status="approved")
    # The co-unit in branch B sees it, and its branch total does not include it.
    assert joint in selectors.activities_for(people.handler_b)
    assert selectors.campaign_figures(campaign, org.branch_b)["activities"] == 0
    assert selectors.campaign_figures(campaign, org.branch_a)["audience"] == 40
    assert selectors.campaign_figures(campaign, org.hq)["activities"] == 1
    assert selectors.campaign_figures(campaign, org.hq)["audience"] == 40
    # The co-unit cannot change it.
    with pytest.raises(PermissionDeniedError):
        services.activity_reopen(actor=people.officer_b, activity=joint, reason="x")


def test_a_reused_photo_is_flagged(people, make_activity):
    from xiaobao.evidence.selectors import evidence_for, reused_elsewhere
    from xiaobao.outreach.tests.conftest import photo

    first = make_activity(n_photos=0)
    second = make_activity(n_photos=0)
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=first, upload=photo("a.jpg", seed=7)
    )
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=second, upload=photo("b.jpg", seed=7, quality=70)
    )
    flagged = reused_elsewhere(evidence_for(second))
    assert len(flagged) == 1


def test_a_complaint_received_on_the_spot_goes_through_the_intake_and_is_linked(
    people, make_activity
):
    activity = make_activity()
    link = services.activity_link_complaint(
        actor=people.outlet_handler_a,
        activity=activity,
        received_at=yesterday(),
        title="宣传现场反映理财赎回到账慢",
        narrative="客户在宣传活动现场反映理财赎回资金到账慢。",
        complainant_name="王芳",
        phone="13800138000",
    )
    assert link.complaint.unit == activity.unit
    assert link.complaint.intake_channel.code == "COUNTER"
    assert [e.action for e in timeline(activity)][-1] == "complaint"
    with pytest.raises(DomainError) as exc:
        services.activity_link_complaint(
            actor=people.outlet_handler_a,
            activity=activity,
            title="",
            narrative="x",
            complainant_name="王芳",
        )
    assert exc.value.field == "title"
    assert activity.complaints.count() == 1
