"""Fixtures for the partner-list tests: valid credit codes, partners in each status, complaints."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xiaobao.complaints.services import ComplainantData, complaint_register
from xiaobao.partners import services
from xiaobao.partners.choices import Clause, Criterion
from xiaobao.partners.creditcode import check_character
from xiaobao.partners.models import Partner


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


_serial = itertools.count(100001)


def credit_code() -> str:
    """A valid, never used 统一社会信用代码."""
    first17 = f"91330100MA2{next(_serial):06d}"
    return first17 + check_character(first17)


def pdf(name: str = "proof.pdf", text: str = "confirmed") -> SimpleUploadedFile:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {text} {next(_serial)}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


ALL_MET = {c: True for c in Criterion.values}
ALL_CLAUSES = list(Clause.values)

PartnerFactory = Callable[..., Partner]


@pytest.fixture
def make_partner(people, org) -> PartnerFactory:
    """A partner owned by head office, allowed to branch A; `status` listed admits it."""

    def make(*, status: str = "proposed", name: str = "杭州某助贷科技有限公司", **fields: Any):
        data = services.PartnerData(
            **(
                {
                    "name": name,
                    "credit_code": credit_code(),
                    "type": "loan_assist",
                    "unit": org.hq,
                    "business_lines": ["个人消费贷款"],
                    "allowed_units": [org.branch_a],
                }
                | fields
            )
        )
        partner = services.partner_create(actor=people.hq_officer, data=data)
        if status != "proposed":
            services.admission_decide(
                actor=people.hq_officer,
                partner=partner,
                criteria=ALL_MET,
                cp_opinion="消保审查通过。",
                decision="approved",
            )
        if status in ("watch", "suspended"):
            services.partner_transition(
                actor=people.hq_officer, partner=partner, to=status, reason="投诉上升"
            )
        partner.refresh_from_db()
        return partner

    return make


@pytest.fixture
def partner(make_partner) -> Partner:
    return make_partner(status="listed")


@pytest.fixture
def make_case(people, org) -> Callable[..., Any]:
    """A complaint registered by branch A's sub-branch, received `days` ago."""

    def make(*, days: int = 10, unit: Any = None, actor: Any = None, title: str = "助贷收费不透明"):
        return complaint_register(
            actor=actor or people.handler_a,
            unit=unit or org.sub_a,
            received_at=timezone.now() - timedelta(days=days),
            intake_channel="HOTLINE",
            title=title,
            narrative="客户称通过合作平台办理贷款时被收取服务费，未被告知。",
            complainants=[ComplainantData(name="张三", phone="13800000000")],
            demands=["REFUND"],
            business_channel="COUNTER",
            business_category="CARD_CREDIT",
            cause="PRICING",
        )

    return make


def period() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=90), today
