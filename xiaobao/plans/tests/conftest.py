"""Fixtures for plans: business departments and their staff, and a head-office plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import Department
from xiaobao.plans import services


@pytest.fixture
def biz(org, make_user) -> Any:
    """The head office's card department (two staff) and branch B's retail department."""

    class Biz:
        card = Department.objects.create(
            unit=org.hq, code="XYK", name="信用卡部", function="credit_card"
        )
        retail_b = Department.objects.create(
            unit=org.branch_b, code="LS-B", name="个人金融部", function="retail"
        )
        card_user = make_user("card_user", org.hq, Role.BUSINESS_DEPT, department=card)
        retail_b_user = make_user(
            "retail_b_user", org.branch_b, Role.BUSINESS_DEPT, department=retail_b
        )

    return Biz


@pytest.fixture
def hq_plan(people, org) -> Any:
    """An approved head-office plan for next year with one measure, cascaded to both branches."""
    year = date.today().year + 1
    plan = services.plan_create(
        actor=people.hq_officer,
        unit=org.hq,
        year=year,
        title=f"{year}年消费者权益保护工作计划",
        goals="健全体制机制。",
    )
    measure = services.measure_add(
        actor=people.hq_officer,
        plan=plan,
        heading="深入开展金融知识宣传教育",
        text="开展3·15宣传周\n开展金融教育宣传月",
        element="education",
    )
    services.plan_submit(actor=people.hq_officer, plan=plan)
    services.plan_approve(actor=people.hq_officer, plan=plan, note="经消保委员会审议通过")
    services.plan_start(actor=people.hq_officer, plan=plan)
    tasks = services.measure_cascade(
        actor=people.hq_officer,
        measure=measure,
        title="组织3·15宣传周活动",
        due_date=date(year, 4, 30),
    )
    plan.refresh_from_db()
    return plan, measure, tasks
