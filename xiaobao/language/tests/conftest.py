"""Fixtures for the language tests: a registration factory, indexing, and the shared data files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.language.services import search_document_update
from xiaobao.privacy.redaction import id_check_char

ID_17 = "11010519491231002"
VALID_ID = ID_17 + id_check_char(ID_17)
PHONE = "13800138000"

# The labelled third-party files live beside the repository and are never copied into it.
SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
GOV_MESSAGES = SHARED_DATA / "cn_gov_messages_labeled_sample__tipdm2020_att2.csv"
GOV_MESSAGES_XLSX = SHARED_DATA / "cn_gov_messages_labeled_sample__tipdm2020_att2.original.xlsx"


def shared_file(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data file missing: {path} (see ../shared/data/README.md)")
    return path


def person(**overrides: Any) -> services.ComplainantData:
    data: dict[str, Any] = {"name": "张伟", "id_number": VALID_ID, "phone": PHONE}
    data.update(overrides)
    return services.ComplainantData(**data)


@pytest.fixture
def register(org, people) -> Callable[..., Complaint]:
    """Register a case (by default in sub-branch A) and index it at once."""

    def make(*, index: bool = True, **overrides: Any) -> Complaint:
        kwargs: dict[str, Any] = {
            "actor": people.handler_a,
            "unit": org.sub_a,
            "received_at": timezone.now() - timedelta(hours=1),
            "intake_channel": "COUNTER",
            "title": "信用卡年费未告知即扣收",
            "narrative": "客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
            "complainants": [person()],
            "demands": ["REFUND"],
            "business_channel": "COUNTER",
            "business_category": "CARD_CREDIT",
            "cause": "PRICING",
        }
        kwargs.update(overrides)
        complaint = services.complaint_register(**kwargs)
        if index:
            search_document_update(complaint_id=complaint.pk)
        return complaint

    return make
