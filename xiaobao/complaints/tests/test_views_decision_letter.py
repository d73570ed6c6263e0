"""Back-dated decisions and notices, and the 答复函, through the case page."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document

from xiaobao.complaints.models import ComplaintEvent

from .conftest import at

pytestmark = pytest.mark.django_db

DECISION = {
    "verified_facts": "经核实，办卡时未书面告知年费标准。",
    "outcome": "upheld",
    "basis": "《信用卡领用合约》第五条",
    "reasons": "告知义务未履行，年费应予退还。",
    "compensation": "600",
    "routes": ["review", "mediation", "litigation"],
}


def act(client, complaint, name, data):
    url = reverse("complaints:action", args=[complaint.pk, name])
    return client.post(url, {f"{name}-{k}": v for k, v in data.items()})


def test_a_decision_given_on_day_14_and_entered_on_day_16_is_timely(
    client, accepted, people, frozen
):
    # Received 5 Jan, due by the end of 20 Jan; today is 21 Jan (day 16).
    frozen(at(2026, 1, 21, 10))
    client.force_login(people.handler_a)
    response = act(client, accepted, "decide", {**DECISION, "decided_at": "2026-01-19T10:00"})
    assert response.status_code == 302
    response = act(
        client,
        accepted,
        "notify",
        {"method": "phone", "given_at": "2026-01-19T10:30", "evidence": "录音 REC-0119-07"},
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.decided_at == at(2026, 1, 19, 10)
    assert accepted.notified_at == at(2026, 1, 19, 10, 30) and accepted.timely is True
    event = ComplaintEvent.objects.get(complaint=accepted, action="notify")
    assert event.data["claimed_at"].startswith("2026-01-19T10:30")
    assert event.data["entered_at"].startswith("2026-01-21")
    assert event.occurred_at == at(2026, 1, 21, 10)  # the timeline keeps the entry time too


def test_claimed_times_are_bounded(client, accepted, people, frozen, settings):
    settings.XIAOBAO_BACKDATE_DAYS = 3
    frozen(at(2026, 1, 12, 10))
    client.force_login(people.handler_a)
    for moment, words in (
        ("2026-01-12T18:00", "不能晚于当前时间"),
        ("2026-01-05T09:00", "不能早于受理时间"),
        ("2026-01-08T09:00", "最多只能补记3日内"),
    ):
        response = act(client, accepted, "decide", {**DECISION, "decided_at": moment})
        assert response.status_code == 400 and words in response.content.decode(), moment
    accepted.refresh_from_db()
    assert accepted.status == "accepted"
    # A notice needs evidence, or a generated letter.
    act(client, accepted, "decide", {**DECISION, "decided_at": "2026-01-12T09:00"})
    response = act(client, accepted, "notify", {"method": "letter", "given_at": "2026-01-12T09:30"})
    assert response.status_code == 400 and "告知凭证" in response.content.decode()
    response = act(
        client,
        accepted,
        "notify",
        {"method": "letter", "given_at": "2026-01-12T09:30", "use_letter": "on"},
    )
    assert response.status_code == 400 and "尚未生成答复函" in response.content.decode()


def test_the_decision_letter_has_the_mandatory_content_and_serves_as_evidence(
    client, decided, people, frozen
):
    frozen(at(2026, 1, 12, 10))
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:letter", args=[decided.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    for part in (
        "投诉处理答复函",
        "张伟",
        "核实情况",
        "经核实，办卡时未向客户书面告知年费标准。",
        "处理结果",
        "诉求成立",
        "处理依据",
        "处理理由",
        "补偿或赔偿",
        "申请核查",
        "30日内",
        "调解",
        "诉讼",
        "联系方式",
        "A支行",
    ):
        assert part in text, part
    page = client.get(reverse("complaints:detail", args=[decided.pk])).content.decode()
    assert "短信文本" in page and decided.registry_no in page
    response = act(
        client,
        decided,
        "notify",
        {"method": "letter", "given_at": "2026-01-12T09:30", "use_letter": "on"},
    )
    assert response.status_code == 302
    decided.refresh_from_db()
    assert f"{decided.registry_no}-DF01" in decided.notice.evidence and decided.timely is True


def test_no_letter_before_a_decision_and_not_for_an_auditor(client, accepted, people):
    client.force_login(people.handler_a)
    assert client.post(reverse("complaints:letter", args=[accepted.pk])).status_code == 409
    client.force_login(people.auditor)
    assert client.post(reverse("complaints:letter", args=[accepted.pk])).status_code == 403


# --- the letter in the official-document style, and as PDF ---------------------------------------


def _html_lines(html: str) -> list[str]:
    import re
    from html import unescape

    body = html.split("<body>", 1)[1]
    return [unescape(m) for m in re.findall(r"<(?:h1|h2|p)[^>]*>(.*?)</(?:h1|h2|p)>", body)]


def test_the_letter_is_an_official_document_and_its_pdf_text_matches_the_word_text(
    client, decided, people, frozen
):
    from xiaobao.complaints.letters import letter_html, letter_text
    from xiaobao.lib.officialdoc import MARGINS_MM

    frozen(at(2026, 1, 12, 10))
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:letter", args=[decided.pk]))
    document = Document(io.BytesIO(response.content))
    section = document.sections[0]
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (
        MARGINS_MM["top"],
        MARGINS_MM["left"],
    )
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == "投诉处理答复函"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["一、核实情况", "二、处理结果", "三、处理依据"]
    assert [p.text for p in paragraphs[-2:]] == ["A支行", "2026年1月12日"]
    # The PDF is printed from HTML holding the very same lines, in the same order.
    decided.refresh_from_db()
    from xiaobao.complaints.services import review_deadline

    window = review_deadline(decided)
    text = letter_text(decided, decided.decision, review_by=window[0] if window else None)
    assert _html_lines(letter_html(text)) == [p.text for p in paragraphs]


def test_the_pdf_letter_through_the_page_and_the_api(client, decided, people, frozen, monkeypatch):
    import base64

    from rest_framework.test import APIClient

    printed: list[str] = []

    def fake_print(html: str) -> bytes:  # the browser itself is tested below when installed
        printed.append(html)
        return b"%PDF-1.7 letter"

    monkeypatch.setattr("xiaobao.reports.pdf.html_to_pdf", fake_print)
    frozen(at(2026, 1, 12, 10))
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:letter", args=[decided.pk]), {"as": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and ".pdf" in response["Content-Disposition"]
    assert "投诉处理答复函" in printed[0] and "一、核实情况" in printed[0]
    event = ComplaintEvent.objects.filter(complaint=decided, action="letter_generated").get()
    assert event.data["pdf_sha256"] and event.data["ref"].endswith("-DF01")

    api = APIClient()
    api.force_authenticate(people.handler_a)
    url = f"/api/v1/complaints/{decided.pk}/letter/"
    data = api.post(url, {"pdf": True}, format="json").json()
    assert base64.b64decode(data["pdf_base64"]).startswith(b"%PDF")
    assert api.post(url, {}, format="json").json()["pdf_base64"] is None
    api.force_authenticate(people.auditor)
    assert api.post(url, {"pdf": True}, format="json").status_code == 403


@pytest.mark.skipif(
    not __import__("xiaobao.reports.pdf", fromlist=["chromium_path"]).chromium_path(),
    reason="needs headless Chromium for PDF",
)
def test_the_pdf_letter_is_printed_by_chromium(client, decided, people, frozen):
    frozen(at(2026, 1, 12, 10))
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:letter", args=[decided.pk]), {"as": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"CJK" in response.content
