"""Personal-information requests through the pages and the API: own clock, audited, scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.tests.conftest import PHONE, at
from xiaobao.privacy.models import DataSubjectRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    from rest_framework.test import APIClient

    from xiaobao.api.services import api_token_create

    def make(user):
        _, raw = api_token_create(actor=None, owner=user, name="测试")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return make


def test_register_and_answer_a_request_on_its_own_clock(client, people, org, time_machine):
    time_machine.move_to(at(2026, 3, 2, 10), tick=False)
    client.force_login(people.officer_a)
    url = reverse("privacy:requests")
    response = client.post(
        url,
        {
            "unit": org.branch_a.pk,
            "kind": "access",
            "subject_name": "张伟",
            "details": "",
            "received_at": "2026-03-02T09:00",
        },
    )
    assert response.status_code == 400 and DataSubjectRequest.objects.count() == 0
    response = client.post(
        url,
        {
            "unit": org.branch_a.pk,
            "kind": "access",
            "subject_name": "张伟",
            "phone": PHONE,
            "details": "要求查阅我行保存的本人信息",
            "received_at": "2026-03-02T09:00",
        },
    )
    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert str(request.due_date) == "2026-03-17"  # 15 days from receipt, its own clock
    page = client.get(url).content.decode()
    assert "2026-03-17" in page and PHONE not in page and "张伟" not in page  # masked
    time_machine.move_to(at(2026, 3, 20, 10), tick=False)
    client.force_login(people.officer_a)  # a new working day, a new session
    page = client.get(reverse("privacy:request_detail", args=[request.pk])).content.decode()
    assert "已超期" in page
    response = client.post(
        reverse("privacy:request_detail", args=[request.pk]),
        {"status": "fulfilled", "answer": "已向申请人提供查阅"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "fulfilled"
    audit = list(
        AuditEvent.objects.filter(action__startswith="dsr.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert audit == ["dsr.register", "dsr.answer"]
    # Other branches neither see nor answer it; an auditor reads but cannot act.
    client.force_login(people.officer_b)
    assert client.get(reverse("privacy:request_detail", args=[request.pk])).status_code == 404
    client.force_login(people.auditor)
    response = client.post(
        reverse("privacy:request_detail", args=[request.pk]),
        {"status": "refused", "answer": "x"},
    )
    assert response.status_code == 403


def test_requests_through_the_api(client_for, people, org, time_machine):
    time_machine.move_to(at(2026, 3, 2, 10), tick=False)
    api = client_for(people.officer_a)
    response = api.post(
        "/api/v1/privacy-requests/",
        {
            "unit": "BR-a",
            "kind": "correct",
            "subject_name": "张伟",
            "phone": PHONE,
            "details": "更正地址",
            "received_at": "2026-03-02T09:00:00+08:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["due_date"] == "2026-03-17" and data["subject_phone"] != PHONE
    response = api.post(
        f"/api/v1/privacy-requests/{data['id']}/answer/",
        {"status": "fulfilled", "answer": "已更正"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "fulfilled"
    response = client_for(people.officer_b).post(
        f"/api/v1/privacy-requests/{data['id']}/answer/",
        {"status": "refused", "answer": "x"},
        format="json",
    )
    assert response.status_code == 404
    response = client_for(people.handler_a).post(
        "/api/v1/privacy-requests/",
        {
            "unit": "SUB-a",
            "kind": "access",
            "subject_name": "李四",
            "phone": "13900139000",
            "details": "查阅",
            "received_at": "2026-03-02T09:00:00+08:00",
        },
        format="json",
    )
    assert response.status_code == 403
