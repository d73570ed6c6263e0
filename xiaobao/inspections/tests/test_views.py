"""The pages answer like the API: 403 refused, 409 illegal transition, 400 invalid, 404 out of
scope; and the outlet never sees a visit before it is published."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD, create_user
from xiaobao.inspections.models import Visit
from xiaobao.organisation.choices import Role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_record_page_validates_and_saves_the_results(make_visit, inspector):
    visit = make_visit()
    c = client_for(inspector)
    assert c.get(f"/inspections/visits/{visit.pk}/").status_code == 200
    base = {
        "visited_at": "2026-01-05T10:00",
        "scenario": "wealth",
        "r_ENV-01": "yes",
        "r_SVC-01": "9",
        "r_SVC-02": "0",
        "r_SUIT-01": "yes",
    }
    r = c.post(f"/inspections/visits/{visit.pk}/record/", base)
    assert r.status_code == 400 and "4" in r.content.decode()
    r = c.post(f"/inspections/visits/{visit.pk}/record/", base | {"r_SVC-01": "4"})
    assert r.status_code == 302
    visit.refresh_from_db()
    assert str(visit.score) == "100.00" and visit.status == "draft"


def test_actions_map_refusals_and_illegal_transitions(make_visit, people, org):
    visit = make_visit(status="submitted")
    handler = client_for(people.outlet_handler_a)
    assert handler.get(f"/inspections/visits/{visit.pk}/").status_code == 404  # not yet published
    officer = client_for(people.officer_a)
    assert (
        officer.post(f"/inspections/visits/{visit.pk}/appeal/", {"reason": "x"}).status_code == 409
    )
    assert (
        officer.post(f"/inspections/visits/{visit.pk}/return/", {"reason": ""}).status_code == 400
    )
    assert (
        client_for(people.officer_b).post(f"/inspections/visits/{visit.pk}/publish/").status_code
        == 404
    )
    assert officer.post(f"/inspections/visits/{visit.pk}/publish/").status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == "published"
    assert handler.get(f"/inspections/visits/{visit.pk}/").status_code == 200
    assert officer.post(f"/inspections/visits/{visit.pk}/publish/").status_code == 409
    assert handler.post(f"/inspections/visits/{visit.pk}/publish/").status_code == 403
    assert (
        officer.post(f"/inspections/visits/{visit.pk}/finalise/").status_code == 409
    )  # window open


def test_pages_list_and_figures(make_visit, people, org, inspector):
    make_visit(status="published")
    officer = client_for(people.officer_a)
    for url in (
        "/inspections/",
        "/inspections/findings/",
        "/inspections/figures/",
        "/inspections/examinations/",
        "/inspections/meetings/",
        "/inspections/visits/new/",
    ):
        assert officer.get(url).status_code == 200, url
    vendor = create_user("vendor_x", org.hq, Role.INSPECTION_VENDOR)
    vc = client_for(vendor)
    assert vc.get("/inspections/").status_code == 200
    assert vc.get("/inspections/findings/").status_code == 403
    assert vc.get("/inspections/figures/").status_code == 403


def _open_finding(make_visit, people):
    from xiaobao.inspections import services
    from xiaobao.inspections.models import Finding

    visit = make_visit(status="published")
    services.visit_appeal(actor=people.outlet_handler_a, visit=visit, reason="不认可")
    services.visit_decide_appeal(
        actor=people.officer_a, visit=visit, decision="rejected", reply="维持原结论"
    )
    return Finding.objects.get(visit=visit, item_code="ENV-01")


def test_a_finding_follows_its_task_on_the_plans_task_page(make_visit, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiaobao.audit.selectors import timeline
    from xiaobao.inspections.choices import FindingStatus
    from xiaobao.plans.choices import TaskStatus
    from xiaobao.plans.services import task_submit

    finding = _open_finding(make_visit, people)
    task = finding.task
    # Submitted on the task engine without evidence: the finding follows to 待验收, but the
    # office cannot accept it on the plans page (the evidence rule is the finding's).
    task_submit(actor=people.outlet_handler_a, task=task, note="已整改", files=[])
    finding.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED
    officer = client_for(people.officer_a)
    r = officer.post(f"/plans/tasks/{task.pk}/accept/", {"note": "同意"})
    assert r.status_code == 400 and "没有整改证明材料" in r.content.decode()
    finding.refresh_from_db()
    task.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED and task.status == TaskStatus.SUBMITTED
    # Returned on the plans page: the finding is open again.
    r = officer.post(f"/plans/tasks/{task.pk}/return/", {"reason": "请补充照片"})
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    # Submitted with evidence and accepted on the plans page: the finding is closed.
    photo = SimpleUploadedFile(
        "整改.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )
    handler = client_for(people.outlet_handler_a)
    r = handler.post(
        f"/plans/tasks/{task.pk}/submit/", {"note": "已张贴收费标准", "evidence": [photo]}
    )
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED
    assert officer.post(f"/plans/tasks/{task.pk}/accept/", {"note": "同意"}).status_code == 302
    finding.refresh_from_db()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert finding.status == FindingStatus.CLOSED and finding.closed_at == task.completed_at
    actions = [e.action for e in timeline(finding)]
    assert actions[-4:] == ["submitted", "open", "submitted", "closed"]
