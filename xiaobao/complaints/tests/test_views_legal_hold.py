"""Legal holds and deletion requests that meet a case, through the pages and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.complaints.tests.conftest import VALID_ID, at
from xiaobao.privacy import services as privacy

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


def test_a_deletion_under_retention_is_refused_by_the_page(client, notified, people, org, frozen):
    frozen(at(2026, 1, 20, 10))
    item = privacy.dsr_register(
        actor=people.officer_a,
        unit=org.branch_a,
        kind="delete",
        subject_name="张伟",
        details="删除我的信息",
        received_at=at(2026, 1, 20, 9),
        id_number=VALID_ID,
    )
    client.force_login(people.officer_a)
    response = client.post(
        reverse("privacy:request_detail", args=[item.pk]),
        {"status": "fulfilled", "answer": "已删除"},
    )
    assert response.status_code == 400 and "限制处理" in response.content.decode()


def test_legal_hold_from_the_case_page_and_the_api_and_retention_skips_it(
    client, client_for, register, people, frozen
):
    from xiaobao.complaints import services
    from xiaobao.complaints.models import Complaint

    frozen(at(2022, 3, 1, 11))
    case = register(received_at=at(2022, 3, 1, 10))
    services.complaint_withdraw(
        actor=people.handler_a, complaint=case, received_at=at(2022, 3, 1, 10, 30)
    )
    other = register(received_at=at(2022, 3, 1, 10), title="另一件")
    services.complaint_withdraw(
        actor=people.handler_a, complaint=other, received_at=at(2022, 3, 1, 10, 30)
    )
    frozen(at(2026, 1, 5, 11))
    client.force_login(people.auditor)
    url = reverse("complaints:action", args=[case.pk, "legal_hold"])
    assert client.post(url, {"legal_hold-hold": "set", "legal_hold-reason": "x"}).status_code == 403
    client.force_login(people.officer_a)
    response = client.post(url, {"legal_hold-hold": "set", "legal_hold-reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"legal_hold-hold": "set", "legal_hold-reason": "客户已起诉"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.legal_hold and case.events.filter(action="legal_hold").exists()
    # The API sets one on the other case, and lifts it again: audited on the timeline.
    api = client_for(people.officer_a)
    path = f"/api/v1/complaints/{other.pk}/legal-hold/"
    assert api.post(path, {"hold": True, "reason": "仲裁中"}, format="json").json()["legal_hold"]
    response = api.post(path, {"hold": False, "reason": "仲裁结束"}, format="json")
    assert response.status_code == 200 and response.json()["legal_hold"] is False
    assert (
        client_for(people.auditor)
        .post(path, {"hold": True, "reason": "x"}, format="json")
        .status_code
        == 403
    )
    result = privacy.retention_run()
    assert result["complaints"]["held"] == 1 and result["complaints"]["anonymised"] == 1
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.anonymised_at is None and other.anonymised_at is not None
    assert Complaint.objects.get(pk=other.pk).events.filter(action="legal_hold_release").exists()
