"""Done-when of issue 21 in a real browser: a trainer runs a session, staff sign in on their
phones (in the browser and with the session's code), an exam is drawn, taken and marked, the
coverage by category moves, and the absent new hire shows in "not yet trained"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.training.models import Attempt, Session

from .conftest import at

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _coverage(page) -> dict[str, tuple[int, int]]:
    rows = page.locator("#coverage tbody tr")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        out[row.get_attribute("data-category")] = (
            int(row.locator(".headcount").inner_text()),
            int(row.locator(".trained").inner_text()),
        )
    return out


def _phone(browser, live_server, username: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    _login(page, live_server, username)
    return context, page


def test_trainer_runs_a_session_staff_sign_in_sit_the_exam_and_coverage_moves(
    browser, live_server, staff, course, bank, org
):
    desk_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = desk_context.new_page()
    _login(desk, live_server, "trainer_a")
    coverage_url = f"{live_server.url}/training/coverage/?unit={org.outlet_a.pk}"
    desk.goto(coverage_url)
    before = _coverage(desk)

    # The trainer publishes a session for the course's audience of branch A.
    desk.goto(f"{live_server.url}/training/sessions/new/")
    desk.select_option("#id_course", str(course.pk))
    desk.select_option("#id_unit", str(org.branch_a.pk))
    desk.fill("#id_title", "2026年消保知识专题培训")
    desk.fill("#id_starts_at", at().strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_ends_at", (at() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_place", "分行三楼会议室")
    desk.click("#save-session")
    desk.wait_for_selector("text=培训场次已发布")
    session = Session.objects.get(title="2026年消保知识专题培训")
    assert desk.locator("#roster tr[data-user=newbie_a]").count() == 1
    desk.click("#open-sign-in")
    desk.wait_for_selector("#sign-in-code svg")
    code = desk.inner_text("#code")
    assert code == session.sign_in_code

    # The teller signs in on the roster, in the browser, on a phone.
    teller_context, teller = _phone(browser, live_server, "teller_a")
    teller.goto(f"{live_server.url}/training/")
    teller.click(f"#sign-in-{session.pk}")
    teller.wait_for_selector("text=签到成功")
    assert teller.locator("#my-sessions .attendance-status").first.inner_text() in ("出席", "迟到")
    assert _no_horizontal_scroll(teller)

    # The agency seller is not on the roster: they scan the QR code (its URL carries the code).
    agent_context, agent = _phone(browser, live_server, "agent_a")
    agent.goto(f"{live_server.url}/training/sign-in/?code={code}")
    assert agent.inner_text("#sign-in-session") == "2026年消保知识专题培训"
    agent.click("#confirm-sign-in")
    agent.wait_for_selector("text=签到成功")
    # A wrong code is refused on the field.
    agent.goto(f"{live_server.url}/training/sign-in/?code=ZZZZZZZZ")
    assert agent.locator(".has-error").count() == 1

    # The trainer closes the session; the new hire who did not come is absent.
    desk.reload()
    desk.click("#close-session")
    desk.wait_for_selector("text=场次状态已更新")
    assert desk.inner_text("#roster tr[data-user=newbie_a] .attendance-status") == "缺席"

    # The trainer draws and opens the exam.
    desk.fill("#id_single", "3")
    desk.fill("#id_multiple", "1")
    desk.fill("#id_true_false", "2")
    desk.fill("#id_max_attempts", "1")
    desk.click("#open-exam")
    desk.wait_for_selector("text=考试已开放作答")
    exam_url = desk.url

    # The teller sits it on the phone: no answer in the page, marked on submission.
    teller.goto(f"{live_server.url}/training/")
    teller.click(".exam-link")
    teller.click("#start-exam")
    teller.wait_for_selector("#paper")
    assert teller.locator("fieldset.question").count() == 6
    assert _no_horizontal_scroll(teller)
    html = teller.content()
    assert "解析" not in html and "right-answer" not in html
    attempt = Attempt.objects.get(user=staff.teller)
    keys = {item["q"]: item for item in attempt.paper}
    from xiaobao.training.models import Question

    wrong_one = None
    for pk in keys:
        q = Question.objects.get(pk=pk)
        answer = q.answer
        if wrong_one is None and q.kind == "true_false":
            wrong_one = pk
            answer = [1 - q.answer[0]]
        for index in answer:
            teller.check(f"input[name=q{pk}][value='{index}']")
    teller.click("#submit-paper")
    teller.wait_for_selector("text=已交卷，成绩已锁定")
    assert teller.inner_text("#score") == "83.3"
    assert teller.inner_text("#verdict") == "及格"
    assert teller.locator(".wrong-answer").count() == 1  # the wrong-answer review
    assert teller.locator(".wrong-answer .right-answer").inner_text() == "A"
    assert _no_horizontal_scroll(teller)
    # One attempt only.
    teller.goto(exam_url)
    assert teller.locator("#start-exam").count() == 0
    assert teller.locator("#no-attempts-left").is_visible()

    # Coverage of the outlet moved by exactly the teller (the agent belongs to the sub-branch);
    # the absent new hire is listed as not yet trained.
    desk.goto(coverage_url)
    after = _coverage(desk)
    assert after["frontline"] == (before["frontline"][0], before["frontline"][1] + 1)
    assert after["total"] == (before["total"][0], before["total"][1] + 1)
    assert desk.locator("#not-yet-trained tr[data-user=newbie_a]").count() == 1
    assert desk.locator("#not-yet-trained tr[data-user=teller_a]").count() == 0
    for context in (teller_context, agent_context, desk_context):
        context.close()


def test_a_trainer_corrects_a_locked_result_and_the_correction_is_on_the_record(
    browser, live_server, staff, make_exam
):
    from xiaobao.training import services

    exam = make_exam()
    attempt = services.attempt_start(actor=staff.teller, exam=exam)
    services.attempt_submit(actor=staff.teller, attempt=attempt, answers={})
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, "trainer_a")
    page.goto(f"{live_server.url}/training/attempts/{attempt.pk}/")
    assert page.inner_text("#score") == "0.0"
    page.fill("#id_score", "65")
    page.fill("#id_reason", "判断题第2题标准答案有误")
    page.click("#correct-score")
    page.wait_for_selector("text=成绩已更正并留痕")
    assert page.inner_text("#score") == "65.0"
    assert page.locator("text=判断题第2题标准答案有误").count() >= 1
    context.close()


def test_trainer_adds_a_course_and_a_question_and_the_head_approves_the_plan(
    browser, live_server, staff, people, org
):
    from xiaobao.training.models import Course, Question, TrainingPlan

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    _login(desk, live_server, "trainer_a")

    # A course with its audience rule: front-line staff, wealth managers, and new hires.
    desk.goto(f"{live_server.url}/training/")
    desk.click("text=培训课程")
    desk.click("#new-course")
    desk.fill("#id_code", "XB-B-01")
    desk.fill("#id_title", "理财产品适当性")
    desk.fill("#id_hours", "1.5")
    desk.fill("#id_topics", "适当性，风险揭示")
    desk.check("input[name=mandatory]")
    desk.check("input[name=audience_categories][value=frontline]")
    desk.fill("#id_audience_positions", "理财经理")
    desk.fill("#id_new_hire_days", "30")
    desk.click("#save-course")
    desk.wait_for_selector("text=课程已创建")
    audience = desk.inner_text("#courses tr[data-code=XB-B-01] .audience")
    assert "理财经理" in audience and "入职30天内的新员工" in audience
    course = Course.objects.get(code="XB-B-01")
    assert course.audience_categories == ["frontline"] and course.mandatory

    # A multiple-choice question; a bad answer is named on its field first.
    desk.click("text=题库")
    desk.click("#new-question")
    desk.fill("#id_code", "B-Q-1")
    desk.select_option("#id_kind", "multiple")
    desk.fill("#id_stem", "销售理财产品前应当做到哪些？")
    desk.fill("#id_options", "风险评估\n双录\n承诺保本")
    desk.fill("#id_answer", "C")
    desk.fill("#id_topic", "适当性")
    desk.click("#save-question")
    assert desk.locator(".has-error #id_answer").count() == 1
    assert not Question.objects.exists()
    desk.fill("#id_answer", "AB")
    desk.click("#save-question")
    desk.wait_for_selector("text=试题已加入题库")
    assert desk.locator("#questions tr[data-code=B-Q-1]").count() == 1
    assert Question.objects.get(code="B-Q-1").answer == [0, 1]

    # The annual plan: drafted and submitted by the trainer ...
    desk.click("text=年度培训计划")
    desk.select_option("#id_unit", str(org.branch_a.pk))
    desk.fill("#id_year", "2027")
    desk.fill("#id_title", "2027年A分行消保培训计划")
    desk.click("#save-plan")
    desk.wait_for_selector("text=年度培训计划已创建")
    desk.click("#submit-plan")
    desk.wait_for_selector("text=计划已提交审批")
    assert desk.inner_text("#plan-status") == "待审批"
    assert desk.locator("#approve-plan").count() == 0  # not their own
    plan_url = desk.url

    # ... and approved by the head of the branch.
    head_context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    head = head_context.new_page()
    _login(head, live_server, "head_a")
    head.goto(plan_url)
    head.click("#approve-plan")
    head.wait_for_selector("text=计划已批准")
    assert head.inner_text("#plan-status") == "已批准"
    assert _no_horizontal_scroll(head)
    plan = TrainingPlan.objects.get(year=2027)
    assert plan.approved_by == people.head_a
    for ctx in (head_context, context):
        ctx.close()
