"""With English chosen, the workbench pages hold no Chinese text outside user data (unit and
staff names, what complainants wrote, classification codes without an English name)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import BROWSER_MARKS, PASSWORD

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _data(migration_data):
    """Taxonomies and policies, even after an earlier transactional test flushed them."""


@pytest.fixture
def case(people, org):
    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    complaint = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now(),
        intake_channel="COUNTER",
        title="信用卡年费争议",
        narrative="客户称办卡时未被告知年费。",
        complainants=[person()],
        business_channel="COUNTER",
        business_category="CARD",
        cause="PRICING",
    )
    services.complaint_accept(actor=people.handler_a, complaint=complaint)
    return complaint


@pytest.fixture
def answered(people, org):
    """A second case with an extension request, a decision and its notice on the page."""
    from decimal import Decimal

    from xiaobao.complaints import services
    from xiaobao.complaints.tests.conftest import person

    complaint = services.complaint_register(
        actor=people.handler_a,
        unit=org.sub_a,
        received_at=timezone.now() - timezone.timedelta(days=2),
        intake_channel="COUNTER",
        title="理财产品风险提示不足",
        narrative="客户称购买时未被告知风险等级。",
        complainants=[person()],
        amount=Decimal("125000"),
        business_channel="COUNTER",
        business_category="CARD",
        cause="PRICING",
    )
    services.complaint_accept(actor=people.handler_a, complaint=complaint)
    services.extension_request(
        actor=people.handler_a, complaint=complaint, target_days=30, reason="需调取录音"
    )
    services.complaint_decide(
        actor=people.handler_a,
        complaint=complaint,
        verified_facts="调阅录音核实。",
        outcome="partly_upheld",
        basis="合同约定",
        reasons="告知不充分。",
        routes=["review", "mediation", "litigation"],
        compensation=Decimal("3000"),
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=complaint,
        method="phone",
        given_at=timezone.now(),
        evidence="REC-001",
    )
    return complaint


SEARCHED = "年费"  # what the user typed into the search box comes back on the page


def user_data() -> list[str]:
    """Every string the institution or a complainant typed, longest first."""
    from xiaobao.complaints.models import (
        Complainant,
        Complaint,
        Decision,
        Extension,
        Notice,
        TaxonomyTerm,
    )
    from xiaobao.organisation.models import Department, Unit, User
    from xiaobao.privacy.masking import mask, mask_name

    values: list[str] = [SEARCHED]
    values += Unit.objects.values_list("name", flat=True)
    values += Department.objects.values_list("name", flat=True)
    values += [str(u) for u in User.objects.all()]
    for c in Complaint.objects.all():
        values += [c.title, c.narrative, c.demand_text, c.complained_staff_name]
    values += Extension.objects.values_list("reason", flat=True)
    for d in Decision.objects.all():
        values += [d.verified_facts, d.basis, d.reasons, d.text]
    values += Notice.objects.values_list("evidence", flat=True)
    for p in Complainant.objects.all():
        values += [p.name, mask_name(p.name), p.address or "", mask("address", p.address or "")]
    values += TaxonomyTerm.objects.filter(name_en="").values_list("name", flat=True)
    return sorted({v for v in values if v}, key=len, reverse=True)


def chinese_outside_user_data(page) -> list[str]:
    # The logo glyph is a picture of the brand (aria-hidden), the language menu names each
    # language in itself. Not yet translated: the deadline explanation (.explain), which the
    # deadline engine writes in Chinese and stores with the case when it computes the deadline.
    text = page.evaluate(
        """() => {
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('.logo, select[name=language], .explain, script, style')
            .forEach(e => e.remove());
        return clone.innerText + '\\n' + document.title;
    }"""
    )
    for value in user_data():
        text = text.replace(value, "")
    return sorted(set(CJK.findall(text)))


PAGES = {
    "hq_officer": [
        "front:home",
        "complaints:registry",
        "complaints:register",
        "language:search",
        "reports:dashboard",
        "reports:causes",
        "reports:units",
        "reports:timeliness",
        "reports:explore",
        "reports:workbook",
        "reports:summary",
        "reports:files",
        "reports:typical_list",
        "reports:typical_new",
        "reports:alert_list",
        "watch:inbox",
        "watch:preferences",
        "front:unit_list",
        "front:staff_list",
        "front:responsible_list",
        # Not yet: api:docs (its reference text comes from the OpenAPI schema, written in
        # Chinese in the API code).
    ],
    "handler_a": ["front:home", "complaints:mine", "complaints:registry"],
    "head_a": ["front:home"],
    "auditor": ["front:home", "complaints:registry"],
}


def _login_english(browser, live_server, username: str, viewport: dict[str, int]):
    page = browser.new_page(viewport=viewport, locale="en-GB")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])
def test_english_pages_have_no_chinese_outside_user_data(
    browser, live_server, people, case, answered, viewport
):
    found: dict[str, list[str]] = {}
    for username, names in PAGES.items():
        page = _login_english(browser, live_server, username, viewport)
        assert page.get_attribute("html", "lang") == "en"
        urls = [reverse(n) for n in names]
        if username in ("hq_officer", "handler_a"):
            urls.append(reverse("complaints:detail", args=[case.pk]))
            urls.append(reverse("complaints:detail", args=[answered.pk]))
        if username == "hq_officer":
            urls.append(reverse("language:search") + f"?q={SEARCHED}")
            urls.append(reverse("complaints:registry") + "?received_from=2026-13-45")
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response is not None and response.status == 200, url
            chinese = chinese_outside_user_data(page)
            if chinese:
                found[f"{username} {url}"] = chinese
        page.close()
    assert not found, "\n".join(f"{where}: {' '.join(words)}" for where, words in found.items())
