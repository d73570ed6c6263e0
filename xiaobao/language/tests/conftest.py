"""Fixtures for the language tests: a registration factory, indexing, the shared data files, and
labelled cases with a small trained classifier."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from xiaobao.complaints import services
from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint
from xiaobao.language.choices import Target
from xiaobao.language.classifier import classifier_train
from xiaobao.language.services import search_document_update
from xiaobao.privacy.redaction import id_check_char

ID_17 = "11010519491231002"
VALID_ID = ID_17 + id_check_char(ID_17)
PHONE = "13800138000"

# The labelled third-party files live beside the repository (or beside the folder of worktrees
# that holds it) and are never copied into it.
SHARED_DATA = next(
    (
        folder / "shared" / "data"
        for folder in Path(settings.BASE_DIR).parents
        if (folder / "shared" / "data").is_dir()
    ),
    Path(settings.BASE_DIR).parent / "shared" / "data",
)
GOV_MESSAGES = SHARED_DATA / "cn_gov_messages_labeled_sample__tipdm2020_att2.csv"
BANK_COMMENTS = SHARED_DATA / "cn_bank_product_comments__bdci2021_dev.csv"
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


# --- labelled cases and a trained classifier -----------------------------------------------------

TOPICS = {
    "CARD_CREDIT": ("PRICING", "REFUND", ["信用卡年费", "信用卡分期手续费", "信用卡取现利息"]),
    "LOAN_MORTGAGE": ("RULES", "CORRECT_RECORD", ["房贷提前还款", "房贷征信逾期", "房贷利率调整"]),
    "WEALTH": ("MARKETING", "COMPENSATION", ["理财产品亏损", "理财经理承诺保本", "理财赎回延迟"]),
}
PHRASES = ["客户来电反映", "客户到网点反映", "客户通过12345反映", "客户书面投诉"]


@pytest.fixture
def closed_cases(register):
    """Closed, classified cases on three topics; returns a factory."""
    rng = random.Random(7)

    def make(n_per_topic: int, *, ended_days_ago: int, wrong: bool = False) -> list[Complaint]:
        made = []
        codes = list(TOPICS)
        for i, (category, (_cause, _demand, subjects)) in enumerate(TOPICS.items()):
            label = codes[(i + 1) % len(codes)] if wrong else category
            for _ in range(n_per_topic):
                subject = rng.choice(subjects)
                made.append(
                    register(
                        index=False,
                        title=f"{subject}问题",
                        narrative=f"{rng.choice(PHRASES)}{subject}，{rng.choice(subjects)}，要求处理。",
                        business_category=label,
                        cause=TOPICS[label][0],
                        demands=[TOPICS[label][1]],
                        complainants=[person(id_number="", phone="0571-87654321")],
                    )
                )
        Complaint.objects.filter(pk__in=[c.pk for c in made]).update(
            status=Status.CLOSED, ended_at=timezone.now() - timedelta(days=ended_days_ago)
        )
        return made

    return make


@pytest.fixture
def trained_classifier(closed_cases) -> None:
    """A small active model per target, trained by the project's own training function on a
    handful of closed cases (five per topic; the default minimum is meant for real registries)."""
    closed_cases(5, ended_days_ago=10)
    for target in Target:
        result = classifier_train(target=target, min_cases=10)
        assert result.outcome == "activated", result.message
