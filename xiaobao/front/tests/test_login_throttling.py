"""Login throttling per account and per address, administrator unlock, and the login audit."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from xiaobao.audit.models import AuditEvent
from xiaobao.organisation.choices import Role

LOGIN = "front:login"


def _login(client, username, password, address="10.1.1.1"):
    # A fresh browser each time: a signed-in client is redirected away from the login page.
    client = Client()
    return client.post(
        reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_account_even_with_the_right_one(client, people):
    """The hole: 90 wrong passwords, then the right one worked."""
    for _ in range(4):
        assert _login(client, "handler_a", "wrong-password-1").status_code == 200
    # The fifth failure locks the account: from then on even the right password is refused.
    assert _login(client, "handler_a", "wrong-password-1").status_code == 429
    locked = _login(client, "handler_a", PASSWORD)
    assert locked.status_code == 429
    assert "登录已暂停" in locked.content.decode()
    # Per account: another address is locked out of this account as well.
    assert _login(client, "handler_a", PASSWORD, address="10.9.9.9").status_code == 429
    # Other accounts from another address still work.
    assert _login(client, "handler_b", PASSWORD, address="10.9.9.9").status_code == 302


def test_one_address_guessing_many_accounts_is_locked(client, people):
    for name in ("handler_a", "handler_b", "officer_a", "officer_b", "head_a"):
        _login(client, name, "wrong-password-1", address="10.2.2.2")
    # The address is spent: even a right password for a fresh account is refused from it.
    assert _login(client, "hq_officer", PASSWORD, address="10.2.2.2").status_code == 429
    assert _login(client, "hq_officer", PASSWORD, address="10.3.3.3").status_code == 302


def test_every_login_is_audited(client, people):
    _login(client, "handler_a", PASSWORD)
    _login(client, "handler_a", "wrong-password-1")
    _login(client, "nobody-here", "wrong-password-1")
    for _ in range(5):
        _login(client, "officer_b", "wrong-password-1", address="10.4.4.4")
    events = AuditEvent.objects.filter(action__startswith="login.")
    success = events.get(action="login.success")
    assert success.actor == people.handler_a and success.unit == people.handler_a.unit
    assert success.data["address"] == "10.1.1.1"
    failures = events.filter(action="login.failure")
    assert failures.filter(summary="handler_a").count() == 1
    unknown = failures.get(summary="nobody-here")
    assert unknown.unit.parent_id is None and unknown.data["known_account"] is False
    lockout = events.get(action="login.lockout")
    assert lockout.summary == "officer_b" and lockout.unit == people.officer_b.unit


@pytest.fixture
def sysadmin(org, make_user):
    return make_user("sysadmin", org.hq, Role.SYSADMIN)


def test_administrator_unlocks_in_the_admin(client, people, sysadmin):
    for _ in range(5):
        _login(client, "handler_a", "wrong-password-1")
    assert _login(client, "handler_a", PASSWORD).status_code == 429
    attempts = AccessAttempt.objects.filter(username="handler_a")
    assert attempts.exists()

    admin_client = client.__class__()
    admin_client.force_login(sysadmin)
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "handler_a" in listing.content.decode()
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="handler_a").exists()
    # The unlock is in the audit log: who lifted it, for which account, under its unit.
    unlock = AuditEvent.objects.get(action="login.unlock")
    assert unlock.actor == sysadmin and unlock.summary == "handler_a"
    assert unlock.unit == people.handler_a.unit and unlock.data["known_account"] is True
    assert _login(client, "handler_a", PASSWORD, address="10.1.1.1").status_code == 302


def test_unlocking_one_attempt_is_audited(client, people, sysadmin):
    for _ in range(5):
        _login(client, "officer_b", "wrong-password-1")
    attempt = AccessAttempt.objects.get(username="officer_b")
    admin_client = client.__class__()
    admin_client.force_login(sysadmin)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert (
        AuditEvent.objects.filter(
            action="login.unlock", actor=sysadmin, summary="officer_b"
        ).count()
        == 1
    )


def test_workbench_roles_cannot_unlock(client, people):
    client.force_login(people.officer_a)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
