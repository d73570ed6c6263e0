"""Who sees and who may act on a task: owner side, issuing office, auditor, other branches."""

from __future__ import annotations

from datetime import date

import pytest

from xiaobao.lib.errors import PermissionDeniedError
from xiaobao.plans import selectors, services
from xiaobao.plans.services.task import can_report, can_verify

pytestmark = pytest.mark.django_db


def test_tasks_are_seen_by_the_owning_branch_the_issuing_office_and_the_auditor(hq_plan, people):
    _, _, (a, b) = hq_plan
    visible = {u: set(selectors.tasks_visible(getattr(people, u))) for u in vars(people)}
    assert visible["hq_officer"] == {a, b} and visible["auditor"] == {a, b}
    assert visible["officer_a"] == {a} and visible["head_a"] == {a}
    assert visible["officer_b"] == {b}
    assert visible["handler_a"] == set() and visible["handler_b"] == set()
    assert set(selectors.plans_visible(people.officer_a)) == set()


def test_a_task_issued_by_a_sub_branch_to_a_head_office_department_is_seen_by_both(
    people, org, biz
):
    task = services.task_create(
        actor=people.officer_a,
        issuing_unit=org.sub_a,
        owner_unit=org.hq,
        owner_department=biz.card,
        title="修订信用卡年费告知书",
        due_date=date(2099, 1, 1),
    )
    assert task in selectors.tasks_visible(people.handler_a)  # the issuing office
    assert task in selectors.tasks_visible(biz.card_user)  # the owner
    assert task not in selectors.tasks_visible(people.handler_b)
    assert task in selectors.my_tasks(biz.card_user)
    assert can_report(biz.card_user, task) and not can_report(biz.retail_b_user, task)
    assert can_verify(people.officer_a, task) and not can_verify(people.officer_b, task)
    assert not can_verify(people.auditor, task) and not can_report(people.auditor, task)


def test_the_auditor_and_other_branches_cannot_act(hq_plan, people, biz):
    _, _, (a, _b) = hq_plan
    for actor in (people.auditor, people.officer_b, people.handler_b, biz.retail_b_user):
        with pytest.raises(PermissionDeniedError):
            services.task_progress_add(actor=actor, task=a, pct=10, text="x")
    services.task_submit(actor=people.officer_a, task=a, note="完成")
    # Branch A did the work; only the issuing head office verifies it.
    for actor in (people.officer_a, people.auditor, people.officer_b):
        with pytest.raises(PermissionDeniedError):
            services.task_accept(actor=actor, task=a)
