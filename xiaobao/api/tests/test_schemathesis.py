"""The whole REST API, property-tested from its own OpenAPI schema with schemathesis.

Every operation of the schema `/api/v1/schema/` serves gets generated requests (schemathesis's
coverage phase: boundary values, optional parts left out, every enum value, unexpected methods;
then its fuzzing phase, valid and invalid data), sent through the real WSGI application with the
token of a branch-A consumer-protection officer. Every response must not be a server error and
must match the schema: a documented status code, the documented content type and a body of the
documented shape. `XIAOBAO_API_FUZZ=full` adds the coverage phase's invalid variants (every field
with every wrong type: ~2,000 more requests) and 100 fuzzed examples per operation.

Made-up ids and codes name nothing, and an unknown case is a 404 before its body is even read, so
`_aim` points small ids at real cases (one in each state of the lifecycle) and placeholder codes
at real ones: the actions run for real and reach their 400s, 409s and 422s. Junk and huge ids stay
as generated (404s).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import People, build_org, build_people, load_migration_data
from xiaobao.api.services import IDEMPOTENCY_KEY_MAX, api_token_create
from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.complaints.tests.conftest import person
from xiaobao.organisation.models import Unit

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The state each action starts from: a made-up id 0 (the coverage phase's) is pointed at it.
STATE_FOR = {
    "accept": "registered",
    "decline": "registered",
    "resume": "paused",
    "approve": "extension",
    "reject": "extension",
    "notify": "decided",
    "close": "notified",
    "review": "notified",
    "follow-up": "closed",
}
# Codes the configuration holds; the generator's placeholders ("0", "00") are replaced by these.
REAL_CODES = {
    "unit": "SUB-a",
    "complained_unit": "OUT-a",
    "intake_channel": "HOTLINE",
    "business_channel": "COUNTER",
    "business_category": "CARD_CREDIT",
    "cause": "PRICING",
    "level": "NORMAL",
    "handler": "handler_a",
}
SMALL = 10**6
FULL = os.environ.get("XIAOBAO_API_FUZZ") == "full"


@dataclass
class World:
    cases: dict[str, Complaint]
    token: dict[str, str]


def _register(people: People, unit: Unit, actor: Any = None) -> Complaint:
    return services.complaint_register(
        actor=actor or people.handler_a,
        unit=unit,
        received_at=timezone.now() - timedelta(hours=3),
        intake_channel="HOTLINE",
        title="信用卡年费未告知即扣收",
        narrative="客户称其信用卡被扣收年费600元，办卡时未被告知年费标准，要求退还。",
        complainants=[person()],
        demands=["REFUND"],
        business_channel="COUNTER",
        business_category="CARD_CREDIT",
        cause="PRICING",
    )


def _lifecycle(org: Any, people: People) -> dict[str, Complaint]:
    """A case in each state of the lifecycle in branch A, and one in branch B (out of scope)."""
    handler = people.handler_a
    found = {"registered": _register(people, org.sub_a)}
    found["branch_b"] = _register(people, org.sub_b, actor=people.handler_b)
    for name in ("accepted", "paused", "extension", "decided", "notified", "closed"):
        found[name] = services.complaint_accept(
            actor=handler, complaint=_register(people, org.sub_a)
        )
    services.complaint_pause(
        actor=handler, complaint=found["paused"], reason="mediation", told_by="phone"
    )
    services.extension_request(
        actor=handler, complaint=found["extension"], target_days=30, reason="案情复杂，需调取录音。"
    )
    for name in ("decided", "notified", "closed"):
        services.complaint_decide(
            actor=handler,
            complaint=found[name],
            verified_facts="经核实，办卡时未书面告知年费标准。",
            outcome="upheld",
            basis="《信用卡领用合约》第五条",
            reasons="告知义务未履行。",
            routes=["review", "mediation", "litigation"],
        )
    for name in ("notified", "closed"):
        services.complaint_notify(
            actor=handler,
            complaint=Complaint.objects.get(pk=found[name].pk),
            method="phone",
            given_at=timezone.now() - timedelta(minutes=5),
            evidence="通话录音编号 REC-0031",
        )
    services.complaint_close(
        actor=handler,
        complaint=Complaint.objects.get(pk=found["closed"].pk),
        root_cause="告知流程缺失。",
        at_fault=False,
    )
    return {name: Complaint.objects.get(pk=c.pk) for name, c in found.items()}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for every operation, inside a transaction rolled back at the end; each test
    runs in a savepoint of it, so what one operation's examples change the next never sees."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        load_migration_data()
        org = build_org()
        people = build_people(org)
        # A branch-A consumer-protection officer: handles, assigns, approves 30-day extensions.
        _, raw = api_token_create(actor=None, owner=people.officer_a, name="schemathesis")
        yield World(_lifecycle(org, people), {"Authorization": f"Bearer {raw}"})
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    """The WSGI handler closes "old" connections when a request starts and ends, which would end
    the test's transaction; Django's test client switches that off around each request too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _config() -> Any:
    return schemathesis.Config.from_dict(
        {
            # The token is sent with every request; made-up credentials are test_auth's business.
            "generation": {"with-security-parameters": False},
            # Invalid data still comes from the fuzzing phase (see the module docstring).
            "phases": {"coverage": {"generation": {"mode": "all" if FULL else "positive"}}},
        }
    )


def _load_schema() -> Any:
    """The document `/api/v1/schema/` serves (test_the_served_schema_is_the_one_tested)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(generated)), config=_config()
    )
    loaded.app = WSGIHandler()
    return loaded


# Loaded at import, not through `schemathesis.pytest.from_fixture`: that one renames pytest
# items through `Node._nodeid`, which pytest 9.2 no longer has. The served document is the same
# (test_the_served_schema_is_the_one_tested).
schema = _load_schema()
_fresh = itertools.count()


def _small(value: Any) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() and int(text) < SMALL else None


def _aim(case: Any, cases: dict[str, Complaint]) -> None:
    """Point small made-up ids and placeholder codes at real things; leave junk alone."""
    params = case.path_parameters or {}
    path = case.operation.path
    if path.startswith("/api/v1/complaints/{id}") and (n := _small(params.get("id"))) is not None:
        action = path.rstrip("/").rsplit("/", 1)[-1]
        names = [STATE_FOR.get(action, "accepted"), *sorted(cases)]
        complaint = cases[names[n % len(names)]]
        if "extension_pk" in params:
            complaint = cases["extension"]
            params["extension_pk"] = complaint.extensions.values_list("pk", flat=True)[0]
        if "complainant_pk" in params:
            params["complainant_pk"] = complaint.complainants.values_list("pk", flat=True)[0]
        params["id"] = complaint.pk
    elif path == "/api/v1/taxonomies/{id}/" and (n := _small(params.get("id"))) is not None:
        pks = list(TaxonomyTerm.objects.order_by("pk").values_list("pk", flat=True))
        params["id"] = pks[n % len(pks)]
    elif path == "/api/v1/units/{code}/" and (n := _small(params.get("code"))) is not None:
        codes = list(Unit.objects.order_by("code").values_list("code", flat=True))
        params["code"] = codes[n % len(codes)]
    if isinstance(case.body, dict):
        for field, code in REAL_CODES.items():
            if _small(case.body.get(field)) is not None:
                case.body[field] = code
        if _small(case.body.get("into")) is not None:
            case.body["into"] = cases["registered"].registry_no
    # Each generated request is a new registration: replaying one key with another body is a
    # 422 by design (test_idempotency), and would hide every body the coverage phase varies.
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 0 < len(key) < IDEMPOTENCY_KEY_MAX - 12:
        case.headers["Idempotency-Key"] = f"{key}-{next(_fresh)}"


@pytest.mark.django_db
def test_the_served_schema_is_the_one_tested(world: World) -> None:
    served = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", schema.app, headers=world.token
    )
    assert served.raw_schema == schema.raw_schema


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=100 if FULL else 15,
    derandomize=True,
    deadline=None,
    database=None,
    # Requests through the whole stack are slow for Hypothesis's taste, and the fixtures are
    # shared on purpose; neither is a problem of the generated data.
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case: Any, world: World) -> None:
    _aim(case, world.cases)
    case.call_and_validate(headers=world.token, checks=CHECKS)
