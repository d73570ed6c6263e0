"""Fixtures for the outreach tests: a published campaign, real photos and an activity factory."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.outreach import services
from xiaobao.outreach.choices import CampaignKind, CampaignStatus
from xiaobao.outreach.models import Activity, Campaign


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _topics(django_db_blocker):
    """The default topics, even after a transactional (browser) test flushed them."""
    from importlib import import_module

    from django.apps import apps

    with django_db_blocker.unblock():
        import_module("xiaobao.outreach.migrations.0001_initial").load(apps, None)


def photo(name: str = "p.jpg", seed: int = 1, quality: int = 90) -> SimpleUploadedFile:
    """A real JPEG of random grey blocks: another seed is another picture."""
    rng = random.Random(seed)
    image = Image.new("RGB", (96, 96))
    for bx in range(0, 96, 12):
        for by in range(0, 96, 12):
            shade = rng.randrange(256)
            image.paste((shade, rng.randrange(256), shade), (bx, by, bx + 12, by + 12))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


_seeds = iter(range(1000, 100000))


def photos(n: int = 2) -> list[SimpleUploadedFile]:
    """`n` different photos, never used before in this test run."""
    return [photo(f"p{i}.jpg", seed=next(_seeds)) for i in range(n)]


def yesterday() -> datetime:
    return (clock_now() - timedelta(days=1)).astimezone(TZ).replace(microsecond=0)


@pytest.fixture
def campaign(people, org) -> Campaign:
    today = date.today()
    created = services.campaign_create(
        actor=people.hq_officer,
        data=services.CampaignData(
            name="3·15金融消费者权益保护教育宣传周",
            kind=CampaignKind.WEEK_315,
            unit=org.hq,
            starts_on=today - timedelta(days=5),
            ends_on=today + timedelta(days=2),
            report_deadline=today + timedelta(days=5),
        ),
    )
    return services.campaign_advance(
        actor=people.hq_officer, campaign=created, to=CampaignStatus.PUBLISHED
    )


ActivityFactory = Callable[..., Activity]


@pytest.fixture
def make_activity(people, org) -> ActivityFactory:
    """An activity recorded by the outlet (draft unless `status` says submitted/approved)."""

    def make(
        *,
        actor: Any = None,
        unit: Any = None,
        status: str = "draft",
        n_photos: int = 2,
        approver: Any = None,
        **fields: Any,
    ) -> Activity:
        actor = actor or people.outlet_handler_a
        defaults: dict[str, Any] = {
            "title": "反诈宣传进社区",
            "form": "community",
            "unit": unit or org.outlet_a,
            "starts_at": yesterday(),
            "staff_count": 3,
            "audience_count": 40,
            "counting_method": "sign_in",
            "no_marketing": True,
        }
        activity = services.activity_create(
            actor=actor,
            data=services.ActivityData(**(defaults | fields)),
            photos=photos(n_photos),
        )
        if status in ("submitted", "approved"):
            activity = services.activity_submit(actor=actor, activity=activity)
        if status == "approved":
            activity = services.activity_approve(
                actor=approver or people.officer_a, activity=activity
            )
        return activity

    return make
