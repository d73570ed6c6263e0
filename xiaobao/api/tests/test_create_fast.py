"""An API create: few statements, one commit, a response built from what was written, and
reference data kept per process yet changed everywhere by the next request after an edit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaobao.api.models import WebhookDelivery
from xiaobao.complaints.models import Complaint, DeadlinePolicy
from xiaobao.jobs.models import Job
from xiaobao.language.services import INDEX_JOB
from xiaobao.lib import memo
from xiaobao.organisation.choices import Role

from .conftest import payload

pytestmark = pytest.mark.django_db
LIST = "/api/v1/complaints/"


@contextmanager
def in_another_process() -> Iterator[None]:
    """Run a write as another process would: this process's memory is left as it was, so only
    the stamp table can tell it that something changed."""
    kept = dict(memo._process)
    yield
    memo._process.clear()
    memo._process.update(kept)


def _create(client: Any, **overrides: Any) -> dict[str, Any]:
    response = client.post(LIST, payload(**overrides), format="json")
    assert response.status_code == 201, response.content.decode()[:2000]
    return response.json()


def test_a_warm_create_reads_no_reference_data(api_a, django_capture_on_commit_callbacks):
    # The first request of a process reads the reference data once. (Its after-commit work is
    # run, as a real commit would, so that the next create is a transaction of its own.)
    with django_capture_on_commit_callbacks(execute=True):
        _create(api_a)
    with CaptureQueriesContext(connection) as queries:
        _create(api_a, title="第二件")
    sql = [q["sql"] for q in queries.captured_queries]
    constants = (
        "auth_permission",
        "complaints_taxonomyterm",
        "complaints_deadlinepolicy",
        "complaints_calendarday",
        "api_webhooksubscription",
        "products_product",
    )
    assert [s for s in sql if s.startswith("SELECT") and any(t in s for t in constants)] == []
    assert [s for s in sql if s.startswith('SELECT "organisation_unit"')] == []  # the form's unit
    # The case is not read back (its text is not selected); the statistics store reads only the
    # narrow columns of its fact row.
    assert [
        s for s in sql if s.startswith("SELECT") and '"complaints_complaint"."narrative"' in s
    ] == []
    assert sum(1 for s in sql if s.startswith('INSERT INTO "jobs_job"')) == 1
    # 27 before issue 27: seven reads of constants, the second transaction of the index job and
    # the detail read back through a 13-table join and six prefetches.
    # Savepoints aside, the registration itself takes nine statements (its number taken last:
    # the sequence and the case's number), and the statistics store kept in step four: the
    # fact row and, for the complainants' person keys, the people's lock, their neighbours in
    # one read and the neighbours whose key or repeat flag changed (the person rows go by COPY).
    statements = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
    store = [s for s in statements if "reports_" in s or "advisory_xact_lock" in s]
    assert len(store) <= 4, "\n".join(store)
    assert len(statements) - len(store) <= 9, "\n".join(statements)
    assert statements[-2].startswith(
        'UPDATE "complaints_registrysequence"'
    )  # the lock, held briefly


def test_the_response_is_the_case_as_read_back(api_a):
    created = _create(api_a, demands=["REFUND", "APOLOGY"], tags=[])
    assert created["demands"] == ["APOLOGY", "REFUND"]
    assert api_a.get(f"{LIST}{created['id']}/").json() == created


def test_the_index_job_commits_with_the_case(api_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = _create(api_a)
    # Written in the registration's own transaction: the after-commit work adds nothing.
    jobs = Job.objects.filter(name=INDEX_JOB, payload__complaint_id=created["id"])
    assert jobs.count() == 1
    before = Job.objects.count()
    for callback in callbacks:
        callback()
    assert Job.objects.count() == before


def test_a_policy_edited_in_the_admin_applies_to_the_next_create(api_a, client, people):
    policy, _ = DeadlinePolicy.objects.get_or_create(kind="complaint", defaults={"days": 15})
    assert _create(api_a)["allowed_days"] == policy.days
    client.force_login(people.hq_officer)
    form = {
        "kind": policy.kind,
        "days": policy.days - 5,
        "working_days": "on" if policy.working_days else "",
        "roll_over_holidays": "on" if policy.roll_over_holidays else "",
        "extension_days": policy.extension_days or "",
        "max_extension_days": policy.max_extension_days or "",
    }
    with in_another_process():
        url = reverse("admin:complaints_deadlinepolicy_change", args=[policy.pk])
        response = client.post(url, form)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert _create(api_a)["allowed_days"] == policy.days - 5


def test_a_subscription_added_in_the_admin_gets_the_next_case(api_a, client, org, make_user):
    first = _create(api_a)
    root = make_user("root", org.hq, Role.SYSADMIN, is_superuser=True)
    client.force_login(root)
    form = {"name": "客服中心", "url": "https://8.8.8.8/hook", "unit": org.branch_a.pk}
    with in_another_process():
        response = client.post(
            reverse("admin:api_webhooksubscription_add"), {**form, "events": "[]"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    second = _create(api_a)
    notified = set(WebhookDelivery.objects.values_list("event__complaint_id", flat=True))
    assert notified == {second["id"]} and first["id"] not in notified


def test_a_role_granted_elsewhere_applies_to_the_next_request(client_for, make_user, org):
    auditor = make_user("auditor_x", org.sub_a, Role.AUDITOR)
    api = client_for(auditor)
    assert api.post(LIST, payload(), format="json").status_code == 403
    with in_another_process():
        auditor.groups.add(*make_user("handler_x", org.sub_a, Role.HANDLER).groups.all())
    assert api.post(LIST, payload(), format="json").status_code == 201
    assert Complaint.objects.filter(created_by=auditor).count() == 1


def test_the_form_built_once_keeps_nothing_from_one_request_to_the_next(api_a):
    # The intake form's fields are built once per thread: each request sees only its own errors.
    no_title = payload()
    del no_title["title"]
    first = api_a.post(LIST, no_title, format="json")
    assert first.status_code == 400 and "title" in first.content.decode()
    assert _create(api_a)["title"]
    bad_phone = payload(title="第三件")
    bad_phone["complainants"][0]["phone"] = "x" * 31
    third = api_a.post(LIST, bad_phone, format="json")
    assert third.status_code == 400
    assert "complainants" in third.content.decode() and "title" not in third.content.decode()


def test_a_unit_renamed_or_closed_elsewhere_applies_to_the_next_create(api_a, org):
    assert _create(api_a)["unit"]["name"] == org.sub_a.name
    with in_another_process():
        org.sub_a.name = "杭州分行营业部"
        org.sub_a.save()
    assert _create(api_a)["unit"]["name"] == "杭州分行营业部"
    with in_another_process():
        org.sub_a.is_active = False
        org.sub_a.save()
    response = api_a.post(LIST, payload(), format="json")
    assert response.status_code == 400 and "unit" in response.json()["errors"]


def test_a_unit_moved_elsewhere_applies_to_the_next_create(api_a, org):
    from xiaobao.api.services import webhook_subscription_create
    from xiaobao.organisation.services import unit_move

    # Branch B's subscriber hears of its own cases only: those of its units as the tree is now.
    webhook_subscription_create(
        actor=None, name="B", url="https://b.example/hook", unit=org.branch_b, events=None
    )
    first = _create(api_a)
    with in_another_process():
        unit_move(actor=None, unit=org.sub_a, new_parent=org.branch_b)
    second = _create(api_a, title="第二件")
    registered = WebhookDelivery.objects.filter(event__action="register")
    notified = set(registered.values_list("event__complaint_id", flat=True))
    assert notified == {second["id"]} and first["id"] not in notified
