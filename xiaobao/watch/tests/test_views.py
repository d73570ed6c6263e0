"""The inbox through HTTP: own notices only, unread counts, mark read by POST, preferences."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from xiaobao.watch.context_processors import inbox as inbox_context
from xiaobao.watch.models import Notification, NotificationPreference

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(accepted, register, staff, org, sweep_at, frozen):
    """A 50% notice for handler_a (branch A) and one for handler_b (branch B)."""
    frozen(at(2026, 1, 5, 11))
    register(unit=org.sub_b, actor=staff.handler_b, handler=staff.handler_b, title="B行的投诉")
    sweep_at(at(2026, 1, 13, 10))
    return {
        "a": Notification.objects.get(recipient=staff.handler_a),
        "b": Notification.objects.get(recipient=staff.handler_b),
    }


def test_the_inbox_lists_only_the_users_own_notices(client, notices, staff):
    client.force_login(staff.handler_a)
    page = client.get(reverse("watch:inbox")).content.decode()
    assert notices["a"].title in page and notices["b"].title not in page
    assert "1 条未读" in page and "标为已读" in page


def test_head_office_does_not_see_other_peoples_notices_either(client, notices, staff):
    client.force_login(staff.hq_officer)
    page = client.get(reverse("watch:inbox")).content.decode()
    assert notices["a"].title not in page and "暂无通知" in page


def test_marking_read_takes_a_post_and_lowers_the_count(client, notices, staff):
    client.force_login(staff.handler_a)
    url = reverse("watch:mark_read", args=[notices["a"].pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": reverse("watch:inbox") + "?show=unread"})
    assert response.status_code == 302 and response["Location"].endswith("?show=unread")
    notices["a"].refresh_from_db()
    assert notices["a"].read_at == at(2026, 1, 13, 10)
    page = client.get(reverse("watch:inbox") + "?show=unread").content.decode()
    assert "没有未读通知" in page


def test_someone_elses_notice_in_another_branch_is_a_404(client, notices, staff):
    client.force_login(staff.handler_a)
    response = client.post(reverse("watch:mark_read", args=[notices["b"].pk]))
    assert response.status_code == 404
    notices["b"].refresh_from_db()
    assert notices["b"].read_at is None


def test_even_a_superior_cannot_mark_a_subordinates_notice(client, notices, staff):
    client.force_login(staff.officer_a)  # branch A sees the case, but the notice is not theirs
    response = client.post(reverse("watch:mark_read", args=[notices["a"].pk]))
    assert response.status_code == 404


def test_marking_read_needs_the_csrf_token(notices, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.handler_a)
    response = client.post(reverse("watch:mark_read", args=[notices["a"].pk]))
    assert response.status_code == 403


def test_an_unsafe_next_is_ignored(client, notices, staff):
    client.force_login(staff.handler_a)
    response = client.post(reverse("watch:mark_all_read"), {"next": "https://evil.example.com/"})
    assert response["Location"] == reverse("watch:inbox")
    assert Notification.objects.filter(recipient=staff.handler_a, read_at=None).count() == 0


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("watch:inbox"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_unread_count_context_processor(rf, notices, staff):
    request = rf.get("/")
    request.user = staff.handler_a
    assert inbox_context(request)["watch_unread"] == 1
    request.user = staff.officer_b
    assert inbox_context(request)["watch_unread"] == 0


def test_preferences_are_saved(client, staff):
    client.force_login(staff.handler_a)
    page = client.get(reverse("watch:preferences")).content.decode()
    assert "每日汇总" in page and "电子邮件" in page
    response = client.post(
        reverse("watch:preferences"), {"channels": ["email", "sms"], "daily_digest": "on"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=staff.handler_a)
    assert pref.channels == ["email", "sms"] and pref.daily_digest


def test_a_digest_without_email_is_refused_with_a_form_error(client, staff):
    client.force_login(staff.handler_a)
    response = client.post(
        reverse("watch:preferences"), {"channels": ["sms"], "daily_digest": "on"}
    )
    assert response.status_code == 200
    assert "须同时选择电子邮件渠道" in response.content.decode()
    assert not NotificationPreference.objects.exists()
