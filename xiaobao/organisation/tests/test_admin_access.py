"""The admin site walked as every role: only administrators and configuration roles get in, and
institution-wide configuration changes only at head office with the configuration permission."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.models import CalendarDay, DeadlinePolicy
from xiaobao.organisation.choices import Role
from xiaobao.reports.models import ReportTemplate
from xiaobao.reports.texts import DEFAULT_TEMPLATES, default_source

# Institution-wide configuration: (app_label, model_name).
CONFIGURATION = {
    ("complaints", "taxonomyterm"),
    ("complaints", "deadlinepolicy"),
    ("complaints", "calendarday"),
    ("reports", "reporttemplate"),
    ("privacy", "retentionpolicy"),
    ("watch", "threshold"),
    ("watch", "escalationrule"),
    ("auth", "group"),
    ("language", "classifiermodel"),
}
WORKBENCH_ROLES = ("officer_a", "head_a", "handler_a", "officer_b", "handler_b")


@pytest.fixture
def staff(org, people, make_user, migration_data) -> dict[str, Any]:
    # One row of each configuration table the migrations leave empty, so its change page exists.
    CalendarDay.objects.create(date=date(2027, 1, 2), is_workday=True, note="调休")
    key = next(iter(DEFAULT_TEMPLATES))
    ReportTemplate.objects.create(key=key, body=default_source(key))
    return {
        **{name: getattr(people, name) for name in (*WORKBENCH_ROLES, "hq_officer", "auditor")},
        "sysadmin_hq": make_user("sysadmin_hq", org.hq, Role.SYSADMIN),
        "sysadmin_a": make_user("sysadmin_a", org.branch_a, Role.SYSADMIN),
    }


def _pages() -> list[tuple[str, str, str, Any]]:
    """(app_label, model_name, page, url) for every registered model's changelist, add, change."""
    pages = []
    for model in admin.site._registry:
        label, name = model._meta.app_label, model._meta.model_name
        pages.append((label, name, "changelist", reverse(f"admin:{label}_{name}_changelist")))
        pages.append((label, name, "add", reverse(f"admin:{label}_{name}_add")))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            try:
                url = reverse(f"admin:{label}_{name}_change", args=[first.pk])
            except NoReverseMatch:
                continue
            pages.append((label, name, "change", url))
    return pages


def test_workbench_roles_never_enter_the_admin(client, staff):
    pages = _pages()
    assert len(pages) > 60  # every registered model, not a handful
    for role in WORKBENCH_ROLES:
        client.force_login(staff[role])
        assert client.get(reverse("admin:index")).status_code == 403, role
        for label, name, page, url in pages:
            status = client.get(url).status_code
            assert status == 403, (role, label, name, page, status)


def test_configuration_roles_walk_every_page_without_errors(client, staff):
    pages = _pages()
    for role in ("hq_officer", "sysadmin_hq", "sysadmin_a", "auditor"):
        client.force_login(staff[role])
        assert client.get(reverse("admin:index")).status_code == 200, role
        for label, name, page, url in pages:
            response = client.get(url)
            status = response.status_code
            if status == 302:
                # A record outside the user's branch looks like one that does not exist.
                assert page == "change", (role, label, name, page)
                assert response["Location"] == reverse("admin:index")
                continue
            assert status in (200, 403), (role, label, name, page, status)


EDITS = {
    # The HQ officer holds the model permissions of complaints, reports, privacy and watch.
    "hq_officer": CONFIGURATION - {("auth", "group"), ("language", "classifiermodel")},
    # The administrator holds taxonomies, policies, the calendar and the roles.
    "sysadmin_hq": {
        ("complaints", "taxonomyterm"),
        ("complaints", "deadlinepolicy"),
        ("complaints", "calendarday"),
        ("auth", "group"),
    },
}


@pytest.mark.parametrize("role", sorted(EDITS))
def test_head_office_configuration_roles_edit_configuration(client, staff, role):
    client.force_login(staff[role])
    seen = set()
    for label, name, page, url in _pages():
        if (label, name) not in EDITS[role] or page != "change":
            continue
        response = client.get(url)
        assert response.status_code == 200, (role, name)
        assert 'name="_save"' in response.content.decode(), (role, name)
        seen.add((label, name))
    assert seen == EDITS[role]


def test_branch_administrator_only_reads_configuration(client, staff):
    client.force_login(staff["sysadmin_a"])
    for label, name, page, url in _pages():
        if (label, name) not in CONFIGURATION:
            continue
        response = client.get(url)
        if page == "add":
            assert response.status_code == 403, name
        elif response.status_code == 200:
            assert 'name="_save"' not in response.content.decode(), (name, page)


def _policy_form(policy: DeadlinePolicy, days: int) -> dict[str, Any]:
    return {
        "kind": policy.kind,
        "days": days,
        "working_days": "on" if policy.working_days else "",
        "roll_over_holidays": "on" if policy.roll_over_holidays else "",
        "extension_days": policy.extension_days,
        "max_extension_days": policy.max_extension_days,
    }


def test_branch_officer_cannot_change_the_legal_deadline(client, staff):
    """The hole: a branch officer moved the bank-wide 15-day policy to 60 days in the admin."""
    policy = DeadlinePolicy.objects.order_by("pk").first()
    before = policy.days
    url = reverse("admin:complaints_deadlinepolicy_change", args=[policy.pk])
    for role in ("officer_a", "sysadmin_a"):
        client.force_login(staff[role])
        response = client.post(url, _policy_form(policy, 60))
        assert response.status_code == 403, role
    policy.refresh_from_db()
    assert policy.days == before


def test_configuration_change_is_audited_and_shown_to_head_office(client, staff):
    policy = DeadlinePolicy.objects.order_by("pk").first()
    url = reverse("admin:complaints_deadlinepolicy_change", args=[policy.pk])
    client.force_login(staff["hq_officer"])
    response = client.post(url, _policy_form(policy, policy.days + 1))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="deadlinepolicy.change", object_id=str(policy.pk))
    assert event.actor == staff["hq_officer"]
    assert event.unit.parent_id is None  # filed under head office
    assert event.data["days"] == str(policy.days + 1)

    audit_list = reverse("admin:audit_auditevent_changelist")
    page = client.get(audit_list + "?action=deadlinepolicy.change")
    assert page.status_code == 200
    assert "deadlinepolicy.change" in page.content.decode()
