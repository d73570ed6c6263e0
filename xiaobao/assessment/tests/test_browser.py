"""Done-when of issue 24 in a real browser: the office runs a quarter from the scheme page, scores
the manual indicators, previews and opens appeals; a branch appeals one score with the page; the
office decides it, and only that score and its branch's total change; the run is locked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.assessment.models import Result, Run, Score
from xiaobao.assessment.tests.conftest import LAST_YEAR

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _score_row(page, code: str):
    return page.locator(f'#scores tr[data-indicator="{code}"]')


def test_quarter_run_appeal_and_lock_in_the_browser(
    browser, live_server, people, org, scheme, test_metrics
):
    test_metrics["testing.coverage"].update({"BR-a": 90, "BR-b": 60})
    office = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = office.new_page()
    _login(desk, live_server, "hq_officer")
    desk.goto(f"{live_server.url}/assessment/schemes/{scheme.pk}/")
    form = desk.locator("#run-new")
    form.locator("input[name=label]").fill(f"{LAST_YEAR}年第三季度")
    form.locator("select[name=unit]").select_option(label="测试银行总行")
    form.locator("input[name=first]").fill(f"{LAST_YEAR}-07-01")
    form.locator("input[name=last]").fill(f"{LAST_YEAR}-09-30")
    form.locator("button").click()
    desk.wait_for_url("**/assessment/runs/*/")
    run = Run.objects.get()
    assert desk.locator("#results tbody tr").count() == 2  # every branch
    assert desk.locator("#element-chart").is_visible()

    for branch, points in ((org.branch_a, "25"), (org.branch_b, "28")):
        desk.goto(f"{live_server.url}/assessment/runs/{run.pk}/?unit={branch.pk}")
        for code, value in (("M1", points), ("V1", "0")):
            row = _score_row(desk, code)
            row.locator("input[name=points]").fill(value)
            row.locator(".score-form button").click()
            desk.wait_for_load_state()
    # A wrong entry is refused with the field named, nothing saved.
    _score_row(desk, "M1").locator("input[name=points]").fill("31")
    _score_row(desk, "M1").locator(".score-form button").click()
    assert "得分：得分须在0到30分之间。" in desk.locator("#error").inner_text()
    assert Score.objects.get(run=run, unit=org.branch_b, indicator__code="M1").points == 28

    for label in ("发布预览", "开放申诉"):
        desk.click(f"button:has-text('{label}')")
        desk.wait_for_load_state()
    assert desk.locator("#run-status").inner_text() == "申诉期"

    branch = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    bpage = branch.new_page()
    _login(bpage, live_server, "officer_b")
    bpage.goto(f"{live_server.url}/assessment/runs/{run.pk}/")
    assert bpage.locator("#results tbody tr").count() == 1  # its own result only
    row = _score_row(bpage, "M1")
    row.locator("input[name=reason]").fill("已补充制度执行档案")
    row.locator("input[name=requested_points]").fill("30")
    row.locator(".appeal-form button").click()
    bpage.wait_for_load_state()
    assert "待裁定" in bpage.locator("#appeals").inner_text()

    before = {s.pk: s.points for s in Score.objects.filter(run=run)}
    totals_before = {r.unit_id: r.total for r in Result.objects.filter(run=run)}
    desk.goto(f"{live_server.url}/assessment/runs/{run.pk}/")
    decide = desk.locator("#appeals .decide-form")
    decide.locator("input[name=points]").fill("30")
    decide.locator("input[name=decision]").fill("档案核实无误")
    decide.locator("button").click()
    desk.wait_for_load_state()
    assert "档案核实无误" in desk.locator("#appeals").inner_text()
    after = {s.pk: s.points for s in Score.objects.filter(run=run)}
    changed = [pk for pk in before if before[pk] != after[pk]]
    assert len(changed) == 1 and after[changed[0]] == Decimal("30.00")
    totals_after = {r.unit_id: r.total for r in Result.objects.filter(run=run)}
    assert totals_after[org.branch_a.pk] == totals_before[org.branch_a.pk]
    assert totals_after[org.branch_b.pk] == totals_before[org.branch_b.pk] + 2

    for label in ("定稿", "锁定"):
        desk.click(f"button:has-text('{label}')")
        desk.wait_for_load_state()
    assert desk.locator("#run-status").inner_text() == "已锁定"
    assert desk.locator("button:has-text('重新取数')").count() == 0
    office.close()
    branch.close()


def test_custom_scheme_built_on_the_pages_and_my_results_in_the_browser(
    browser, live_server, people, org
):
    """The office builds a custom scheme on the pages: complaint volume is refused with the field
    named, then approval and publication; a branch officer opens 我的考核 from the menu."""
    from django.contrib.auth.models import Permission

    from xiaobao.assessment.models import Scheme

    people.hq_officer.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, "hq_officer")
    page.goto(f"{live_server.url}/assessment/")
    form = page.locator("#scheme-new")
    form.locator("input[name=code]").fill("WEB-1")
    form.locator("input[name=name]").fill("网点消保考核")
    form.locator("input[name=year]").fill(str(LAST_YEAR))
    form.locator("button").click()
    page.wait_for_url("**/assessment/schemes/*/")
    assert page.locator("#scheme-status").inner_text() == "草稿"

    element = page.locator("#element-new")
    element.locator("input[name=code]").fill("E1")
    element.locator("input[name=name]").fill("纠纷化解")
    element.locator("input[name=weight]").fill("100")
    element.locator("button").click()
    page.wait_for_load_state()
    assert "纠纷化解" in page.locator("#elements").inner_text()

    indicator = page.locator("#indicator-new")
    indicator.locator("input[name=code]").fill("C1")
    indicator.locator("input[name=name]").fill("投诉量")
    indicator.locator("select[name=kind]").select_option("auto")
    indicator.locator("select[name=element]").select_option(label="纠纷化解")
    indicator.locator("input[name=metric_key]").fill("complaints.received")
    indicator.locator("input[name=target]").fill("0")
    indicator.locator("input[name=zero_at]").fill("10")
    indicator.locator("input[name=weight]").fill("100")
    indicator.locator("button").click()
    page.wait_for_load_state()
    assert "取数指标：投诉量不得作为考核指标" in page.locator("#error").inner_text()
    indicator = page.locator("#indicator-new")
    indicator.locator("input[name=name]").fill("投诉按时办结率")
    indicator.locator("select[name=element]").select_option(label="纠纷化解")
    indicator.locator("input[name=metric_key]").fill("complaints.timely_rate")
    indicator.locator("input[name=target]").fill("100")
    indicator.locator("input[name=zero_at]").fill("80")
    indicator.locator("button").click()
    page.wait_for_load_state()
    assert "投诉按时办结率" in page.locator("#indicators").inner_text()

    for label in ("审批通过", "发布"):
        page.click(f"button:has-text('{label}')")
        page.wait_for_load_state()
    assert page.locator("#scheme-status").inner_text() == "已发布"
    assert Scheme.objects.get(code="WEB-1").status == "published"

    branch = context.browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    mine = branch.new_page()
    _login(mine, live_server, "officer_a")
    mine.click("a[href='/assessment/mine/']")
    mine.wait_for_url("**/assessment/mine/")
    assert mine.locator("h1").inner_text() == "我的考核"
    assert mine.locator("#no-results").is_visible()
    context.close()
    branch.close()
