"""The pages that create checklists, plans, regulator examinations and weekly meetings: they go
through the same services as the API, answer 400 with the field's message, 403 when refused, and
offer only units (and people) in the user's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from xiaobao.evidence.selectors import evidence_for
from xiaobao.inspections.models import (
    Checklist,
    Examination,
    InspectionPlan,
    ServiceMeeting,
)
from xiaobao.lib.clock import now as clock_now

pytestmark = pytest.mark.django_db

LINES = (
    "环境|ENV-01|收费标准公示|是否|10||一般|否\n"
    "服务|SVC-01|服务规范|分档|20|4|较重|否\n"
    "适当性|SUIT-01|风险测评与双录|是否|30||严重|是\n"
)


def client_for(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def today():
    return timezone.localdate(clock_now())


def test_head_office_creates_a_checklist_on_the_page(people):
    c = client_for(people.hq_officer)
    assert c.get("/inspections/checklists/new/").status_code == 200
    assert 'id="new-checklist"' in c.get("/inspections/").content.decode()
    bad = c.post(
        "/inspections/checklists/new/",
        {"code": "VIP", "name": "贵宾服务", "items": LINES + "服务|SVC-02|微笑|打分|5||一般|否"},
    )
    assert bad.status_code == 400 and "第4行：评分方式须为" in bad.content.decode()
    assert not Checklist.objects.filter(code="VIP").exists()
    r = c.post("/inspections/checklists/new/", {"code": "VIP", "name": "贵宾服务", "items": LINES})
    assert r.status_code == 302
    made = Checklist.objects.get(code="VIP")
    assert made.status == "draft" and made.version == 1
    items = {i.code: i for i in made.items.all()}
    assert items["SVC-01"].scale_max == 4 and items["SUIT-01"].red_line
    assert items["SUIT-01"].severity == "high"
    again = c.post("/inspections/checklists/new/", {"code": "VIP", "name": "x", "items": LINES})
    assert again.status_code == 400 and "该清单代码已存在" in again.content.decode()
    # A branch may not maintain the institution's checklists.
    refused = client_for(people.officer_a).post(
        "/inspections/checklists/new/", {"code": "BR", "name": "分行清单", "items": LINES}
    )
    assert refused.status_code == 403 and not Checklist.objects.filter(code="BR").exists()


def test_a_branch_creates_an_inspection_plan_within_its_scope(people, org, checklist):
    c = client_for(people.officer_a)
    assert c.get("/inspections/plans/new/").status_code == 200
    data = {
        "name": "2026年神秘人暗访",
        "kind": "mystery",
        "unit": org.branch_a.pk,
        "checklist": checklist.pk,
        "starts_on": today().isoformat(),
        "ends_on": (today() - timedelta(days=1)).isoformat(),
        "visits_per_outlet": 2,
        "window_days": 14,
        "unannounced": "on",
    }
    r = c.post("/inspections/plans/new/", data)
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    r = c.post("/inspections/plans/new/", data | {"unit": org.branch_b.pk})
    assert r.status_code == 400  # another branch is not offered
    ok = data | {"ends_on": (today() + timedelta(days=90)).isoformat()}
    assert c.post("/inspections/plans/new/", ok).status_code == 302
    plan = InspectionPlan.objects.get(name="2026年神秘人暗访")
    assert plan.unit == org.branch_a and plan.visits_per_outlet == 2 and plan.unannounced
    assert client_for(people.outlet_handler_a).get("/inspections/plans/new/").status_code == 403


def test_the_office_registers_a_regulator_examination_with_its_notice(people, org):
    c = client_for(people.officer_a)
    assert 'id="new-examination"' in c.get("/inspections/examinations/").content.decode()
    data = {
        "regulator": "国家金融监督管理总局某某监管分局",
        "notice_no": "监检〔2026〕3号",
        "notice_date": today().isoformat(),
        "unit": org.branch_a.pk,
        "scope": "消费者权益保护工作",
        "report_back_due": (today() - timedelta(days=3)).isoformat(),
    }
    r = c.post("/inspections/examinations/new/", data)
    assert r.status_code == 400 and "报告报送期限不能早于通知日期" in r.content.decode()
    notice = SimpleUploadedFile(
        "通知.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )
    ok = data | {"report_back_due": (today() + timedelta(days=60)).isoformat(), "notice": notice}
    assert c.post("/inspections/examinations/new/", ok).status_code == 302
    exam = Examination.objects.get(notice_no="监检〔2026〕3号")
    assert exam.unit == org.branch_a and [f.label for f in evidence_for(exam)] == ["检查通知"]
    assert (
        client_for(people.outlet_handler_a).get("/inspections/examinations/new/").status_code == 403
    )


def test_an_outlet_records_its_weekly_meeting_with_attendance(people, org):
    from conftest import create_user
    from xiaobao.organisation.choices import Role

    colleague = create_user("teller_a", org.outlet_a, Role.HANDLER)
    c = client_for(people.outlet_handler_a)
    assert 'id="new-meeting"' in c.get("/inspections/meetings/").content.decode()
    page = c.get("/inspections/meetings/new/").content.decode()
    assert "teller_a" in page and "officer_b" not in page  # only people of its own unit
    data = {
        "unit": org.outlet_a.pk,
        "held_on": (today() + timedelta(days=1)).isoformat(),
        "topic": "本周服务问题讲评",
        "minutes": "讲评暗访发现的收费公示问题。",
        "present": [people.outlet_handler_a.pk],
        "absent": [colleague.pk],
    }
    r = c.post("/inspections/meetings/new/", data)
    assert r.status_code == 400 and "不能登记尚未召开的例会" in r.content.decode()
    r = c.post("/inspections/meetings/new/", data | {"present": [people.officer_b.pk]})
    assert r.status_code == 400 and not ServiceMeeting.objects.exists()
    r = c.post("/inspections/meetings/new/", data | {"held_on": today().isoformat()})
    assert r.status_code == 302
    meeting = ServiceMeeting.objects.get()
    assert {(a.person_id, a.present) for a in meeting.attendance.all()} == {
        (people.outlet_handler_a.pk, True),
        (colleague.pk, False),
    }
