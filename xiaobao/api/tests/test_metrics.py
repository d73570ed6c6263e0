"""The metric registry over the API: definitions, values, scope (404) and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from xiaobao.api.services import api_token_create
from xiaobao.governance.models import Meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(people):
    def make(user) -> APIClient:
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def meetings(org, people):
    from django.utils import timezone

    for unit, held in [
        (org.branch_a, date(2026, 3, 2)),
        (org.sub_a, date(2026, 5, 6)),
        (org.branch_b, date(2026, 3, 9)),
        (org.branch_a, date(2025, 12, 30)),
    ]:
        Meeting.objects.create(
            unit=unit,
            body="regular",
            title="消保工作例会",
            held_on=held,
            attendees="消保办全体",
            topics="投诉通报",
            created_by=people.officer_a,
            created_at=timezone.now(),
        )


def test_the_library_lists_every_registered_metric(api, people):
    body = api(people.auditor).get("/api/v1/metrics/").json()
    keys = [m["key"] for m in body]
    assert "governance.meetings" in keys and keys == sorted(keys)
    meetings = next(m for m in body if m["key"] == "governance.meetings")
    assert meetings["label"] == "消保会议次数" and meetings["higher_is_better"] is True


def test_a_value_for_a_unit_and_period_equals_a_direct_count(api, people, meetings):
    url = "/api/v1/metrics/governance.meetings/"
    query = {"first": "2026-01-01", "last": "2026-12-31"}
    assert api(people.hq_officer).get(url, {**query, "unit": "HQ"}).json()["value"] == 3
    branch = api(people.officer_a).get(url, {**query, "unit": "BR-a"}).json()
    assert branch["value"] == 2 and branch["unit"] == "BR-a"
    assert branch["drill"] == "/governance/meetings/?unit=BR-a"
    # Without a unit: the caller's own (branch A); both ends of the period are included.
    own = api(people.officer_a).get(url, {"first": "2026-03-02", "last": "2026-05-06"}).json()
    assert own["value"] == 2


def test_a_unit_outside_the_callers_scope_is_not_found(api, people, meetings):
    url = "/api/v1/metrics/governance.meetings/"
    assert api(people.officer_a).get(url, {"unit": "BR-b"}).status_code == 404
    assert api(people.officer_a).get(url, {"unit": "HQ"}).status_code == 404
    assert api(people.officer_a).get("/api/v1/metrics/nope.none/").status_code == 404
    assert api(people.handler_a).get(url).status_code == 403  # no statistics right


def test_bad_periods_name_the_field(api, people):
    url = "/api/v1/metrics/governance.meetings/"
    client = api(people.hq_officer)
    bad = client.get(url, {"first": "2026-13-01"})
    assert bad.status_code in (400, 422) and bad.json()["field"] == "first"
    today = date.today()
    backwards = client.get(
        url, {"first": today.isoformat(), "last": (today - timedelta(days=1)).isoformat()}
    )
    assert backwards.status_code in (400, 422) and backwards.json()["field"] == "last"
