"""The registry's rows are formatted in Python (registry_page.py): each shows what the model
would print, in the page's language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.complaints.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_a_row_prints_what_the_case_says(client, register, people, frozen):
    frozen(at(2026, 1, 6, 9))
    case = register(received_at=at(2026, 1, 5, 10, 7), title="信用卡年费<未告知>")
    Complaint.objects.filter(pk=case.pk).update(is_major=True, cause=None)
    case.refresh_from_db()
    client.force_login(people.officer_a)
    page = client.get(reverse("complaints:registry"))
    (row,) = page.context["rows"]
    assert row.url == reverse("complaints:detail", args=[case.pk])
    assert row.received == "2026-01-05 10:07"
    assert row.channel == case.intake_channel.label
    assert row.category == case.business_category.label
    assert row.cause == "—"
    assert row.unit == case.unit.name
    assert row.handler == (str(case.handler) if case.handler else "—")
    assert row.status_label == case.get_status_display()
    html = page.content.decode()
    assert "信用卡年费&lt;未告知&gt;" in html and '<span class="badge bad">重大</span>' in html


def test_rows_follow_the_interface_language(client, register, people):
    case = register()
    term = TaxonomyTerm.objects.get(pk=case.intake_channel_id)
    TaxonomyTerm.objects.filter(pk=term.pk).update(name_en="Branch counter")
    client.force_login(people.officer_a)
    client.cookies["django_language"] = "en"
    (row,) = client.get(reverse("complaints:registry")).context["rows"]
    assert row.channel == "Branch counter"
