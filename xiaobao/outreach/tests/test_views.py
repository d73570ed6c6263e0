from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import PASSWORD
from xiaobao.outreach.choices import ActivityStatus
from xiaobao.outreach.models import Activity
from xiaobao.outreach.tests.conftest import photos, yesterday


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_outlet_records_an_activity_with_photos_through_the_page(client, people, campaign):
    login(client, people.outlet_handler_a)
    page = client.get(reverse("outreach:activity_new") + f"?campaign={campaign.pk}")
    assert page.status_code == 200
    response = client.post(
        reverse("outreach:activity_new"),
        {
            "campaign": campaign.pk,
            "unit": people.outlet_handler_a.unit.pk,
            "title": "厅堂反诈宣传",
            "form": "hall",
            "starts_at": yesterday().strftime("%Y-%m-%dT%H:%M"),
            "staff_count": 2,
            "audience_count": 30,
            "counting_method": "sign_in",
            "group_elderly": 12,
            "sms_sent": 0,
            "posts": 0,
            "reads": 0,
            "media_reports": 0,
            "consultations": 5,
            "no_marketing": "on",
            "photos": photos(2),
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "outreach:activity", args=[activity.pk]
    )
    assert activity.audiences.get().count == 12
    detail = client.get(response.url)
    assert detail.status_code == 200 and "厅堂反诈宣传" in detail.content.decode()
    client.post(reverse("outreach:activity_action", args=[activity.pk, "submit"]))
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.SUBMITTED


def test_invalid_input_is_shown_on_the_form_and_nothing_is_written(client, people):
    login(client, people.outlet_handler_a)
    response = client.post(
        reverse("outreach:activity_new"),
        {
            "unit": people.outlet_handler_a.unit.pk,
            "title": "讲座",
            "form": "lecture",
            "starts_at": yesterday().strftime("%Y-%m-%dT%H:%M"),
            "staff_count": 1,
            "audience_count": 10,
            "counting_method": "platform",
            "sms_sent": 0,
            "posts": 0,
            "reads": 0,
            "media_reports": 0,
            "consultations": 0,
        },
    )
    assert response.status_code == 400
    assert "签到或估算" in response.content.decode()
    assert not Activity.objects.exists()


def test_approval_on_the_page_answers_403_to_outlet_staff_and_409_when_not_submitted(
    client, people, make_activity
):
    activity = make_activity(status="submitted")
    login(client, people.outlet_handler_a)
    url = reverse("outreach:activity_action", args=[activity.pk, "approve"])
    assert client.post(url).status_code == 403
    client.logout()
    login(client, people.officer_a)
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 409
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.APPROVED


def test_another_branch_gets_a_404_for_the_activity(client, people, make_activity):
    activity = make_activity()
    login(client, people.officer_b)
    assert client.get(reverse("outreach:activity", args=[activity.pk])).status_code == 404
    url = reverse("outreach:activity_action", args=[activity.pk, "approve"])
    assert client.post(url).status_code == 404


def test_a_reused_photo_is_flagged_to_the_approver(client, people, make_activity):
    from xiaobao.outreach import services
    from xiaobao.outreach.tests.conftest import photo

    first = make_activity(n_photos=1)
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=first, upload=photo("a.jpg", seed=42)
    )
    second = make_activity(n_photos=1)
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=second, upload=photo("b.jpg", seed=42)
    )
    services.activity_submit(actor=people.outlet_handler_a, activity=second)
    login(client, people.officer_a)
    page = client.get(reverse("outreach:activity", args=[second.pk])).content.decode()
    assert 'id="reuse-warning"' in page and page.count("疑似重复使用") == 1


def test_the_campaign_page_and_the_xlsx_show_the_approved_totals(
    client, people, org, campaign, make_activity
):
    make_activity(campaign=campaign, status="approved", audience_count=70, staff_count=4)
    make_activity(campaign=campaign, status="submitted", audience_count=999)
    login(client, people.officer_a)
    page = client.get(reverse("outreach:campaign", args=[campaign.pk]))
    assert page.status_code == 200
    assert page.context["unit"] == org.branch_a
    assert page.context["totals"]["audience"] == 70
    assert list(page.context["non_reporters"]) == []
    report = client.get(reverse("outreach:campaign_report", args=[campaign.pk]))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, total = rows[1], rows[-1]
    assert total[0] == "合计"
    assert dict(zip(header, total, strict=True))["线下受众人次"] == 70
    assert dict(zip(header, total, strict=True))["参与员工人次"] == 4


def test_the_campaign_lists_outlets_that_have_not_reported(client, people, org, campaign):
    login(client, people.hq_officer)
    page = client.get(reverse("outreach:campaign", args=[campaign.pk]))
    assert set(page.context["non_reporters"]) == {org.outlet_a, org.outlet_b}


def test_outlet_staff_cannot_export_or_create_campaigns(client, people, campaign):
    login(client, people.outlet_handler_a)
    assert client.get(reverse("outreach:campaign", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("outreach:campaign_report", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("outreach:campaign_new")).status_code == 403


@pytest.mark.parametrize("name", ["index", "materials", "campaign_new"])
def test_hq_pages_render(client, people, name):
    login(client, people.hq_officer)
    assert client.get(reverse(f"outreach:{name}")).status_code == 200


def test_the_pages_speak_english_when_asked(client, people, make_activity):
    activity = make_activity(status="submitted")
    login(client, people.officer_a)
    client.cookies["django_language"] = "en"
    index = client.get(reverse("outreach:index")).content.decode()
    assert "Record an activity" in index and "Education &" in index
    detail = client.get(reverse("outreach:activity", args=[activity.pk])).content.decode()
    assert "Approve" in detail and "Awaiting approval" in detail and "审核通过" not in detail


def test_a_complaint_received_on_the_spot_is_registered_from_the_activity_page(
    client, people, make_activity
):
    activity = make_activity()
    login(client, people.outlet_handler_a)
    url = reverse("outreach:activity_complaint", args=[activity.pk])
    missing = client.post(url, {"complainant_name": "王芳", "title": "", "narrative": "x"})
    assert missing.status_code == 400 and not activity.complaints.exists()
    done = client.post(
        url,
        {
            "complainant_name": "王芳",
            "phone": "13800138000",
            "title": "现场反映理财赎回到账慢",
            "narrative": "客户在宣传活动现场反映理财赎回资金到账慢，要求尽快处理。",
        },
    )
    assert done.status_code == 302
    link = activity.complaints.get()
    page = client.get(reverse("outreach:activity", args=[activity.pk])).content.decode()
    assert link.complaint.registry_no in page and "13800138000" not in page


def test_a_reopened_activity_of_a_locked_campaign_is_corrected_on_the_page(
    client, people, campaign, make_activity
):
    from django.utils import timezone

    from xiaobao.outreach import services
    from xiaobao.outreach.choices import CampaignStatus

    activity = make_activity(campaign=campaign, status="approved")
    services.campaign_advance(
        actor=people.hq_officer, campaign=campaign, to=CampaignStatus.REPORTING
    )
    services.campaign_advance(actor=people.hq_officer, campaign=campaign, to=CampaignStatus.LOCKED)
    services.activity_reopen(actor=people.officer_a, activity=activity, reason="人次有误")
    login(client, people.outlet_handler_a)
    url = reverse("outreach:activity_edit", args=[activity.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, [], "")}
    data |= {
        "campaign": campaign.pk,
        "unit": activity.unit_id,
        "starts_at": timezone.localtime(activity.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "audience_count": 31,
        "no_marketing": "on",
    }
    data.pop("ends_at", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    activity.refresh_from_db()
    assert activity.audience_count == 31 and activity.status == ActivityStatus.DRAFT
