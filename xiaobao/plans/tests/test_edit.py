"""Editing after issue: a task's due date, owners and co-owners, its milestones, a plan's measures;
and the plan transitions over the API. Each rule through the service, the API and the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import PASSWORD
from xiaobao.audit.selectors import timeline
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.plans import services
from xiaobao.plans.choices import PlanStatus
from xiaobao.plans.services._common import today
from xiaobao.plans.tests.test_api import _api

pytestmark = pytest.mark.django_db


def _page(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_moving_a_due_date_re_arms_reminders_and_writes_an_event(hq_plan, people, org, biz):
    _, _, (a, _b) = hq_plan
    a.next_check_at = None
    a.save(update_fields=["next_check_at"])
    new_due = a.due_date + timedelta(days=30)
    services.task_update(
        actor=people.hq_officer,
        task=a,
        due_date=new_due,
        reason="方案调整",
        co_units=[org.sub_a],
    )
    a.refresh_from_db()
    assert a.due_date == new_due and a.next_check_at is not None
    assert list(a.co_units.all()) == [org.sub_a]
    event = timeline(a).filter(action="update").get()
    assert event.reason == "方案调整" and "due_date" in event.data["changed"]
    # Changing only the co-owners does not re-arm the sweep.
    a.next_check_at = None
    a.save(update_fields=["next_check_at"])
    services.task_update(actor=people.hq_officer, task=a, due_date=new_due, reason="增加协办")
    a.refresh_from_db()
    assert a.next_check_at is None and not a.co_units.exists()


def test_task_update_refusals_change_nothing(hq_plan, people, org, biz):
    _, _, (a, _b) = hq_plan
    due = a.due_date
    with pytest.raises(PermissionDeniedError):  # the owner cannot move its own deadline
        services.task_update(actor=people.officer_a, task=a, due_date=due, reason="x")
    with pytest.raises(DomainError) as exc:
        services.task_update(actor=people.hq_officer, task=a, due_date=due, reason="")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        services.task_update(
            actor=people.hq_officer, task=a, due_date=today() - timedelta(days=1), reason="x"
        )
    assert exc.value.field == "due_date"
    with pytest.raises(DomainError) as exc:  # branch B's department is not branch A's
        services.task_update(
            actor=people.hq_officer, task=a, due_date=due, reason="x", owner_department=biz.retail_b
        )
    assert exc.value.field == "owner_department"
    with pytest.raises(DomainError) as exc:  # the owner is not its own co-owner
        services.task_update(
            actor=people.hq_officer, task=a, due_date=due, reason="x", co_units=[org.branch_a]
        )
    assert exc.value.field == "co_units"
    a.refresh_from_db()
    assert a.due_date == due and not timeline(a).filter(action="update").exists()


def test_milestones_added_and_removed_with_events(hq_plan, people):
    _, _, (a, _b) = hq_plan
    m = services.milestone_add(
        actor=people.officer_a, task=a, title="制定方案", due_date=a.due_date - timedelta(days=10)
    )
    with pytest.raises(DomainError) as exc:
        services.milestone_add(
            actor=people.officer_a, task=a, title="晚于期限", due_date=a.due_date + timedelta(1)
        )
    assert exc.value.field == "due_date"
    with pytest.raises(PermissionDeniedError):
        services.milestone_add(actor=people.officer_b, task=a, title="越权", due_date=a.due_date)
    with pytest.raises(DomainError) as exc:
        services.milestone_remove(actor=people.officer_a, milestone=m, reason=" ")
    assert exc.value.field == "reason" and a.milestones.count() == 1
    services.milestone_remove(actor=people.hq_officer, milestone=m, reason="合并到下一节点")
    assert a.milestones.count() == 0
    actions = list(timeline(a).values_list("action", flat=True))
    assert "milestone_add" in actions and "milestone_remove" in actions
    # A moved due date may not fall before an existing milestone.
    services.milestone_add(actor=people.hq_officer, task=a, title="中期", due_date=a.due_date)
    with pytest.raises(DomainError) as exc:
        services.task_update(
            actor=people.hq_officer, task=a, due_date=a.due_date - timedelta(1), reason="提前"
        )
    assert exc.value.field == "due_date"


def test_task_update_and_milestones_over_the_api(hq_plan, people, org, biz):
    _, _, (a, _b) = hq_plan
    hq = _api(people.hq_officer)
    new_due = (a.due_date + timedelta(days=20)).isoformat()
    response = hq.post(
        f"/api/v1/tasks/{a.pk}/update/",
        {"due_date": new_due, "reason": "延后", "co_units": ["SUB-a"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["due_date"] == new_due and response.json()["co_units"] == ["SUB-a"]
    bad = hq.post(f"/api/v1/tasks/{a.pk}/update/", {"due_date": new_due}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    refused = _api(people.officer_a).post(
        f"/api/v1/tasks/{a.pk}/update/", {"due_date": new_due, "reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    unseen = _api(people.officer_b).post(
        f"/api/v1/tasks/{a.pk}/update/", {"due_date": new_due, "reason": "x"}, format="json"
    )
    assert unseen.status_code == 404
    added = _api(people.officer_a).post(
        f"/api/v1/tasks/{a.pk}/milestones/",
        {"title": "方案印发", "due_date": new_due},
        format="json",
    )
    assert added.status_code == 200 and added.json()["milestones"][0]["title"] == "方案印发"
    late = _api(people.officer_a).post(
        f"/api/v1/tasks/{a.pk}/milestones/",
        {"title": "太晚", "due_date": "2100-01-01"},
        format="json",
    )
    # A well-formed request a rule refuses is a 422, naming the field.
    assert late.status_code == 422 and "due_date" in late.json()["errors"]


def test_plan_transitions_over_the_api(people, org):
    year = today().year + 1
    hq = _api(people.hq_officer)
    plan = services.plan_create(actor=people.hq_officer, unit=org.hq, year=year, title="计划")
    empty = hq.post(f"/api/v1/plans/{plan.pk}/submit/", {}, format="json")
    assert empty.status_code == 422 and "measures" in empty.json()["errors"]
    services.measure_add(actor=people.hq_officer, plan=plan, heading="健全体制机制")
    assert hq.post(f"/api/v1/plans/{plan.pk}/submit/", {}, format="json").json()["status"] == (
        PlanStatus.SUBMITTED
    )
    no_reason = hq.post(f"/api/v1/plans/{plan.pk}/return/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    returned = hq.post(f"/api/v1/plans/{plan.pk}/return/", {"reason": "补充量化目标"})
    assert returned.json()["status"] == PlanStatus.RETURNED
    assert hq.post(f"/api/v1/plans/{plan.pk}/start/", {}).status_code == 409
    hq.post(f"/api/v1/plans/{plan.pk}/submit/", {})
    approved = hq.post(f"/api/v1/plans/{plan.pk}/approve/", {"note": "委员会审议通过"})
    assert approved.json()["status"] == PlanStatus.APPROVED
    assert approved.json()["approved_by"] == "hq_officer"
    assert _api(people.officer_a).post(f"/api/v1/plans/{plan.pk}/start/", {}).status_code == 404
    assert hq.post(f"/api/v1/plans/{plan.pk}/start/", {}).json()["status"] == "in_progress"
    task = services.measure_cascade(
        actor=people.hq_officer,
        measure=plan.measures.get(),
        title="制定制度",
        due_date=today() + timedelta(days=30),
    )[0]
    unrated = hq.post(f"/api/v1/plans/{plan.pk}/close/", {"results": []}, format="json")
    assert unrated.status_code == 422 and "results" in unrated.json()["errors"]
    closed = hq.post(
        f"/api/v1/plans/{plan.pk}/close/",
        {
            "results": [
                {"task": t.pk, "result": "not_done", "reason": "系统改造延期"}
                for t in plan.tasks.all()
            ]
        },
        format="json",
    )
    assert closed.status_code == 200 and closed.json()["status"] == PlanStatus.CLOSED
    task.refresh_from_db()
    assert task.year_end_result == "not_done"
    actions = list(timeline(plan).values_list("action", flat=True))
    assert actions.count("submit") == 2 and "return" in actions and "close" in actions


def test_task_edit_and_milestone_pages(client, hq_plan, people, org):
    _, _, (a, _b) = hq_plan
    hq = _page(client, people.hq_officer)
    page = hq.get(f"/plans/tasks/{a.pk}/").content.decode()
    assert "调整期限、责任人与协办" in page and "新增节点" in page
    new_due = a.due_date + timedelta(days=15)
    bad = hq.post(f"/plans/tasks/{a.pk}/edit/", {"due_date": "", "reason": ""})
    assert bad.status_code == 400
    assert bad.content.decode().count("errorlist") >= 2
    ok = hq.post(
        f"/plans/tasks/{a.pk}/edit/",
        {"due_date": new_due.isoformat(), "reason": "按分行申请延后", "co_units": [org.sub_a.pk]},
    )
    assert ok.status_code == 302
    a.refresh_from_db()
    assert a.due_date == new_due and list(a.co_units.all()) == [org.sub_a]
    assert (
        hq.post(
            f"/plans/tasks/{a.pk}/milestone/", {"title": "方案", "due_date": new_due.isoformat()}
        ).status_code
        == 302
    )
    m = a.milestones.get()
    assert (
        hq.post(
            f"/plans/tasks/{a.pk}/milestone_remove/", {"milestone": m.pk, "reason": ""}
        ).status_code
        == 400
    )
    assert a.milestones.count() == 1
    assert (
        hq.post(
            f"/plans/tasks/{a.pk}/milestone_remove/", {"milestone": m.pk, "reason": "合并"}
        ).status_code
        == 302
    )
    assert a.milestones.count() == 0
    hq.logout()
    branch = _page(client, people.officer_a)
    assert "调整期限、责任人与协办" not in branch.get(f"/plans/tasks/{a.pk}/").content.decode()
    refused = branch.post(
        f"/plans/tasks/{a.pk}/edit/", {"due_date": new_due.isoformat(), "reason": "x"}
    )
    assert refused.status_code == 403


def test_measure_edit_page(client, people, org):
    plan = services.plan_create(
        actor=people.hq_officer, unit=org.hq, year=today().year + 1, title="计划"
    )
    m = services.measure_add(actor=people.hq_officer, plan=plan, heading="旧标题")
    hq = _page(client, people.hq_officer)
    assert "修改措施" in hq.get(f"/plans/{plan.pk}/").content.decode()
    bad = hq.post(f"/plans/{plan.pk}/measure_edit/", {"measure": m.pk, "heading": ""})
    assert bad.status_code == 400
    m.refresh_from_db()
    assert m.heading == "旧标题"
    ok = hq.post(
        f"/plans/{plan.pk}/measure_edit/",
        {"measure": m.pk, "heading": "新标题", "text": "一是……", "element": "governance"},
    )
    assert ok.status_code == 302
    m.refresh_from_db()
    assert (m.heading, m.element) == ("新标题", "governance")
    services.plan_submit(actor=people.hq_officer, plan=plan)
    locked = hq.post(f"/plans/{plan.pk}/measure_edit/", {"measure": m.pk, "heading": "再改"})
    assert locked.status_code == 409
    with pytest.raises(InvalidTransitionError):
        services.measure_update(actor=people.hq_officer, measure=m, heading="再改")


def test_errors_in_the_language_of_the_page(client, people, org):
    plan = services.plan_create(
        actor=people.hq_officer, unit=org.hq, year=today().year + 1, title="计划"
    )
    # The API answers in the client's language (Chinese unless it asks for another) …
    api = _api(people.hq_officer)
    answer = api.post(f"/api/v1/plans/{plan.pk}/submit/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert (
        answer.json()["message"] == "A plan needs at least one measure before it can be submitted."
    )
    answer = api.post(f"/api/v1/plans/{plan.pk}/submit/", {})
    assert answer.json()["message"] == "计划至少须有一项工作措施才能提交。"
    # … and so does a page in English.
    page = _page(client, people.hq_officer)
    response = page.post(f"/plans/{plan.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "A plan needs at least one measure before it can be submitted." in body
    assert "计划至少须有一项工作措施" not in body
