"""Smaller holes closed at the edge a user reaches: reveal reasons, referral dates, .txt uploads,
/media/, and the webhook-delivery filter of another branch."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from xiaobao.api.models import WebhookDelivery
from xiaobao.api.services import webhook_subscription_create
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.choices import Role

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reason", ["....", "    ", "!!!?", "。。。。。"])
def test_reveal_needs_a_real_reason_on_the_page_and_in_the_api(client, register, people, reason):
    complaint = register()
    person = complaint.complainants.get()
    client.force_login(people.handler_a)
    page = client.post(
        reverse("complaints:reveal", args=[complaint.pk]),
        {"complainant": person.pk, "field": "phone", "reason": reason},
    )
    assert page.status_code in (200, 400) and "须说明理由" in page.content.decode()
    api = APIClient()
    api.force_authenticate(people.handler_a)
    response = api.post(
        f"/api/v1/complaints/{complaint.pk}/complainants/{person.pk}/reveal/",
        {"field": "phone", "reason": reason},
        format="json",
    )
    assert response.status_code in (400, 422) and response.json()["field"] == "reason"


def _referral_channel() -> str:
    from xiaobao.complaints.choices import Axis
    from xiaobao.complaints.models import TaxonomyTerm

    terms = TaxonomyTerm.objects.filter(axis=Axis.INTAKE_CHANNEL, is_active=True)
    return next(t.code for t in terms if t.is_referral)


def test_referrer_date_of_year_one_is_refused(register):
    with pytest.raises(DomainError) as exc:
        register(
            intake_channel=_referral_channel(),
            external_ref="JR-2026-001",
            referrer_received_on=date(1, 1, 1),
        )
    assert exc.value.field == "referrer_received_on"


def test_referrer_date_through_the_api_is_a_400(people, org):
    api = APIClient()
    api.force_authenticate(people.handler_a)
    response = api.post(
        "/api/v1/complaints/",
        {
            "unit": org.sub_a.code,
            "received_at": at(2026, 1, 5, 10).isoformat(),
            "intake_channel": _referral_channel(),
            "external_ref": "JR-2026-001",
            "referrer_received_on": "0001-01-01",
            "title": "转办投诉",
            "narrative": "监管转办的投诉。",
            "level": "GENERAL",
            "complainants": [{"name": "张伟", "phone": "13800138000"}],
        },
        format="json",
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["field"] == "referrer_received_on"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def test_txt_attachments_must_be_text(client, accepted, people, media):
    client.force_login(people.handler_a)
    url = reverse("complaints:attachment_upload", args=[accepted.pk])
    binary = client.post(url, {"file": SimpleUploadedFile("说明.txt", b"MZ\x90\x00\x00\x01binary")})
    assert binary.status_code == 400 and "纯文本" in binary.content.decode()
    text = "客户来电说明：年费已退。".encode("gb18030")
    good = client.post(url, {"file": SimpleUploadedFile("说明.txt", text)})
    assert good.status_code in (200, 302)


def test_media_is_not_served_even_in_development(client, settings, people):
    settings.DEBUG = True
    assert client.get("/media/attachments/anything.pdf").status_code == 404


def test_webhook_delivery_filter_lists_only_the_users_subscriptions(client, org, make_user):
    webhook_subscription_create(
        actor=None, name="A分行客服", url="https://8.8.8.8/a", unit=org.branch_a
    )
    webhook_subscription_create(
        actor=None, name="B分行秘密系统", url="https://8.8.4.4/b", unit=org.branch_b
    )
    admin_a = make_user("admin_a", org.branch_a, Role.SYSADMIN, is_superuser=True)
    client.force_login(admin_a)
    page = client.get(reverse("admin:api_webhookdelivery_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A分行客服" in html and "B分行秘密系统" not in html
    assert WebhookDelivery.objects.count() == 0
