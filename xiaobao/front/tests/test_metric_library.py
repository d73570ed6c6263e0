"""The metric library page: every metric with its value for a unit in scope and a period."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD
from xiaobao.governance.models import Meeting
from xiaobao.lib import metrics

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.login(username=username, password=PASSWORD)
    return client


def test_the_page_lists_each_metric_with_its_value(people, org):
    from django.utils import timezone

    Meeting.objects.create(
        unit=org.sub_a,
        body="regular",
        title="例会",
        held_on=timezone.localdate().replace(month=1, day=2),
        attendees="全体",
        topics="通报",
        created_by=people.officer_a,
        created_at=timezone.now(),
    )
    page = _client("officer_a").get("/metrics/")
    assert page.status_code == 200
    text = page.content.decode()
    for key in metrics.registry():
        assert f'data-key="{key}"' in text
    assert "消保会议次数" in text and "1次" in text
    # Branch B sees its own figure (none), and branch A is not offered to it.
    other = _client("officer_b").get("/metrics/").content.decode()
    assert "0次" in other and 'value="BR-a"' not in other


def test_a_unit_out_of_scope_is_404_and_bad_dates_400(people):
    client = _client("officer_a")
    assert client.get("/metrics/", {"unit": "BR-b"}).status_code == 404
    bad = client.get("/metrics/", {"first": "2026-05-01", "last": "2026-04-01"})
    assert bad.status_code == 400 and "截止日期不能早于起始日期。" in bad.content.decode()
    assert _client("handler_a").get("/metrics/").status_code == 403
