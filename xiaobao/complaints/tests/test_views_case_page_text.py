"""The case page says who did what: the extension line names requester and approver, the
approval form starts with the request, one 中止计时 badge while paused, amounts grouped."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from xiaobao.complaints import services

from .conftest import at

pytestmark = pytest.mark.django_db


def _page(client, user, complaint) -> str:
    client.force_login(user)
    return client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_extension_line_names_the_requester_and_the_approver(
    client, accepted, people, more_people, frozen
):
    frozen(at(2026, 1, 10, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需调取外部数据"
    )
    services.extension_approve(actor=more_people.head_sub_a, extension=extension, note="同意")
    text = _text(_page(client, people.handler_a, accepted))
    requester, approver = str(people.handler_a), str(more_people.head_sub_a)
    assert f"已批准（申请人 {requester}，审批人 {approver}）" in text
    assert f"已批准（{requester}）" not in text


def test_approval_form_starts_with_the_request_not_a_stray_colon(
    client, accepted, people, more_people, frozen
):
    frozen(at(2026, 1, 10, 9))
    services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需调取外部数据"
    )
    html = _page(client, more_people.head_sub_a, accepted)
    form = html[html.index("extension_decide") if "extension_decide" in html else 0 :]
    assert "<strong>延期至30日的申请</strong><br>需调取外部数据" in html
    assert "</strong>：" not in form.split("</form>")[0]


def test_one_pause_badge_while_the_clock_is_stopped(client, accepted, people, frozen):
    frozen(at(2026, 1, 8, 9))
    services.complaint_pause(
        actor=people.handler_a, complaint=accepted, reason="appraisal", told_by="phone"
    )
    head = _page(client, people.handler_a, accepted).split('<div class="case-grid">')[0]
    assert head.count("中止计时") == 1


def test_amounts_show_thousands_separators(client, register, people, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register(amount=Decimal("1234567.50"))
    assert "1,234,567.50 元" in _page(client, people.handler_a, complaint)
