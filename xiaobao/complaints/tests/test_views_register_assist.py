"""The registration form's live helpers and the merge offer after registering a likely duplicate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.complaints.models import Complaint

from .conftest import PHONE, at, person
from .test_views import _form

pytestmark = pytest.mark.django_db

SAME_STORY = "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。"


def test_form_asks_the_helpers_while_typing(client, people):
    client.force_login(people.handler_a)
    page = client.get(reverse("complaints:register")).content.decode()
    typing = (
        "input changed delay:600ms from:#id_title, input changed delay:600ms from:#id_narrative"
    )
    assert f'hx-post="{reverse("language:suggest")}"' in page
    assert f'hx-post="{reverse("language:duplicates")}"' in page
    assert f'hx-trigger="{typing}"' in page  # nothing typed yet: no request on load
    assert 'hx-params="csrfmiddlewaretoken,title,narrative"' in page
    assert "xiaobao/register.js" in page


def test_a_likely_duplicate_is_offered_for_merging_after_registration(
    client, register, people, org, frozen
):
    frozen(at(2026, 1, 6, 11))
    original = register(complainants=[person(name="王芳", id_number="", phone="13911112222")])
    client.force_login(people.handler_a)
    response = client.post(
        reverse("complaints:register"),
        _form(
            unit=org.sub_a.pk,
            title="信用卡年费未告知即扣收",
            narrative="12345转办：" + SAME_STORY,
            id_number="",
        ),
    )
    new = Complaint.objects.exclude(pk=original.pk).get()
    detail = reverse("complaints:detail", args=[new.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{detail}?merge_into={original.registry_no}#action-merge"

    page = client.get(response["Location"]).content.decode()
    assert f"新投诉可能与 {original.registry_no} 为同一事项" in page
    assert '<details open id="action-merge">' in page
    assert f'name="merge-into" value="{original.registry_no}"' in page
    # The offer is the case page's own merge action.
    merged = client.post(
        reverse("complaints:action", args=[new.pk, "merge"]),
        {"merge-into": original.registry_no, "merge-note": "同一事项，12345转办"},
    )
    assert merged.status_code == 302
    new.refresh_from_db()
    assert new.status == "merged" and new.merged_into_id == original.pk


def test_no_offer_without_a_likely_duplicate_or_after_confirming(client, register, people, org):
    client.force_login(people.handler_a)
    plain = client.post(reverse("complaints:register"), _form(unit=org.sub_a.pk))
    first = Complaint.objects.get()
    assert plain["Location"] == reverse("complaints:detail", args=[first.pk])
    # Same complainant again, confirmed as not a duplicate: registered, and not asked again.
    confirmed = client.post(
        reverse("complaints:register"), _form(unit=org.sub_a.pk, confirm_duplicate="on")
    )
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert confirmed["Location"] == reverse("complaints:detail", args=[second.pk])


def test_merge_offer_on_the_case_page_respects_scope(client, register, people, org):
    mine = register()
    theirs = register(actor=people.handler_b, unit=org.sub_b)
    client.force_login(people.handler_a)
    url = reverse("complaints:detail", args=[mine.pk])
    page = client.get(url, {"merge_into": theirs.registry_no}).content.decode()
    assert f'value="{theirs.registry_no}"' not in page
    assert '<details open id="action-merge">' not in page
    page = client.get(url, {"merge_into": mine.registry_no}).content.decode()  # itself: ignored
    assert '<details open id="action-merge">' not in page


def test_submit_time_warning_masks_personal_data_in_titles(client, register, people, org):
    register(title="客户13912345678反映年费问题")
    client.force_login(people.handler_a)
    page = client.post(reverse("complaints:register"), _form(unit=org.sub_a.pk)).content.decode()
    warning = page.split('<div class="card warn-card" role="alert">')[1].split("</div>")[0]
    assert "可能的重复投诉" in warning and "客户139****5678反映年费问题" in warning
    assert "13912345678" not in page and PHONE not in warning
