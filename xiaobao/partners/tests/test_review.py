"""Agreements go to consumer-protection pre-review (products) and the conclusion comes back
through `products.hooks.on_review_concluded("partners.agreement")`."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD
from xiaobao.api.services import api_token_create
from xiaobao.audit.models import RecordEvent
from xiaobao.lib.errors import InvalidTransitionError
from xiaobao.partners import services
from xiaobao.partners.models import Agreement
from xiaobao.partners.tests.conftest import ALL_CLAUSES, pdf
from xiaobao.products import services as products
from xiaobao.products.models import Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(people, partner) -> Agreement:
    return services.agreement_create(
        actor=people.hq_officer,
        partner=partner,
        data=services.AgreementData(
            number="HZ-2026-009",
            title="助贷合作协议",
            starts_on=date(2026, 1, 1),
            ends_on=date(2028, 12, 31),
            clauses=ALL_CLAUSES,
            data_scope="客户姓名、手机号",
        ),
    )


def _events(agreement, action):
    return RecordEvent.objects.filter(
        content_type__model="agreement", object_id=agreement.pk, action=action
    )


def test_submitted_reviewed_and_the_conclusion_recorded_on_the_agreement(people, agreement):
    review = services.agreement_submit_review(
        actor=people.hq_officer, agreement=agreement, documents=[pdf("协议.pdf")]
    )
    assert review.object_type == "partner_agreement"
    assert review.subject == agreement
    assert "消保条款齐全" in review.summary
    agreement.refresh_from_db()
    assert agreement.review_ref == review.number and agreement.review_result == ""
    with pytest.raises(InvalidTransitionError) as exc:
        services.agreement_sign(actor=people.hq_officer, agreement=agreement)
    assert exc.value.code == "review_pending"
    with pytest.raises(InvalidTransitionError):
        services.agreement_submit_review(actor=people.hq_officer, agreement=agreement)

    products.review_conclude(
        actor=people.hq_officer, review=review, conclusion="not_passed", note="催收条款表述不清"
    )
    agreement.refresh_from_db()
    assert agreement.review_result == "not_passed"
    assert agreement.review_conclusion == "不通过：催收条款表述不清"
    assert _events(agreement, "review_concluded").count() == 1
    with pytest.raises(InvalidTransitionError) as exc:
        services.agreement_sign(actor=people.hq_officer, agreement=agreement)
    assert exc.value.code == "review_not_passed"

    # Revised and sent again: passed, then it can be signed.
    again = services.agreement_submit_review(actor=people.hq_officer, agreement=agreement)
    assert again.number != review.number
    products.review_conclude(actor=people.hq_officer, review=again, conclusion="passed")
    agreement.refresh_from_db()
    assert (agreement.review_ref, agreement.review_result) == (again.number, "passed")
    signed = services.agreement_sign(actor=people.hq_officer, agreement=agreement)
    assert signed.status == "effective"
    assert _events(agreement, "review_concluded").count() == 2


def test_a_failing_record_rolls_the_conclusion_back(people, agreement, monkeypatch):
    """The conclusion and its record on the agreement are one transaction."""
    review = services.agreement_submit_review(actor=people.hq_officer, agreement=agreement)

    def boom(**kwargs):
        raise RuntimeError("listener failed")

    monkeypatch.setattr(Agreement, "save", lambda self, **kw: boom())
    with pytest.raises(RuntimeError):
        products.review_conclude(actor=people.hq_officer, review=review, conclusion="passed")
    monkeypatch.undo()
    review.refresh_from_db()
    assert review.conclusion == "" and review.status == "submitted"


def test_submit_through_the_api_and_the_page(client, people, agreement, partner):
    _, raw = api_token_create(actor=None, owner=people.hq_officer, name="测试")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    created = api.post(
        f"/api/v1/partners/agreements/{agreement.pk}/review/",
        {"document": pdf("协议.pdf"), "summary": "新签"},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    number = created.json()["review"]
    assert Review.objects.get(number=number).documents.count() == 1
    again = api.post(f"/api/v1/partners/agreements/{agreement.pk}/review/", {}, format="multipart")
    assert again.status_code == 409
    refused = api.post(f"/api/v1/partners/agreements/{agreement.pk}/sign/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "review_pending"
    # A branch handler may not submit head office's agreement.
    assert client.login(username="handler_a", password=PASSWORD)
    response = client.post(f"/partners/agreements/{agreement.pk}/review/")
    assert response.status_code == 404
    client.logout()
    assert client.login(username="hq_officer", password=PASSWORD)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert f"消保审查中 {number}" in page
