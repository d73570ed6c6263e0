from __future__ import annotations

import pytest

from xiaobao.organisation.choices import Role

from .conftest import PHONE, VALID_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(people, org, make_user):
    """The admin is for administrators (here one per branch) and auditors."""
    people.officer_a = make_user("admin_a", org.branch_a, Role.SYSADMIN)
    people.officer_b = make_user("admin_b", org.branch_b, Role.SYSADMIN)
    return people


def test_branch_officer_reads_cases_in_the_workbench_not_the_admin(notified, people, client):
    client.force_login(people.officer_a)
    assert client.get(f"/admin/complaints/complaint/{notified.pk}/change/").status_code == 403


def test_admin_shows_the_whole_case_with_its_timeline_and_masked_personal_data(
    notified, staff, client
):
    client.force_login(staff.officer_a)
    response = client.get(f"/admin/complaints/complaint/{notified.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert notified.registry_no in page
    assert "处理时间线" in page
    for action in ("register", "accept", "decide", "notify"):
        assert f"<p>{action}</p>" in page or f">{action}<" in page
    # Personal data only masked: 138****8000, 110105********002X-style.
    assert PHONE not in page and VALID_ID not in page
    assert "138****8000" in page
    assert VALID_ID[:6] + "*" * 8 + VALID_ID[-4:] in page
    assert "张*" in page


def test_admin_hides_other_branches_cases(notified, staff, client):
    client.force_login(staff.officer_b)
    assert client.get(f"/admin/complaints/complaint/{notified.pk}/change/").status_code in (
        302,
        404,
    )
    listing = client.get("/admin/complaints/complaint/")
    assert listing.status_code == 200
    assert notified.registry_no not in listing.content.decode()


def test_auditor_reads_but_cannot_change_or_delete(notified, staff, client):
    client.force_login(staff.auditor)
    assert client.get(f"/admin/complaints/complaint/{notified.pk}/change/").status_code == 200
    assert (
        client.post(
            f"/admin/complaints/complaint/{notified.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    event = notified.events.first()
    assert (
        client.post(
            f"/admin/complaints/complaintevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    notified.refresh_from_db()
    assert notified.events.count() == 4
