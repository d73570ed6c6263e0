"""Keeping the index in step: the job, the reindex command, stale documents, both databases."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from xiaobao.jobs.services import run_pending
from xiaobao.language.models import SearchDocument
from xiaobao.language.search import search_complaints
from xiaobao.language.segment import ANALYZER_VERSION
from xiaobao.language.services import search_index_request, stale_complaints


def _numbers(results):
    return [hit.complaint.registry_no for hit in results]


def test_index_job_builds_and_refreshes_the_document(register, people):
    case = register(index=False)
    assert search_complaints(user=people.handler_a, query="年费").hits == []
    assert run_pending() == 1  # the job its registration wrote in the same transaction
    assert _numbers(search_complaints(user=people.handler_a, query="年费")) == [case.registry_no]

    # The text changes (here: behind the services' back) and the job runs again.
    type(case).objects.filter(pk=case.pk).update(title="征信异议", narrative="要求更正征信记录")
    search_index_request(complaint_id=case.pk)
    run_pending()
    assert search_complaints(user=people.handler_a, query="年费").hits == []
    assert _numbers(search_complaints(user=people.handler_a, query="征信")) == [case.registry_no]
    assert SearchDocument.objects.count() == 1


def test_job_for_a_missing_case_removes_nothing_else(register):
    case = register()
    run_pending()  # the case's own job first
    search_index_request(complaint_id=case.pk + 1000)
    assert run_pending() == 1
    assert SearchDocument.objects.filter(pk=case.pk).exists()


def test_reindex_command_bulk_and_stale(register, people):
    cases = [register(index=False) for _ in range(5)]
    assert stale_complaints().count() == 5
    out = io.StringIO()
    call_command("reindex_search", "--batch=2", stdout=out)
    assert "indexed 5 case(s)" in out.getvalue()
    assert stale_complaints().count() == 0
    assert len(search_complaints(user=people.handler_a, query="年费")) == 5

    # Upserting again keeps one document per case and the native index consistent.
    call_command("reindex_search", "--batch=3", stdout=io.StringIO())
    assert SearchDocument.objects.count() == 5
    assert len(search_complaints(user=people.handler_a, query="年费")) == 5

    SearchDocument.objects.filter(pk=cases[0].pk).update(analyzer_version=ANALYZER_VERSION - 1)
    out = io.StringIO()
    call_command("reindex_search", "--stale", stdout=out)
    assert "indexed 1 case(s)" in out.getvalue()


def test_native_index_exists_for_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'language_search_fts'")
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'language_search_vector_gin'"
            )
        assert cursor.fetchone()[0] == 1


def test_reindex_with_worker_processes(register, people):
    cases = [register(index=False) for _ in range(4)]
    out = io.StringIO()
    call_command("reindex_search", "--batch=3", "--workers=2", stdout=out)
    assert "indexed 4 case(s)" in out.getvalue()
    assert {h.complaint.pk for h in search_complaints(user=people.handler_a, query="年费")} == {
        c.pk for c in cases
    }


def test_every_case_event_queues_indexing_after_commit(
    register, people, django_capture_on_commit_callbacks
):
    from xiaobao.complaints import services
    from xiaobao.jobs.models import Job

    with django_capture_on_commit_callbacks(execute=True):
        case = register(index=False)
    assert Job.objects.filter(name="language.index_complaint").count() >= 1
    run_pending()
    assert _numbers(search_complaints(user=people.handler_a, query="年费")) == [case.registry_no]

    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_accept(actor=people.handler_a, complaint=case)
        services.complaint_pause(
            actor=people.handler_a,
            complaint=case,
            reason="appraisal",
            told_by="phone",
            note="委托第三方鉴定双录视频真实性",
        )
    run_pending()
    assert _numbers(search_complaints(user=people.handler_a, query="双录")) == [case.registry_no]


def test_a_refused_change_queues_nothing(register, people, django_capture_on_commit_callbacks):
    from xiaobao.complaints import services
    from xiaobao.jobs.models import Job
    from xiaobao.lib.errors import DomainError

    case = register(index=False)
    queued = Job.objects.filter(name="language.index_complaint").count()  # its registration's
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DomainError),
    ):
        services.complaint_decide(
            actor=people.handler_a,
            complaint=case,
            verified_facts="",
            outcome="upheld",
            basis="x",
            reasons="y",
            routes=["review"],
        )
    assert callbacks == [] and Job.objects.filter(name="language.index_complaint").count() == queued


def test_one_transaction_queues_its_cases_with_one_callback(
    register, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first = register(index=False)
        # A savepoint rolled back (an import's bad row): its case is gone; its id may stay in
        # the batch, and that job then finds nothing to index.
        try:
            with transaction.atomic():
                register(index=False, title="回滚的投诉")
                raise RuntimeError("bad row")
        except RuntimeError:
            pass
        others = [register(index=False) for _ in range(3)]
    assert len(callbacks) == 1
    queued = _queued_ids()
    committed = {c.pk for c in [first, *others]}
    assert committed <= set(queued) and len(queued) == len(set(queued)) <= 5
    from xiaobao.complaints.models import Complaint

    assert set(Complaint.objects.filter(pk__in=queued).values_list("pk", flat=True)) == committed
    run_pending()
    assert SearchDocument.objects.filter(complaint_id__in=committed).count() == 4


def test_a_large_transaction_queues_its_jobs_in_chunks(
    register, django_capture_on_commit_callbacks, monkeypatch
):
    """A 100,000-row import must not build all its index jobs in memory at once: the batch
    inserts them a chunk at a time, every case exactly once."""
    from django.db import transaction

    from xiaobao.jobs.models import Job
    from xiaobao.language import services

    inserts = []
    real_enqueue_many = services.enqueue_many

    def counting(name, payloads, **kwargs):
        inserts.append(len(payloads))
        return real_enqueue_many(name, payloads, **kwargs)

    monkeypatch.setattr(services._IndexBatch, "CHUNK", 3)
    monkeypatch.setattr(services._IndexBatch, "PER_JOB", 2)
    monkeypatch.setattr(services, "enqueue_many", counting)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cases = [register(index=False) for _ in range(6)]
    # The first case's job went in with it, in the transaction; the other five in two inserts
    # (3 + 2 cases) of jobs of at most two cases each.
    assert inserts == [2, 1]
    assert _queued_ids() == sorted(c.pk for c in cases)
    assert Job.objects.filter(name="language.index_complaint").count() == 4
    run_pending()
    assert SearchDocument.objects.filter(complaint_id__in=[c.pk for c in cases]).count() == 6


def _queued_ids():
    """Every case the queued index jobs name (one case, or a chunk's cases, per job)."""
    from xiaobao.jobs.models import Job

    ids = []
    for payload in Job.objects.filter(name="language.index_complaint").values_list(
        "payload", flat=True
    ):
        ids += payload.get("complaint_ids", [payload.get("complaint_id")])
    return sorted(ids)
