"""Done-when of issue 23 (partners) in a real browser: a complaint linked to a partner appears on
its evaluation, and an exit cannot complete while a step is unconfirmed."""

from __future__ import annotations

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.partners.models import Evaluation, Exit, Partner

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _pdf(name: str) -> dict:
    body = b"%PDF-1.4\n% " + name.encode() + b"\ntrailer<<>>\n%%EOF\n"
    return {"name": name, "mimeType": "application/pdf", "buffer": body}


def test_a_linked_complaint_shows_on_the_partners_evaluation(
    browser, live_server, people, partner, make_case
):
    case = make_case(days=20)
    unrelated = make_case(days=8, title="网点排队时间过长")
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    # The sub-branch handler names the partner its case involves.
    _login(page, live_server, "handler_a")
    page.goto(f"{live_server.url}/partners/")
    page.click(f"text={partner.name}")
    page.click("#link-form >> xpath=.. >> summary")
    page.fill("#link_registry_no", case.registry_no)
    page.select_option("#link_role", "collector")
    page.click("#link-form button")
    page.wait_for_selector("#linked-complaints")
    assert case.registry_no in page.inner_text("#linked-complaints")
    context.clear_cookies()

    # Head office evaluates the partner: the count comes from the registry.
    _login(page, live_server, "hq_officer")
    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    page.click("#evaluation-form >> xpath=.. >> summary")
    page.fill("#evaluation_customers_served", "8000")
    page.click("#evaluation-form button")
    page.wait_for_selector("#evaluation-complaints")
    assert page.inner_text("#complaint-count") == "1"
    table = page.inner_text("#evaluation-complaints")
    assert case.registry_no in table and unrelated.registry_no not in table
    page.select_option("#id_result", "rectify")
    page.fill("#id_note", "催收投诉，限期整改")
    page.click("#conclude-form button")
    page.wait_for_selector("#result")
    assert page.inner_text("#result") == "限期整改（观察）"
    assert Evaluation.objects.get().complaints == 1
    assert Partner.objects.get(pk=partner.pk).status == "watch"
    context.close()


def test_an_exit_cannot_complete_until_every_step_is_confirmed(
    browser, live_server, people, partner
):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, "hq_officer")
    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    page.click("#exit-form >> xpath=.. >> summary")
    page.fill("#exit_reason", "合作协议到期，不再续约")
    page.fill("#exit_planned_on", "2027-03-31")
    page.click("#exit-form button")
    page.wait_for_selector("#exit-steps")
    assert page.inner_text("#exit-status") == "退出中"

    for step, name in (("customers", "customers.pdf"), ("access", "access.pdf")):
        page.select_option("#id_step", step)
        page.fill("#id_note", "已完成，附证明")
        page.set_input_files("#id_evidence", [_pdf(name)])
        page.click("#confirm-form button")
        page.wait_for_selector(f"tr[data-step={step}] .badge.ok")

    page.click("#complete-form button")
    page.wait_for_selector("#exit-error")
    assert "客户数据已返还或销毁" in page.inner_text("#exit-error")
    assert page.inner_text("#exit-status") == "退出中"
    assert Exit.objects.get().status == "in_progress"

    # Confirming without evidence is refused on the form.
    page.select_option("#id_step", "data")
    page.fill("#id_note", "数据已销毁")
    page.click("#confirm-form button")
    page.wait_for_selector("text=须上传证明材料")
    page.set_input_files("#id_evidence", [_pdf("destroyed.pdf")])
    page.click("#confirm-form button")
    page.wait_for_selector("tr[data-step=data] .badge.ok")
    page.click("#complete-form button")
    page.wait_for_selector("text=退出已完成")
    assert page.inner_text("#exit-status") == "已完成"
    assert Partner.objects.get(pk=partner.pk).status == "exited"
    context.close()
