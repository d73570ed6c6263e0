"""Workbench pages: scope (404), refusals (403), illegal transitions (409), the paper without
its key, and the menu."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.training import services
from xiaobao.training.choices import SessionStatus
from xiaobao.training.models import Attempt, Session

from .conftest import at

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_menu_has_the_training_area(staff):
    page = login(staff.teller).get("/training/").content.decode()
    assert "我的培训" in page and "/training/" in page
    desk = login(staff.trainer).get("/training/sessions/").content.decode()
    assert "培训场次" in desk and "培训覆盖" in desk


def test_publish_a_session_with_a_bad_time_names_the_field(staff, course, org):
    response = login(staff.trainer).post(
        "/training/sessions/new/",
        {
            "course": course.pk,
            "unit": org.branch_a.pk,
            "title": "培训",
            "starts_at": at(hours=3).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(hours=1).strftime("%Y-%m-%dT%H:%M"),
            "trainer_kind": "internal",
            "mode": "onsite",
        },
    )
    assert response.status_code == 400
    assert "结束时间须晚于开始时间" in response.content.decode()
    assert not Session.objects.exists()


def test_scope_refusal_and_illegal_transition_on_the_session_page(make_session, staff, people):
    session = make_session()
    assert login(people.officer_b).get(f"/training/sessions/{session.pk}/").status_code == 404
    assert login(staff.trainer).get(f"/training/sessions/{session.pk}/").status_code == 200
    refused = login(people.head_a).post(f"/training/sessions/{session.pk}/to/signing/")
    assert refused.status_code == 403
    illegal = login(staff.trainer).post(f"/training/sessions/{session.pk}/to/closed/")
    assert illegal.status_code == 409 and "不能结束培训" in illegal.content.decode()
    assert Session.objects.get(pk=session.pk).status == SessionStatus.PLANNED


def test_the_qr_code_and_code_appear_only_while_signing_and_only_to_the_trainer(
    make_session, staff
):
    session = make_session(status=SessionStatus.SIGNING)
    page = login(staff.trainer).get(f"/training/sessions/{session.pk}/").content.decode()
    assert "<svg" in page and session.sign_in_code in page
    assert session.sign_in_code not in login(staff.teller).get("/training/").content.decode()


def test_code_sign_in_page_signs_in_the_logged_in_person_only(make_session, staff):
    session = make_session(status=SessionStatus.SIGNING)
    client = login(staff.agent)
    shown = client.get(f"/training/sign-in/?code={session.sign_in_code}").content.decode()
    assert session.title in shown and "只能为本人签到" in shown
    # Any extra field naming another person is ignored: the signed-in user is the actor.
    response = client.post(
        "/training/sign-in/", {"code": session.sign_in_code, "user": staff.teller.pk}
    )
    assert response.status_code == 302
    rows = dict(session.attendances.values_list("user__username", "status"))
    assert rows["agent_a"] in ("present", "late") and rows["teller_a"] == "enrolled"
    wrong = client.post("/training/sign-in/", {"code": "ZZZZZZZZ"})
    assert wrong.status_code == 400


def test_the_paper_in_progress_carries_no_key_and_is_the_candidates_alone(make_exam, staff):
    exam = make_exam()
    client = login(staff.teller)
    started = client.post(f"/training/exams/{exam.pk}/start/")
    attempt = Attempt.objects.get(user=staff.teller)
    assert started.status_code == 302 and started["Location"].endswith(f"/attempts/{attempt.pk}/")
    page = client.get(f"/training/attempts/{attempt.pk}/").content.decode()
    assert page.count('class="card question"') == 5
    assert "解析" not in page and "正确答案" not in page and "right-answer" not in page
    assert login(staff.manager).get(f"/training/attempts/{attempt.pk}/").status_code == 404
    assert login(staff.trainer).get(f"/training/attempts/{attempt.pk}/").status_code == 404
    # Submitting someone else's paper is refused.
    assert login(staff.manager).post(f"/training/attempts/{attempt.pk}/", {}).status_code == 404
    done = client.post(f"/training/attempts/{attempt.pk}/", {})
    assert done.status_code == 302
    result = client.get(f"/training/attempts/{attempt.pk}/").content.decode()
    assert "错题回顾" in result and "正确答案" in result
    again = client.post(f"/training/attempts/{attempt.pk}/", {})
    assert again.status_code == 409


def test_attempts_limit_on_the_exam_page(make_exam, staff):
    exam = make_exam(max_attempts=1)
    client = login(staff.teller)
    client.post(f"/training/exams/{exam.pk}/start/")
    attempt = Attempt.objects.get(user=staff.teller)
    client.post(f"/training/attempts/{attempt.pk}/", {})
    page = client.get(f"/training/exams/{exam.pk}/").content.decode()
    assert 'id="start-exam"' not in page and "作答次数已用完" in page
    assert client.post(f"/training/exams/{exam.pk}/start/").status_code == 409


def test_coverage_page_lists_the_absent_new_hire(make_session, staff, org, people):
    session = make_session(status=SessionStatus.SIGNING)
    services.attendance_sign_in(actor=staff.teller, session=session)
    services.session_advance(actor=staff.trainer, session=session, to=SessionStatus.CLOSED)
    page = login(staff.trainer).get(f"/training/coverage/?unit={org.outlet_a.pk}").content.decode()
    assert 'data-user="newbie_a"' in page and 'data-user="teller_a"' not in page
    assert (
        login(staff.trainer).get(f"/training/coverage/?unit={org.outlet_b.pk}").status_code == 404
    )


def test_qualifications_page_records_and_lists_the_unqualified(staff, people):
    client = login(staff.trainer)
    today = date.today()
    response = client.post(
        "/training/qualifications/",
        {
            "user": staff.manager.pk,
            "kind": "wealth_manager",
            "number": "LC-9",
            "issuer": "总行",
            "valid_from": (today - timedelta(days=10)).isoformat(),
            "valid_to": (today - timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 400 and "有效期至不能早于有效期起" in response.content.decode()
    ok = client.post(
        "/training/qualifications/",
        {
            "user": staff.manager.pk,
            "kind": "wealth_manager",
            "number": "LC-9",
            "issuer": "总行",
            "valid_from": (today - timedelta(days=10)).isoformat(),
            "valid_to": (today + timedelta(days=20)).isoformat(),
        },
    )
    assert ok.status_code == 302
    page = client.get("/training/qualifications/").content.decode()
    assert "LC-9" in page and 'id="expiring"' in page
    assert "保险代理人" in page  # the agent sells without a qualification


def test_contest_pages(staff, org):
    client = login(staff.trainer)
    created = client.post(
        "/training/contests/",
        {
            "title": "知识竞赛",
            "unit": org.branch_a.pk,
            "mode": "individual",
            "held_on": date.today().isoformat(),
            "rounds": 2,
        },
    )
    assert created.status_code == 302
    detail = created["Location"]
    two = client.post(
        detail, {"name": "两人", "members": [staff.teller.pk, staff.manager.pk], "score": "10"}
    )
    assert two.status_code == 400 and "个人赛每个参赛者单独登记" in two.content.decode()
    one = client.post(
        detail, {"name": "张三", "members": [staff.teller.pk], "score": "98", "award": "一等奖"}
    )
    assert one.status_code == 302
    assert "一等奖" in client.get(detail).content.decode()


def test_staff_categories_are_kept_by_the_trainer(staff, people):
    client = login(staff.trainer)
    listing = client.get("/training/staff/?category=agency").content.decode()
    assert 'data-user="agent_a"' in listing and 'data-user="teller_a"' not in listing
    saved = client.post(
        f"/training/staff/{people.handler_a.pk}/",
        {"staff_category": "outsourced", "position": "外包客服", "hire_date": "2024-03-01"},
    )
    assert saved.status_code == 302
    people.handler_a.refresh_from_db()
    assert people.handler_a.staff_category == "outsourced"
    assert client.get(f"/training/staff/{people.handler_b.pk}/").status_code == 404
    assert login(staff.teller).get("/training/staff/").status_code == 403
