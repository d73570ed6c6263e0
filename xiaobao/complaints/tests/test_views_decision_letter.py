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
