"""One language at a time on the work-programme pages too: with English chosen, the plan, task,
governance, outreach and metric pages and the role homes hold no Chinese outside user data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from conftest import BROWSER_MARKS
from xiaobao.front.tests.test_browser_english import CJK, DESK, PHONE, _login_english, user_data

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


@pytest.fixture
def programme(people, org):
    """A head-office plan with a measure cascaded to the branches, a milestone, a meeting with a
    decision and an internal rule."""
    from xiaobao.governance import services as gov
    from xiaobao.plans import services
    from xiaobao.plans.services._common import today

    year = today().year + 1
    plan = services.plan_create(
        actor=people.hq_officer,
        unit=org.hq,
        year=year,
        title="年度消保工作计划",
        goals="健全机制。",
    )
    measure = services.measure_add(
        actor=people.hq_officer, plan=plan, heading="提升投诉处理质效", element="disputes"
    )
    services.plan_submit(actor=people.hq_officer, plan=plan)
    services.plan_approve(actor=people.hq_officer, plan=plan, note="同意")
    tasks = services.measure_cascade(
        actor=people.hq_officer,
        measure=measure,
        title="开展投诉溯源分析",
        due_date=today() + timedelta(days=20),
    )
    services.milestone_add(
        actor=people.hq_officer,
        task=tasks[0],
        title="形成分析报告",
        due_date=today() + timedelta(5),
    )
    meeting = gov.meeting_create(
        actor=people.hq_officer,
        unit=org.hq,
        body="leading_group",
        title="领导小组季度会议",
        held_on=today(),
        attendees="组长及成员",
        topics="通报投诉情况",
    )
    gov.decision_add(actor=people.hq_officer, meeting=meeting, text="各分行加强回访。")
    rule = gov.rule_register(
        actor=people.hq_officer,
        unit=org.hq,
        title="消费投诉处理管理办法",
        doc_number="银发〔2025〕1号",
        version="2025版",
        owner_department=None,
        effective_on=today() - timedelta(days=30),
        next_review_on=today() + timedelta(days=300),
    )
    return plan, tasks, meeting, rule


def programme_data() -> list[str]:
    from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
    from xiaobao.plans.models import Measure, Plan, Task, TaskMilestone

    values: list[str] = []
    for p in Plan.objects.all():
        values += [p.title, p.goals, p.basis, p.approval_note]
    for m in Measure.objects.all():
        values += [m.heading, m.text]
    for t in Task.objects.all():
        values += [t.title, t.description, t.source_label]
    values += TaskMilestone.objects.values_list("title", flat=True)
    for mt in Meeting.objects.all():
        values += [mt.title, mt.attendees, mt.topics]
    values += MeetingDecision.objects.values_list("text", flat=True)
    for r in InternalRule.objects.all():
        values += [r.title, r.doc_number, r.version]
    return sorted({v for v in values if v}, key=len, reverse=True)


def _chinese(page, extra: list[str]) -> list[str]:
    """Chinese left on the page once user data (cases, staff, units and the programme records)
    is taken out; the logo and the language menu are not text of the page."""
    text = page.evaluate(
        """() => {
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('.logo, select[name=language], .explain, script, style')
            .forEach(e => e.remove());
        return clone.innerText + '\\n' + document.title;
    }"""
    )
    for value in sorted({*user_data(), *extra}, key=len, reverse=True):
        text = text.replace(value, "")
    return sorted(set(CJK.findall(text)))


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])
def test_programme_pages_in_english(browser, live_server, people, programme, viewport):
    plan, tasks, meeting, rule = programme
    pages = {
        "hq_officer": [
            reverse("plans:list"),
            reverse("plans:plan", args=[plan.pk]),
            reverse("plans:mine"),
            reverse("plans:task", args=[tasks[0].pk]),
            reverse("governance:meetings"),
            reverse("governance:meeting", args=[meeting.pk]),
            reverse("governance:rules"),
            reverse("governance:rule", args=[rule.pk]),
            reverse("outreach:index"),
            reverse("front:metrics"),
        ],
        "officer_a": [reverse("front:home"), reverse("plans:task", args=[tasks[0].pk])],
        "auditor": [reverse("front:home"), reverse("plans:plan", args=[plan.pk])],
    }
    extra = programme_data()
    found: dict[str, list[str]] = {}
    for username, urls in pages.items():
        page = _login_english(browser, live_server, username, viewport)
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response is not None and response.status == 200, url
            left = _chinese(page, extra)
            if left:
                found[f"{username} {url}"] = left
        page.close()
    if found:
        import json

        print(json.dumps(found, ensure_ascii=False, indent=0))
    assert not found, found
