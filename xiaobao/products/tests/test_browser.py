"""Done-when of issue 23 (pre-review) in a real browser: a product manager submits a review, the
reviewer issues a mandatory opinion, the manager rejects it and it escalates; a launch whose
document differs from the approved version raises the alert."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import BROWSER_MARKS, PASSWORD
from xiaobao.organisation.choices import Role
from xiaobao.products.models import Review, ReviewRoute
from xiaobao.products.tests.conftest import build_staff, pdf

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


def _file(upload) -> dict:
    upload.seek(0)
    return {"name": upload.name, "mimeType": "application/pdf", "buffer": upload.read()}


def test_review_escalation_and_launch_mismatch(browser, live_server, org, people):
    staff = build_staff(org)
    ReviewRoute.objects.create(object_type="new_product", reviewer=staff.reviewer)
    assert Role.PRODUCT_REVIEWER

    contexts = []

    def desk():
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    page = desk()
    _login(page, live_server, "pm")
    page.goto(f"{live_server.url}/products/")
    page.click("#new-review")
    page.select_option("#id_object_type", "new_product")
    page.fill("#id_title", "稳享90天理财产品说明书")
    page.set_input_files("#id_document", _file(pdf("approved text")))
    page.click("#submit-review")
    page.wait_for_selector("#review-status")
    assert page.inner_text("#review-status") == "待审查"
    review = Review.objects.get()

    reviewer = desk()
    _login(reviewer, live_server, "reviewer")
    reviewer.goto(f"{live_server.url}/products/reviews/{review.pk}/")
    reviewer.click("#issue-opinion summary")
    reviewer.fill("#id_location", "第二页风险揭示")
    reviewer.fill("#id_issue", "使用“保本”字样")
    reviewer.fill("#id_basis", "《银行保险机构消费者权益保护管理办法》第十二条")
    reviewer.select_option("#id_kind", "mandatory")
    reviewer.click("#submit-opinion")
    reviewer.wait_for_selector("#opinion-1")
    assert reviewer.inner_text("#review-status") == "已出具意见"

    page.goto(f"{live_server.url}/products/reviews/{review.pk}/")
    page.click("#opinion-1 details.answer summary")
    opinion = review.opinions.get()
    prefix = f"#id_o{opinion.pk}-"
    page.select_option(prefix + "response", "not_adopted")
    page.fill(prefix + "reason", "竞品均如此表述")
    page.click("#opinion-1 details.answer button")
    # Without an approver the answer is refused, naming the field.
    assert "不采纳须填写审批人" in page.inner_text("#opinion-1")
    page.select_option(prefix + "approver", label="pm")
    page.fill(prefix + "reason", "竞品均如此表述")
    page.click("#opinion-1 details.answer button")
    page.wait_for_selector("#escalated")
    assert page.inner_text("#review-status") == "待分管行领导决定"
    assert "待分管行领导决定" in page.inner_text("#opinion-1 .decision")

    leader = desk()
    _login(leader, live_server, "leader")
    leader.goto(f"{live_server.url}/products/reviews/{review.pk}/")
    leader.select_option(f"#id_d{opinion.pk}-decision", "waived")
    leader.fill(f"#id_d{opinion.pk}-note", "风险可控，同意")
    leader.click("#opinion-1 details.decide button")
    leader.wait_for_selector("#review-status:has-text('意见已答复')")

    reviewer.goto(f"{live_server.url}/products/reviews/{review.pk}/")
    reviewer.click("#conclude summary")
    reviewer.select_option("#id_conclusion", "passed")
    reviewer.click("#submit-conclusion")
    reviewer.wait_for_selector("#review-conclusion")

    page.goto(f"{live_server.url}/products/reviews/{review.pk}/")
    page.click("#launch summary")
    page.fill("#id_launched_on", date.today().isoformat())
    page.set_input_files("#id_file", _file(pdf("edited after approval")))
    page.click("#submit-launch")
    page.wait_for_selector("#launch-mismatch")
    assert "不一致" in page.inner_text("#launches")
    assert page.inner_text("#review-status") == "已出具结论"
    for context in contexts:
        context.close()
