"""The whole plan lifecycle through the pages: draft, measures, approval, cascade, year-end
close and next year's draft, with the status codes of refusals and illegal transitions."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import PASSWORD
from xiaobao.plans.models import Plan, Task

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.logout()
    client.login(username=user.username, password=PASSWORD)
    return client


def test_plan_lifecycle_through_the_pages(client, people, org):
    year = date.today().year + 1
    c = _as(client, people.hq_officer)
    response = c.post(
        "/plans/", {"year": year, "title": f"{year}年消保工作计划", "goals": "健全机制"}
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    # Submitting without a measure is refused with the reason, and nothing changes.
    response = c.post(f"/plans/{plan.pk}/submit/")
    assert response.status_code == 400 and "至少须有一项工作措施" in response.content.decode()
    bad = c.post(f"/plans/{plan.pk}/measure/", {"heading": "", "element": "nonsense"})
    assert bad.status_code == 400 and plan.measures.count() == 0
    c.post(
        f"/plans/{plan.pk}/measure/",
        {
            "heading": "深入开展金融知识宣传教育",
            "text": "开展宣传周\n开展宣传月",
            "element": "education",
        },
    )
    measure = plan.measures.get()
    assert c.post(f"/plans/{plan.pk}/submit/").status_code == 302
    # The auditor may look but not approve; a second submission is an illegal transition.
    assert _as(client, people.auditor).get(f"/plans/{plan.pk}/").status_code == 200
    assert c.post(f"/plans/{plan.pk}/approve/").status_code == 403
    c = _as(client, people.hq_officer)
    assert c.post(f"/plans/{plan.pk}/submit/").status_code == 409
    assert c.post(f"/plans/{plan.pk}/return/", {"reason": ""}).status_code == 400
    assert c.post(f"/plans/{plan.pk}/approve/", {"note": "委员会审议通过"}).status_code == 302
    assert c.post(f"/plans/{plan.pk}/start/").status_code == 302
    response = c.post(
        f"/plans/{plan.pk}/cascade/",
        {"measure": measure.pk, "title": "组织宣传周", "due_date": f"{year}-04-30"},
    )
    assert response.status_code == 302
    a, b = Task.objects.order_by("owner_unit__code")
    assert (a.owner_unit, b.owner_unit) == (org.branch_a, org.branch_b)
    # Year end: every open task needs a result; the form shows what is missing.
    response = c.post(f"/plans/{plan.pk}/close/", {f"result_{a.pk}": "partly"})
    assert response.status_code == 400 and "须说明原因" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    response = c.post(
        f"/plans/{plan.pk}/close/",
        {
            f"result_{a.pk}": "partly",
            f"reason_{a.pk}": "宣传周延期",
            f"result_{b.pk}": "not_done",
            f"reason_{b.pk}": "人员调整",
        },
    )
    plan.refresh_from_db()
    assert response.status_code == 302 and plan.status == "closed"
    response = c.post(f"/plans/{plan.pk}/copy/")
    new = Plan.objects.get(copied_from=plan)
    assert response["Location"] == f"/plans/{new.pk}/"
    assert new.tasks.count() == 2 and all(t.carried_over_from_id for t in new.tasks.all())
    page = c.get(f"/plans/{new.pk}/").content.decode()
    assert "结转" in page and str(year + 1) in page
