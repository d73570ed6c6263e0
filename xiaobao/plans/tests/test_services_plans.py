"""The plan lifecycle, cascade, year-end close and next year's copy, through the services."""

from __future__ import annotations

from datetime import date

import pytest

from xiaobao.audit.models import RecordEvent
from xiaobao.audit.selectors import timeline
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.plans import services
from xiaobao.plans.choices import PlanStatus, TaskStatus, YearEndResult
from xiaobao.plans.models import Plan, Task

pytestmark = pytest.mark.django_db


def test_plan_goes_from_draft_to_approved_to_closed_with_an_event_each_step(hq_plan, people):
    plan, _measure, tasks = hq_plan
    assert plan.status == PlanStatus.IN_PROGRESS and plan.approved_by == people.hq_officer
    assert plan.approved_at is not None
    steps = [(e.action, e.from_status, e.to_status) for e in timeline(plan)]
    assert steps[:1] == [("create", "", "draft")]
    assert ("submit", "draft", "submitted") in steps
    assert ("approve", "submitted", "approved") in steps
    assert ("start", "approved", "in_progress") in steps
    # Close: the open tasks need a result and a reason; nothing changes until they have one.
    with pytest.raises(DomainError, match="请评定年末完成情况") as exc:
        services.plan_close(actor=people.hq_officer, plan=plan)
    assert exc.value.field == "results"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.IN_PROGRESS
    a, b = tasks
    with pytest.raises(DomainError, match="须说明原因"):
        services.plan_close(
            actor=people.hq_officer,
            plan=plan,
            results={a.pk: services.YearEndResultData(YearEndResult.PARTLY, "")},
        )
    assert not Task.objects.exclude(year_end_result="").exists()
    services.plan_close(
        actor=people.hq_officer,
        plan=plan,
        results={
            a.pk: services.YearEndResultData(YearEndResult.PARTLY, "宣传周延期至五月"),
            b.pk: services.YearEndResultData(YearEndResult.NOT_DONE, "人员调整"),
        },
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED and plan.closed_at is not None
    a.refresh_from_db()
    assert (a.year_end_result, a.year_end_reason) == ("partly", "宣传周延期至五月")
    assert RecordEvent.objects.filter(action="year_end").count() == 2


def test_a_measure_cascades_one_task_per_branch(hq_plan, org):
    plan, measure, tasks = hq_plan
    assert sorted(t.owner_unit.code for t in tasks) == ["BR-a", "BR-b"]
    for t in tasks:
        assert (t.plan, t.measure, t.issuing_unit, t.source) == (plan, measure, org.hq, measure)
        assert t.status == TaskStatus.OPEN
        assert [e.action for e in timeline(t)] == ["create"]


def test_a_branch_plan_inherits_the_head_office_structure(hq_plan, people, org):
    plan, measure, _ = hq_plan
    branch = services.plan_create(
        actor=people.officer_a, unit=org.branch_a, year=plan.year, title="A分行计划", parent=plan
    )
    inherited = branch.measures.get()
    assert (inherited.heading, inherited.inherited_from) == (measure.heading, measure)
    # Another branch's officer cannot draft a plan for branch A; a plan cannot adopt a sibling.
    with pytest.raises(PermissionDeniedError):
        services.plan_create(
            actor=people.officer_b, unit=org.branch_a, year=plan.year, title="越权"
        )
    with pytest.raises(DomainError, match="上级计划"):
        services.plan_create(
            actor=people.officer_b, unit=org.branch_b, year=plan.year, title="B", parent=branch
        )


def test_next_years_draft_carries_unfinished_tasks_over(hq_plan, people, biz):
    plan, measure, (a, b) = hq_plan
    services.task_submit(actor=people.officer_a, task=a, note="已完成宣传周")
    services.task_accept(actor=people.hq_officer, task=a)
    services.plan_close(
        actor=people.hq_officer,
        plan=plan,
        results={b.pk: services.YearEndResultData(YearEndResult.NOT_DONE, "人员调整")},
    )
    new = services.plan_copy_next_year(actor=people.hq_officer, plan=plan)
    assert (new.year, new.status, new.copied_from) == (plan.year + 1, PlanStatus.DRAFT, plan)
    assert str(plan.year + 1) in new.title
    assert [m.heading for m in new.measures.all()] == [measure.heading]
    carried = new.tasks.get()
    assert carried.carried_over_from == b and carried.owner_unit == b.owner_unit
    assert carried.measure == new.measures.get() and carried.due_date.year == b.due_date.year + 1
    assert [e.action for e in timeline(b)][-1] == "carry_over"
    with pytest.raises(DomainError, match="已沿用"):
        services.plan_copy_next_year(actor=people.hq_officer, plan=plan)


def test_illegal_transitions_and_bad_input_change_nothing(hq_plan, people, org):
    plan, _, (a, _b) = hq_plan
    with pytest.raises(InvalidTransitionError):
        services.plan_submit(actor=people.hq_officer, plan=plan)
    with pytest.raises(InvalidTransitionError):
        services.task_accept(actor=people.hq_officer, task=a)
    with pytest.raises(DomainError, match="请填写计划标题") as exc:
        services.plan_create(actor=people.hq_officer, unit=org.hq, year=2027, title=" ")
    assert exc.value.field == "title" and Plan.objects.count() == 1
    with pytest.raises(DomainError, match="进度须为0—100") as exc:
        services.task_progress_add(actor=people.officer_a, task=a, pct=120, text="过半")
    a.refresh_from_db()
    assert (a.status, a.progress_pct, a.progress.count()) == ("open", 0, 0)
    services.task_submit(actor=people.officer_a, task=a, note="完成")
    with pytest.raises(DomainError, match="退回须说明理由"):
        services.task_return(actor=people.hq_officer, task=a, reason="")
    a.refresh_from_db()
    assert a.status == TaskStatus.SUBMITTED
    draft = services.plan_create(actor=people.hq_officer, unit=org.hq, year=2027, title="草稿")
    with pytest.raises(DomainError, match="至少须有一项工作措施"):
        services.plan_submit(actor=people.hq_officer, plan=draft)
    with pytest.raises(DomainError, match="完成期限不能早于今天"):
        services.task_create(
            actor=people.hq_officer,
            issuing_unit=org.hq,
            owner_unit=org.branch_a,
            title="过期任务",
            due_date=date(2000, 1, 1),
        )


def test_return_sends_the_work_back_and_the_owner_resubmits(hq_plan, people):
    _, _, (a, _b) = hq_plan
    services.task_progress_add(actor=people.officer_a, task=a, pct=50, text="方案已印发")
    services.task_submit(actor=people.officer_a, task=a, note="活动已开展")
    services.task_return(actor=people.hq_officer, task=a, reason="缺少活动照片")
    a.refresh_from_db()
    assert (a.status, a.submitted_at) == (TaskStatus.RETURNED, None)
    services.task_submit(actor=people.officer_a, task=a, note="补充照片")
    services.task_accept(actor=people.hq_officer, task=a)
    a.refresh_from_db()
    assert a.status == TaskStatus.DONE and a.accepted_by == people.hq_officer
    assert a.completed_at == a.submitted_at
    actions = [(e.action, e.from_status, e.to_status) for e in timeline(a)]
    assert actions == [
        ("create", "", "open"),
        ("progress", "open", "in_progress"),
        ("submit", "in_progress", "submitted"),
        ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"),
        ("accept", "submitted", "done"),
    ]
