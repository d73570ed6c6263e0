"""Late forwarding (Art. 33: a referrer forwards within 7 working days): case page and workbook."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from xiaobao.reports.workbook import ReportPeriod, intake_sheet

from .conftest import at

pytestmark = pytest.mark.django_db


def test_late_forwarding_shows_on_the_case_and_counts_in_the_workbook(
    client, register, people, org, frozen
):
    frozen(at(2026, 1, 20, 10))
    # The 12363 line received it on 5 Jan and forwarded it on 19 Jan: 10 working days.
    late = register(
        intake_channel="R12363",
        external_ref="12363-0001",
        referrer_received_on=date(2026, 1, 5),
        received_at=at(2026, 1, 19, 9),
    )
    on_time = register(
        intake_channel="R12345",
        external_ref="12345-0002",
        referrer_received_on=date(2026, 1, 14),
        received_at=at(2026, 1, 19, 9),
        title="另一件",
    )
    client.force_login(people.officer_a)
    page = client.get(reverse("complaints:detail", args=[late.pk])).content.decode()
    assert "转送用时10个工作日" in page and "超过7个工作日" in page
    page = client.get(reverse("complaints:detail", args=[on_time.pk])).content.decode()
    assert "转送用时3个工作日" in page and "超过7个工作日" not in page

    sheet = intake_sheet(viewer=people.officer_a, period=ReportPeriod.parse("2026Q1"))
    row = next(r for r in sheet.rows if str(r[1]).startswith("其中：转办方超期转送"))
    columns = [c.label for c in sheet.columns]
    assert row[3] == 1 and row[columns.index("A支行")] == 1
    # The head office's workbook counts it too, under branch A.
    sheet = intake_sheet(viewer=people.hq_officer, period=ReportPeriod.parse("2026Q1"))
    row = next(r for r in sheet.rows if str(r[1]).startswith("其中：转办方超期转送"))
    columns = [c.label for c in sheet.columns]
    assert row[3] == 1 and row[columns.index("A分行")] == 1 and row[columns.index("B分行")] == 0
