"""Portal ratings on the case page and in the statistics; the 待回访 worklist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.complaints import services
from xiaobao.portal.models import PortalRating
from xiaobao.reports import facts
from xiaobao.reports.selectors import complaint_statistics

from .conftest import at

pytestmark = pytest.mark.django_db


def _close(complaint, people):
    return services.complaint_close(
        actor=people.handler_a, complaint=complaint, root_cause="告知不到位", at_fault=False
    )


@pytest.fixture
def closed(notified, people, frozen):
    frozen(at(2026, 1, 13, 9))
    return _close(notified, people)


def test_the_portal_rating_shows_on_the_case_and_the_case_is_owed_a_call(
    client, closed, people, settings
):
    settings.XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT = 0
    client.force_login(people.handler_a)
    listing = client.get(reverse("complaints:follow_ups")).content.decode()
    assert closed.registry_no not in listing  # not major, not dissatisfied, 0% sampled
    PortalRating.objects.create(complaint=closed, result="unsatisfied", comments="退款太慢")
    page = client.get(reverse("complaints:detail", args=[closed.pk])).content.decode()
    assert "消费者评价（门户）" in page and "不满意" in page and "退款太慢" in page
    listing = client.get(reverse("complaints:follow_ups")).content.decode()
    assert closed.registry_no in listing and "消费者评价不满意" in listing
    # Called back: off the list.
    response = client.post(
        reverse("complaints:action", args=[closed.pk, "follow_up"]),
        {"follow_up-result": "basically", "follow_up-method": "phone"},
    )
    assert response.status_code == 302
    assert closed.registry_no not in client.get(reverse("complaints:follow_ups")).content.decode()
    # Other branches and auditors do not get the list of branch A's cases.
    client.force_login(people.handler_b)
    assert closed.registry_no not in client.get(reverse("complaints:follow_ups")).content.decode()
    client.force_login(people.auditor)
    assert client.get(reverse("complaints:follow_ups")).status_code == 403


def test_sampled_share_and_major_cases(client, closed, people, settings):
    client.force_login(people.handler_a)
    settings.XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT = 100
    listing = client.get(reverse("complaints:follow_ups")).content.decode()
    assert closed.registry_no in listing and "按比例抽样" in listing
    settings.XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT = 0
    type(closed).objects.filter(pk=closed.pk).update(is_major=True)
    listing = client.get(reverse("complaints:follow_ups")).content.decode()
    assert closed.registry_no in listing and "重大投诉" in listing


def test_portal_ratings_count_in_satisfaction_with_follow_up_results(
    closed, register, people, frozen
):
    frozen(at(2026, 1, 14, 9))
    other = register(received_at=at(2026, 1, 6, 10), title="另一件")
    services.complaint_accept(actor=people.handler_a, complaint=other)
    services.complaint_decide(
        actor=people.handler_a,
        complaint=other,
        verified_facts="核实",
        outcome="not_upheld",
        basis="合同",
        reasons="理由",
        routes=["review"],
    )
    services.complaint_notify(
        actor=people.handler_a,
        complaint=other,
        method="sms",
        given_at=at(2026, 1, 14, 9),
        evidence="短信记录",
    )
    other = _close(other, people)
    # One case rated in the portal only; the other rated unsatisfied in the portal but the
    # staff's call found the consumer satisfied: the call wins.
    PortalRating.objects.create(complaint=closed, result="satisfied")
    PortalRating.objects.create(complaint=other, result="unsatisfied")
    # Written here without the portal's service, which also refreshes the statistics store.
    facts.refresh([closed.pk, other.pk])
    services.follow_up_record(
        actor=people.handler_a, complaint=other, result="satisfied", method="phone"
    )
    total = complaint_statistics(user=people.hq_officer, repeats="none").total
    assert total.surveyed == 2 and total.satisfied == 2
    # A portal-only dissatisfied rating counts as surveyed, not satisfied.
    PortalRating.objects.filter(complaint=closed).update(result="unsatisfied")
    facts.refresh([closed.pk])
    total = complaint_statistics(user=people.hq_officer, repeats="none").total
    assert total.surveyed == 2 and total.satisfied == 1
