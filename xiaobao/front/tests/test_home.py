"""Role homes: each role's first panels are what it must act on, bounded, most urgent first;
nobody sees a list they cannot act on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD
from xiaobao.front.home import LIMIT, panels_for
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import Department

pytestmark = pytest.mark.django_db


def make_home_data(org: Any, people: Any, make_user: Any) -> Any:
    """An overdue and a due-soon case of handler_a, an unassigned case, a pending extension,
    and a head-office task owned by the card department, overdue."""
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person
    from xiaobao.plans import services as plans

    now = timezone.now()

    def case(title: str, days_ago: int, handler: Any = people.handler_a) -> Any:
        c = services.complaint_register(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=now - timedelta(days=days_ago),
            intake_channel="COUNTER",
            title=title,
            narrative="客户称办卡时未被告知年费标准，上月被扣收年费600元，要求退还。",
            complainants=[person()],
            demands=["REFUND"],
            business_channel="COUNTER",
            business_category="CARD_CREDIT",
            cause="PRICING",
        )
        if handler is not None:
            services.complaint_accept(actor=handler, complaint=c)
        return c

    class Data:
        overdue = case("逾期的年费投诉", 25)
        soon = case("将到期的分期投诉", 13)
        extended = case("需要延期的理财投诉", 2)
        unassigned = case("尚未分派的投诉", 1, handler=None)
        extension = services.extension_request(
            actor=people.handler_a, complaint=extended, target_days=30, reason="需调取录音核实"
        )
        card = Department.objects.create(
            unit=org.hq, code="XYK", name="信用卡部", function="credit_card"
        )
        card_user = make_user("card_user", org.hq, Role.BUSINESS_DEPT, department=card)
        admin = make_user("sysadmin", org.hq, Role.SYSADMIN)
        task = plans.task_create(
            actor=people.hq_officer,
            issuing_unit=org.hq,
            owner_unit=org.hq,
            owner_department=card,
            title="修订分期业务营销话术",
            due_date=timezone.localdate() + timedelta(days=2),
        )

    return Data


@pytest.fixture
def home_data(org, people, make_user) -> Any:
    return make_home_data(org, people, make_user)


def _keys(user: Any) -> tuple[list[str], list[str]]:
    busy, idle = panels_for(user)
    return [p.key for p in busy], [p.key for p in idle]


def test_each_role_sees_its_own_work_first(home_data, people):
    busy, _idle = _keys(people.handler_a)
    assert busy[:2] == ["my_overdue", "my_due_soon"]
    assert "unassigned" not in busy and "extensions" not in busy  # cannot assign or approve
    busy, _idle = _keys(people.head_a)
    assert busy[0] == "extensions"  # the approval waiting comes first
    busy, _idle = _keys(people.officer_a)
    assert "unassigned" in busy and "scope_overdue" in busy
    busy, idle = _keys(people.auditor)
    assert "unassigned" not in busy + idle and "extensions" not in busy + idle
    assert busy[0] == "scope_overdue"
    busy, _idle = _keys(home_data.card_user)
    assert busy == ["my_tasks"]
    busy, _idle = _keys(home_data.admin)
    assert busy == ["locked_accounts"]  # administration only, no complaint lists
    # Branch B's officer sees none of branch A's cases.
    busy, _idle = _keys(people.officer_b)
    assert "scope_overdue" not in busy and "unassigned" not in busy


def test_panels_are_bounded_with_the_true_count(home_data, people, org):
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    for i in range(LIMIT + 2):
        services.complaint_register(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=timezone.now() - timedelta(hours=i + 1),
            intake_channel="COUNTER",
            title=f"待分派投诉{i}",
            narrative="客户称办卡时未被告知年费标准，上月被扣收年费600元，要求退还。",
            complainants=[person(phone=f"1380013{i:04d}")],
            demands=["REFUND"],
            business_channel="COUNTER",
            business_category="CARD_CREDIT",
            cause="PRICING",
        )
    busy, _idle = panels_for(people.officer_a)
    panel = next(p for p in busy if p.key == "unassigned")
    assert panel.count == LIMIT + 3 and len(panel.rows) == LIMIT and panel.more == 3


def test_home_page_renders_each_role(client, home_data, people):
    client.login(username="handler_a", password=PASSWORD)
    page = client.get("/").content.decode()
    assert page.index('id="panel-my_overdue"') < page.index('id="panel-my_due_soon"')
    assert "逾期的年费投诉" in page and "逾期" in page and "A支行" in page
    client.login(username="head_a", password=PASSWORD)
    page = client.get("/").content.decode()
    assert page.split('data-panel="')[1].startswith("extensions")  # the first panel
    assert "需要延期的理财投诉" in page
    client.login(username="card_user", password=PASSWORD)
    page = client.get("/").content.decode()
    assert "修订分期业务营销话术" in page and 'id="panel-my_tasks"' in page
    client.login(username="sysadmin", password=PASSWORD)
    page = client.get("/").content.decode()
    assert "员工与角色" in page and "逾期的年费投诉" not in page
