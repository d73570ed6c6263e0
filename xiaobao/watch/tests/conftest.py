"""Fixtures for the watch: the complaint fixtures, staff with e-mail addresses, a sweep at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.core import mail

from xiaobao.complaints.tests.conftest import (  # noqa: F401 - fixtures re-exported for pytest
    PHONE,
    VALID_ID,
    accepted,
    at,
    decided,
    frozen,
    more_people,
    notified,
    person,
    register,
)
from xiaobao.jobs.services import run_pending
from xiaobao.organisation.models import User
from xiaobao.watch.sweep import SweepReport, sweep


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.XIAOBAO_QUEUE = "database"
    settings.XIAOBAO_WATCH = {"BASE_URL": "https://xiaobao.test"}


@pytest.fixture
def staff(people):
    """The named people, each with a work e-mail and an office phone."""
    for i, user in enumerate(User.objects.all()):
        user.email = f"{user.username}@bank.test"
        user.phone = f"1390000{i:04d}"
        user.save(update_fields=["email", "phone"])
    for name in vars(people):
        getattr(people, name).refresh_from_db()
    return people


@pytest.fixture
def sweep_at(frozen) -> Callable[[datetime], SweepReport]:  # noqa: F811
    """Freeze the clock at `moment`, run one sweep pass, and return its report."""

    def run(moment: datetime) -> SweepReport:
        frozen(moment)
        return sweep()

    return run


@pytest.fixture
def send_at(frozen) -> Callable[[datetime], int]:  # noqa: F811
    """Freeze the clock at `moment` and run every job that is due; returns e-mails sent."""

    def run(moment: datetime) -> int:
        frozen(moment)
        before = len(mail.outbox)
        run_pending(limit=10_000)
        return len(mail.outbox) - before

    return run
