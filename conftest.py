"""Project-wide fixtures: named roles in a small two-branch tree, and fast password hashing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from xiaobao.organisation import services
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Unit, User

PASSWORD = "correct-horse-battery-9"

# --- real-browser tests: Debian's chromium driven by Playwright ----------------------------------

CHROMIUM = "/usr/bin/chromium"
# `pytestmark = [*BROWSER_MARKS, …]` in a browser test module.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() or os.environ.get("XIAOBAO_BROWSER") == "0",
        reason="Debian's chromium is not installed (dev.py installs it; CI requires it)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop; Django must allow DB access from this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # seed_demo builds a year of complaints; tests that only need the institution use a few.
    settings.XIAOBAO_DEMO_CASES = 25


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    call_command("compile_translations")


@dataclass
class Org:
    """A head office with branches A and B, each with a sub-branch and an outlet."""

    hq: Unit
    branch_a: Unit
    sub_a: Unit
    outlet_a: Unit
    branch_b: Unit
    sub_b: Unit
    outlet_b: Unit


def build_org() -> Org:
    """The two-branch tree, for fixtures of any scope."""
    hq = services.unit_create(
        actor=None, code="HQ", name="测试银行总行", kind=UnitKind.HEAD_OFFICE, parent=None
    )
    units = {"hq": hq}
    for letter in ("a", "b"):
        branch = services.unit_create(
            actor=None,
            code=f"BR-{letter}",
            name=f"{letter.upper()}分行",
            kind=UnitKind.BRANCH,
            parent=hq,
        )
        sub = services.unit_create(
            actor=None,
            code=f"SUB-{letter}",
            name=f"{letter.upper()}支行",
            kind=UnitKind.SUB_BRANCH,
            parent=branch,
        )
        outlet = services.unit_create(
            actor=None,
            code=f"OUT-{letter}",
            name=f"{letter.upper()}网点",
            kind=UnitKind.OUTLET,
            parent=sub,
        )
        units |= {f"branch_{letter}": branch, f"sub_{letter}": sub, f"outlet_{letter}": outlet}
    return Org(**units)


@pytest.fixture
def org(db) -> Org:
    return build_org()


def create_user(username: str, unit: Unit, role: str, **extra) -> User:
    return services.user_create(
        actor=None, username=username, password=PASSWORD, unit=unit, roles=[role], **extra
    )


@pytest.fixture
def make_user(db):
    return create_user


@dataclass
class People:
    hq_officer: User
    auditor: User
    officer_a: User
    head_a: User
    handler_a: User
    outlet_handler_a: User
    officer_b: User
    handler_b: User


def build_people(org: Org) -> People:
    """The named roles, for fixtures of any scope."""
    return People(
        hq_officer=create_user("hq_officer", org.hq, Role.HQ_CP_OFFICER),
        auditor=create_user("auditor", org.hq, Role.AUDITOR, is_staff=True),
        officer_a=create_user("officer_a", org.branch_a, Role.BRANCH_CP_OFFICER),
        head_a=create_user("head_a", org.branch_a, Role.UNIT_HEAD),
        handler_a=create_user("handler_a", org.sub_a, Role.HANDLER),
        outlet_handler_a=create_user("outlet_handler_a", org.outlet_a, Role.HANDLER),
        officer_b=create_user("officer_b", org.branch_b, Role.BRANCH_CP_OFFICER),
        handler_b=create_user("handler_b", org.sub_b, Role.HANDLER),
    )


@pytest.fixture
def people(org) -> People:
    return build_people(org)


def load_migration_data() -> None:
    """Data the migrations load (taxonomies, policies), if a transactional flush removed it."""
    from importlib import import_module

    from django.apps import apps

    from xiaobao.complaints.models import TaxonomyTerm
    from xiaobao.watch.models import Threshold

    if not TaxonomyTerm.objects.exists():
        import_module("xiaobao.complaints.migrations.0002_load_defaults").load(apps, None)
        import_module("xiaobao.privacy.migrations.0002_default_retention").load(apps, None)
    if not Threshold.objects.exists():
        import_module("xiaobao.watch.migrations.0002_default_thresholds").load(apps, None)


@pytest.fixture
def migration_data(transactional_db):
    """Data the migrations load (taxonomies, policies), reloaded after a transactional flush.

    Transactional tests (browser, PostgreSQL concurrency) end with a flush that empties every
    table; Django's post_migrate signal re-creates groups and permissions, but data migrations
    do not run again, so tests that need them ask for this fixture.
    """
    load_migration_data()


@pytest.fixture(autouse=True)
def _default_language():
    """A test client request in English leaves English active in the thread (LocaleMiddleware
    does not reset it); domain error messages are translated when read, so every test starts
    from the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
