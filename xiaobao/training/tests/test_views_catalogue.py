"""Workbench pages of the annual training plan, the course catalogue and the question bank:
every action through its service, scope (404), refusals (403), illegal transitions (409) and
bad input named on its field (400, nothing written)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.audit.models import AuditEvent, RecordEvent
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.training import services
from xiaobao.training.choices import PlanStatus, QuestionKind
from xiaobao.training.models import Course, Question, TrainingPlan

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_menu_lists_plan_course_and_bank_for_the_trainer_but_not_for_a_teller(staff):
    desk = login(staff.trainer).get("/training/").content.decode()
    for label, url in (
        ("年度培训计划", "/training/plans/"),
        ("培训课程", "/training/courses/"),
        ("题库", "/training/questions/"),
    ):
        assert label in desk and url in desk
    mine = login(staff.teller).get("/training/").content.decode()
    assert "/training/questions/" not in mine and "/training/plans/" not in mine
    teller = login(staff.teller)
    for url in ("/training/plans/", "/training/courses/", "/training/questions/"):
        assert teller.get(url).status_code == 403


# --- plan ---------------------------------------------------------------------------------------


def test_plan_is_created_submitted_returned_and_approved_through_the_pages(staff, people, org):
    trainer = login(staff.trainer)
    created = trainer.post(
        "/training/plans/",
        {"unit": org.branch_a.pk, "year": 2026, "title": "2026年A分行培训计划", "notes": "全年"},
    )
    plan = TrainingPlan.objects.get()
    assert created.status_code == 302 and created.url == f"/training/plans/{plan.pk}/"
    assert plan.status == PlanStatus.DRAFT and plan.created_by == staff.trainer

    duplicate = trainer.post(
        "/training/plans/", {"unit": org.branch_a.pk, "year": 2026, "title": "重复"}
    )
    assert duplicate.status_code == 400
    assert "该机构本年度已有培训计划" in duplicate.content.decode()
    assert TrainingPlan.objects.count() == 1
    # A unit outside the trainer's branch is not offered.
    outside = trainer.post(
        "/training/plans/", {"unit": org.branch_b.pk, "year": 2026, "title": "越权"}
    )
    assert outside.status_code == 400 and TrainingPlan.objects.count() == 1

    # The draft cannot be approved yet: 409, and nothing moves.
    head = login(people.head_a)
    assert head.post(f"/training/plans/{plan.pk}/approve/").status_code == 409
    assert trainer.post(f"/training/plans/{plan.pk}/submit/").status_code == 302
    page = trainer.get(f"/training/plans/{plan.pk}/").content.decode()
    assert "待审批" in page and 'id="approve-plan"' not in page  # not their own
    assert trainer.post(f"/training/plans/{plan.pk}/approve/").status_code == 403

    # Another branch does not see it at all.
    other = login(people.officer_b)
    assert other.get(f"/training/plans/{plan.pk}/").status_code == 404
    assert other.post(f"/training/plans/{plan.pk}/approve/").status_code == 404
    assert plan.title not in other.get("/training/plans/").content.decode()

    # Returning needs a reason, named on its field.
    shown = head.get(f"/training/plans/{plan.pk}/").content.decode()
    assert 'id="approve-plan"' in shown and 'id="return-plan"' in shown
    no_reason = head.post(f"/training/plans/{plan.pk}/return/", {"reason": " "})
    assert no_reason.status_code == 400 and "has-error" in no_reason.content.decode()
    assert TrainingPlan.objects.get().status == PlanStatus.SUBMITTED
    head.post(f"/training/plans/{plan.pk}/return/", {"reason": "缺少新员工培训安排"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED and plan.return_reason == "缺少新员工培训安排"

    trainer.post(f"/training/plans/{plan.pk}/submit/")
    assert head.post(f"/training/plans/{plan.pk}/approve/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == people.head_a
    again = head.post(f"/training/plans/{plan.pk}/approve/")
    assert again.status_code == 409 and "不能审批" in again.content.decode()
    actions = list(
        RecordEvent.objects.filter(object_id=plan.pk, content_type__model="trainingplan")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "submit", "return", "submit", "approve"]
    assert "缺少新员工培训安排" in head.get(f"/training/plans/{plan.pk}/").content.decode()


# --- courses ------------------------------------------------------------------------------------


COURSE = {
    "code": "XB-NEW-01",
    "title": "适当性管理",
    "hours": "1.5",
    "topics": "适当性，风险揭示",
    "rules": "第十二条",
    "mandatory": "on",
    "audience_roles": [Role.HANDLER],
    "audience_positions": "理财经理、柜员",
    "audience_categories": [StaffCategory.FRONTLINE],
    "new_hire_days": "30",
}


def test_course_is_created_with_its_audience_rule_and_edited_on_the_record(people, staff):
    hq = login(people.hq_officer)
    assert hq.get("/training/courses/new/").status_code == 200
    assert hq.post("/training/courses/new/", COURSE).status_code == 302
    course = Course.objects.get(code="XB-NEW-01")
    assert course.topics == ["适当性", "风险揭示"] and course.mandatory
    assert course.audience_roles == [Role.HANDLER]
    assert course.audience_positions == ["理财经理", "柜员"]
    assert course.audience_categories == [StaffCategory.FRONTLINE]
    assert course.new_hire_days == 30 and course.hours == Decimal("1.5")
    listing = hq.get("/training/courses/").content.decode()
    assert "理财经理" in listing and "入职30天内的新员工" in listing

    bad = hq.post("/training/courses/new/", {**COURSE, "code": "XB-NEW-02", "hours": "0"})
    assert bad.status_code == 400 and "学时须大于0且不超过100" in bad.content.decode()
    dup = hq.post("/training/courses/new/", COURSE)
    assert dup.status_code == 400 and "课程编号已存在" in dup.content.decode()
    assert Course.objects.count() == 1

    edited = hq.post(
        f"/training/courses/{course.pk}/",
        {
            "title": "适当性管理（修订）",
            "hours": "2",
            "topics": "适当性",
            "audience_categories": [StaffCategory.AGENCY],
            "audience_positions": "",
            "new_hire_days": "",
        },
    )
    assert edited.status_code == 302
    course.refresh_from_db()
    assert course.title == "适当性管理（修订）" and course.code == "XB-NEW-01"
    assert course.audience_roles == [] and course.audience_categories == [StaffCategory.AGENCY]
    assert course.new_hire_days is None and not course.mandatory and not course.is_active
    event = AuditEvent.objects.filter(action="course_update").get()
    assert event.data["before"]["title"] == "适当性管理"
    # Retired courses drop out of the list unless asked for.
    assert "适当性管理（修订）" not in hq.get("/training/courses/").content.decode()
    assert "适当性管理（修订）" in hq.get("/training/courses/?all=1").content.decode()

    bad_edit = hq.post(f"/training/courses/{course.pk}/", {"title": "", "hours": "2"})
    assert bad_edit.status_code == 400
    course.refresh_from_db()
    assert course.title == "适当性管理（修订）"
    # A head of unit may look but not edit.
    head = login(people.head_a)
    assert head.get("/training/courses/").status_code == 200
    assert head.get(f"/training/courses/{course.pk}/").status_code == 403
    assert hq.get("/training/courses/999999/").status_code == 404


# --- question bank ------------------------------------------------------------------------------


QUESTION = {
    "code": "Q-NEW-1",
    "kind": QuestionKind.MULTIPLE,
    "stem": "投诉处理应当遵循哪些原则？",
    "options": "依法合规\n便捷高效\n拖延推诿\n标本兼治",
    "answer": "ABD",
    "topic": "投诉处理",
    "explanation": "见办法第四条",
    "rule_article": "第四条",
    "difficulty": "2",
}


def test_question_is_added_revised_as_a_new_version_and_retired(people, staff):
    hq = login(people.hq_officer)
    assert hq.post("/training/questions/new/", QUESTION).status_code == 302
    q1 = Question.objects.get(code="Q-NEW-1")
    assert q1.options == ["依法合规", "便捷高效", "拖延推诿", "标本兼治"]
    assert q1.answer == [0, 1, 3] and q1.version == 1 and q1.is_active

    letters = hq.post("/training/questions/new/", {**QUESTION, "code": "Q-2", "answer": "Z"})
    assert letters.status_code == 400 and "答案请填写选项字母" in letters.content.decode()
    one = hq.post("/training/questions/new/", {**QUESTION, "code": "Q-2", "answer": "A"})
    assert one.status_code == 400 and "多选题至少有两个正确选项" in one.content.decode()
    beyond = hq.post("/training/questions/new/", {**QUESTION, "code": "Q-2", "answer": "AF"})
    assert beyond.status_code == 400 and "答案须为选项之一" in beyond.content.decode()
    dup = hq.post("/training/questions/new/", QUESTION)
    assert dup.status_code == 400 and "题号已存在" in dup.content.decode()
    true_false = hq.post(
        "/training/questions/new/",
        {**QUESTION, "code": "TF-1", "kind": QuestionKind.TRUE_FALSE, "options": "", "answer": "B"},
    )
    assert true_false.status_code == 302
    assert Question.objects.get(code="TF-1").answer == [1]
    assert Question.objects.count() == 2

    form = hq.get(f"/training/questions/{q1.pk}/").content.decode()
    assert "ABD" in form and "标本兼治" in form
    revised = hq.post(
        f"/training/questions/{q1.pk}/", {**QUESTION, "code": "IGNORED", "answer": "AB"}
    )
    assert revised.status_code == 302
    q1.refresh_from_db()
    q2 = Question.objects.get(code="Q-NEW-1", version=2)
    assert not q1.is_active and q1.answer == [0, 1, 3]
    assert q2.is_active and q2.answer == [0, 1]
    # The retired version cannot be revised again (409), and it is listed only on request.
    assert hq.post(f"/training/questions/{q1.pk}/", QUESTION).status_code == 409
    assert (
        'data-code="Q-NEW-1" data-version="1"'
        not in hq.get("/training/questions/").content.decode()
    )
    assert (
        'data-code="Q-NEW-1" data-version="1"'
        in hq.get("/training/questions/?retired=1").content.decode()
    )

    assert hq.post(f"/training/questions/{q2.pk}/retire/").status_code == 302
    assert not Question.objects.get(pk=q2.pk).is_active
    again = hq.post(f"/training/questions/{q2.pk}/retire/")
    assert again.status_code == 409 and "该试题已停用" in again.content.decode()
    assert Question.objects.filter(code="Q-NEW-1").count() == 2  # retired versions are kept

    # Staff who sit exams never reach the bank (answers are in it); a head may read, not write.
    teller = login(staff.teller)
    assert teller.get("/training/questions/").status_code == 403
    assert teller.get(f"/training/questions/{q2.pk}/").status_code == 403
    assert teller.post("/training/questions/new/", QUESTION).status_code == 403
    tf = Question.objects.get(code="TF-1")
    refused = teller.post(f"/training/questions/{tf.pk}/retire/")
    assert refused.status_code == 403 and Question.objects.get(pk=tf.pk).is_active
    head = login(people.head_a)
    assert head.get("/training/questions/?kind=true_false").status_code == 200
    assert head.post("/training/questions/new/", QUESTION).status_code == 403


def test_question_list_filters_by_kind_and_topic(people, bank):
    hq = login(people.hq_officer)
    tf = hq.get("/training/questions/?kind=true_false").content.decode()
    assert 'data-code="true_false-0"' in tf and 'data-code="single-0"' not in tf
    topic = hq.get("/training/questions/?topic=投诉处理").content.decode()
    assert 'data-code="single-1"' in topic and 'data-code="single-0"' not in topic


def test_a_session_can_use_the_course_made_on_the_page_with_its_audience(people, staff, org):
    """The course page's audience rule is the one the session roster is built from."""
    login(people.hq_officer).post(
        "/training/courses/new/",
        {
            "code": "XB-AG-1",
            "title": "代理人员消保培训",
            "hours": "1",
            "audience_categories": [StaffCategory.AGENCY],
        },
    )
    course = Course.objects.get(code="XB-AG-1")
    from datetime import date

    audience = services.audience(course, org.branch_a, date.today())
    assert [u.username for u in audience] == ["agent_a"]
