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
