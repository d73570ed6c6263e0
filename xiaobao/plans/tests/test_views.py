"""The plan and task pages: status codes for refusals, scope and illegal transitions; forms."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from xiaobao.plans.choices import TaskStatus

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_task_page_scope_refusal_and_illegal_transition(client, hq_plan, people):
    _, _, (a, b) = hq_plan
    c = _client(client, people.officer_a)
    assert c.get(f"/plans/tasks/{a.pk}/").status_code == 200
    assert c.get(f"/plans/tasks/{b.pk}/").status_code == 404  # branch B's task
    # Branch A cannot accept its own work (refused), and cannot accept an open task (409 for HQ).
    assert c.post(f"/plans/tasks/{a.pk}/accept/", {"note": ""}).status_code == 403
    c.logout()
    hq = _client(client, people.hq_officer)
    response = hq.post(f"/plans/tasks/{a.pk}/accept/", {"note": ""})
    assert response.status_code == 409 and "当前状态不能执行" in response.content.decode()
    a.refresh_from_db()
    assert a.status == TaskStatus.OPEN


def test_progress_form_shows_every_error_at_once_and_keeps_nothing(client, hq_plan, people):
    _, _, (a, _b) = hq_plan
    c = _client(client, people.officer_a)
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = c.post(f"/plans/tasks/{a.pk}/progress/", {"pct": "150", "text": "", "evidence": bad})
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"(这个|该)字段是必填项", page) and "100" in page, page[
        page.find("报送进展") :
    ][:1500]
    a.refresh_from_db()
    assert (a.progress.count(), a.status) == (0, TaskStatus.OPEN)
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = c.post(
        f"/plans/tasks/{a.pk}/progress/", {"pct": "40", "text": "已印发方案", "evidence": bad}
    )
    assert response.status_code == 400 and "x.exe" in response.content.decode()
    assert a.progress.count() == 0


def test_plan_pages_and_word_export(client, hq_plan, people):
    plan, _, _ = hq_plan
    c = _client(client, people.hq_officer)
    page = c.get(f"/plans/{plan.pk}/").content.decode()
    assert plan.title in page and "深入开展金融知识宣传教育" in page and "A分行" in page
    response = c.get(f"/plans/{plan.pk}/plan.docx")
    assert response.status_code == 200
    import io

    from docx import Document

    from xiaobao.lib.tests.test_officialdoc import assert_official_layout

    doc = Document(io.BytesIO(response.content))
    assert_official_layout(doc)  # A4, GB/T 9704 margins, the house fonts, page numbers
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles[plan.title] == "Title" and styles["一、总体目标"] == "Heading 1"
    assert styles["1. 深入开展金融知识宣传教育"] == "Heading 2"
    # 落款: the issuing unit and the approval date, right-aligned at the end.
    from xiaobao.deadlines.engine import TZ
    from xiaobao.lib.officialdoc import chinese_date

    approved = chinese_date(plan.approved_at.astimezone(TZ).date())
    assert [p.text for p in doc.paragraphs[-2:]] == [plan.unit.name, approved]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "一、总体目标" in text and "二、工作措施" in text
    assert "1. 深入开展金融知识宣传教育" in text and "一是开展3·15宣传周" in text
    assert "二是开展金融教育宣传月" in text
    c.logout()
    assert _client(client, people.officer_b).get(f"/plans/{plan.pk}/").status_code == 404


def test_plan_create_form_errors_in_chinese(client, people):
    c = _client(client, people.hq_officer)
    response = c.post("/plans/", {"year": "1990", "title": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r"(这个|该)字段是必填项", page) and "2000" in page
    c.logout()
    response = _client(client, people.auditor).post("/plans/", {"year": "2027", "title": "x"})
    assert response.status_code == 403


def test_my_tasks_inbox_lists_department_tasks_whatever_the_source(client, people, org, biz):
    from datetime import timedelta

    from django.utils import timezone

    from xiaobao.plans import services

    soon = services.task_create(
        actor=people.hq_officer,
        issuing_unit=org.hq,
        owner_unit=org.hq,
        owner_department=biz.card,
        title="修订年费告知书",
        due_date=timezone.localdate() + timedelta(days=2),
    )
    page = _client(client, biz.card_user).get("/plans/tasks/").content.decode()
    assert soon.title in page and "即将到期" in page


def test_a_task_with_milestones_and_a_measurable_target_from_the_plan_page(
    client, hq_plan, people, org
):
    plan, measure, _ = hq_plan
    c = _client(client, people.hq_officer)
    form = {
        "measure": measure.pk,
        "title": "全年投诉按时办结",
        "owner_unit": org.branch_a.pk,
        "due_date": f"{plan.year}-12-31",
        "milestones": f"{plan.year}-06-30 半年评估\n{plan.year}-13-01 错误",
        "target_metric": "complaints.timely_rate",
        "target_comparator": "gte",
        "target_value": "98",
    }
    bad = c.post(f"/plans/{plan.pk}/task/", form)
    assert bad.status_code == 400 and "第2行" in bad.content.decode()
    assert not plan.tasks.filter(title="全年投诉按时办结").exists()
    form["milestones"] = f"{plan.year}-06-30 半年评估"
    assert c.post(f"/plans/{plan.pk}/task/", form).status_code == 302
    task = plan.tasks.get(title="全年投诉按时办结")
    assert task.milestones.get().title == "半年评估" and task.target_value == 98
    page = c.get(f"/plans/tasks/{task.pk}/").content.decode()
    assert "半年评估" in page and "按时办结率" in page and "≥" in page
    # A unit outside the officer's scope is not offered, so it cannot be chosen.
    c = _client(client, people.officer_a)
    form["owner_unit"] = org.branch_b.pk
    assert c.post(f"/plans/{plan.pk}/task/", form).status_code == 404  # HQ plan not in A's scope


def test_progress_marks_milestones_reached(client, people, org):
    from datetime import date

    from xiaobao.plans import services

    task = services.task_create(
        actor=people.hq_officer,
        issuing_unit=org.hq,
        owner_unit=org.branch_a,
        title="网点适老化改造",
        due_date=date(2099, 12, 31),
        milestones=[("制定方案", date(2099, 3, 31)), ("完成改造", date(2099, 9, 30))],
    )
    plan_m, build_m = task.milestones.order_by("due_date")
    c = _client(client, people.officer_a)
    assert "制定方案" in c.get(f"/plans/tasks/{task.pk}/").content.decode()
    response = c.post(
        f"/plans/tasks/{task.pk}/progress/",
        {"pct": "30", "text": "方案已印发", "milestones_done": [plan_m.pk]},
    )
    assert response.status_code == 302
    plan_m.refresh_from_db()
    build_m.refresh_from_db()
    assert plan_m.done_at is not None and build_m.done_at is None
    # A milestone already reached is no longer offered: choosing it again is refused.
    again = c.post(
        f"/plans/tasks/{task.pk}/progress/",
        {"pct": "40", "text": "推进中", "milestones_done": [plan_m.pk]},
    )
    assert again.status_code == 400 and task.progress.count() == 1
