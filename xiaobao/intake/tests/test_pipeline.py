"""The import's reader process (`intake.pipeline`): rows read, parsed and prepared in a forked
child while the parent writes. Whatever the child does, the import writes and reports what the
one-process import does: the same rows, problems at the same rows and columns, nothing left
behind by a failure, and no child left running. The memory an import keeps is bounded: the
search-index jobs are queued with each chunk, not collected for the commit.

Run on SQLite and on PostgreSQL (where the pipeline is on by default)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from xiaobao.complaints import services
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.intake import importing, pipeline
from xiaobao.intake.importing import ImportFileError, import_complaints
from xiaobao.intake.tests.test_batched import MAP as VARIED_MAP
from xiaobao.intake.tests.test_batched import _snapshot, _Undo, varied_csv  # noqa: F401
from xiaobao.intake.tests.test_importing import HEADER, MAP, run, shared_data, write_csv  # noqa: F401
from xiaobao.jobs.models import Job
from xiaobao.language import services as language
from xiaobao.reports import facts
from xiaobao.reports.models import ComplaintFact, PersonFact

pytestmark = pytest.mark.django_db


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """Small chunks, so that a short file forks a reader; records the row each child began at."""
    monkeypatch.setattr(importing._Writer, "CHUNK", 7)
    monkeypatch.setattr(pipeline, "BATCH", 3)
    started: list[int] = []
    real = pipeline.Rows._from_child

    def from_child(self, skip):
        started.append(skip)
        return (yield from real(self, skip))

    monkeypatch.setattr(pipeline.Rows, "_from_child", from_child)
    return started


def _rows(n: int) -> list[list[str]]:
    return [
        [f"GD-{i:03d}", f"标题{i}", f"第{i}件投诉的内容。", f"2019/3/{i % 28 + 1} 10:00",
         f"投诉人{i}", f"1380013{i:04d}", "SUB-a"]
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_the_reader_process_writes_what_one_process_writes(varied_csv, people, forks):  # noqa: F811
    alone, expected = _pipelined(people.hq_officer, varied_csv, pipeline=False)
    assert forks == []
    ahead, actual = _pipelined(people.hq_officer, varied_csv, pipeline=True)
    assert forks == [7]  # forked once the first chunk was written
    assert Complaint.objects.count() == 0
    assert alone.created > 40 and alone.rejected and alone.duplicates
    for name in ("rows", "created", "rejected", "duplicates", "first_numbers", "unknown"):
        assert getattr(ahead, name) == getattr(alone, name), name
    assert [str(e) for e in ahead.issues()] == [str(e) for e in alone.issues()]
    assert actual == expected
    assert not multiprocessing.active_children()


def test_a_daemonic_worker_imports_without_a_reader_process(
    varied_csv,  # noqa: F811
    people,
    forks,
    monkeypatch,
):
    """A pool's daemonic worker process may not start children: it reads the file itself."""
    alone, expected = _pipelined(people.hq_officer, varied_csv, pipeline=False)

    class Daemonic:
        daemon = True

    monkeypatch.setattr(pipeline.multiprocessing, "current_process", Daemonic)
    result, actual = _pipelined(people.hq_officer, varied_csv, pipeline=True)
    assert forks == []
    assert (result.created, result.rejected) == (alone.created, alone.rejected)
    assert actual == expected


def _pipelined(actor, path: Path, *, pipeline: bool):
    try:
        with transaction.atomic():
            result = import_complaints(
                actor=actor, path=path, mapping=VARIED_MAP, partial=True, pipeline=pipeline
            )
            snapshot = _snapshot()
            raise _Undo
    except _Undo:
        pass
    return result, snapshot


def test_bad_rows_read_by_the_child_are_reported_at_their_row_and_column(tmp_path, people, forks):
    rows = _rows(30)
    rows[19][3] = "不是日期"  # a parsing error (file row 21)
    rows[24][5] = "12345"  # refused by the registration service in the child (file row 26)
    path = write_csv(tmp_path / "bad.csv", rows)

    result = run(people.officer_a, path, pipeline=True)
    assert forks == [7]
    assert not result.committed
    assert Complaint.objects.count() == 0 and Complainant.objects.count() == 0
    assert [(e.row, e.column, e.field) for e in result.errors] == [
        (21, "受理时间", "received_at"),
        (26, "联系电话", "complainant_phone"),
    ]
    assert "12345" not in result.errors[1].value  # masked like every phone number shown

    partial = run(people.officer_a, path, partial=True, pipeline=True)
    assert partial.committed and partial.created == 28 and partial.rejected == [21, 26]
    numbers = sorted(Complaint.objects.values_list("registry_no", flat=True))
    assert numbers == [f"TS2019-{n:06d}" for n in range(1, 29)]  # no gap for the refused rows
    again = run(people.officer_a, path, partial=True, pipeline=True)
    assert again.created == 0 and len(again.duplicates) == 28
    assert not multiprocessing.active_children()


def test_a_crash_while_the_child_reads_ahead_leaves_nothing_and_no_child(
    tmp_path, people, forks, monkeypatch
):
    path = write_csv(tmp_path / "many.csv", _rows(40))
    real = services.registrations_save_bulk
    calls: list[int] = []

    def crash_on_the_third_chunk(regs):
        calls.append(len(regs))
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        return real(regs)

    monkeypatch.setattr(services, "registrations_save_bulk", crash_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        run(people.officer_a, path, pipeline=True)
    assert forks == [7]
    assert Complaint.objects.count() == 0 and Complainant.objects.count() == 0
    assert not multiprocessing.active_children()

    monkeypatch.setattr(services, "registrations_save_bulk", real)
    done = run(people.officer_a, path, pipeline=True)
    assert done.created == 40 == Complaint.objects.count()


def test_a_file_over_the_row_limit_stops_the_child(tmp_path, people, forks, settings):
    settings.XIAOBAO_IMPORT = {**settings.XIAOBAO_IMPORT, "MAX_ROWS": 20}
    path = write_csv(tmp_path / "long.csv", _rows(40))
    with pytest.raises(ImportFileError):
        run(people.officer_a, path, pipeline=True)
    assert forks == [7]
    assert Complaint.objects.count() == 0
    assert not multiprocessing.active_children()


def test_the_child_hands_over_a_row_that_needs_the_database(tmp_path, people, forks):
    """A staff number first seen after the fork needs a query: the child stops there, and the
    parent reads on from that row itself."""
    header = [*HEADER, "工号"]
    rows = [[*r, ""] for r in _rows(20)]
    rows[11][-1] = "handler_a"  # file row 13: the child's fifth row
    path = write_csv(tmp_path / "staff.csv", rows, header)
    handed: list[int | None] = []
    real = pipeline.Rows.__iter__

    def watch(self):
        yield from real(self)
        handed.append(self.handed_over)

    pipeline.Rows.__iter__ = watch  # type: ignore[method-assign]
    try:
        result = run(
            people.officer_a, path, mapping={**MAP, "complained_staff_no": "工号"}, pipeline=True
        )
    finally:
        pipeline.Rows.__iter__ = real  # type: ignore[method-assign]
    assert forks == [7] and handed == [11]  # the 12th data row, counted from 0
    assert result.committed and result.created == 20 and not result.errors
    case = Complaint.objects.get(external_ref="GD-012")
    assert case.complained_staff == people.handler_a
    assert not multiprocessing.active_children()


def test_index_jobs_are_queued_with_each_chunk(
    tmp_path, people, monkeypatch, django_capture_on_commit_callbacks
):
    """An import keeps no list of its cases for the commit: the search-index jobs of each chunk
    are written with it, and the commit queues only the few cases left over."""
    monkeypatch.setattr(importing._Writer, "CHUNK", 7)
    monkeypatch.setattr(language._IndexBatch, "PER_JOB", 5)
    path = write_csv(tmp_path / "index.csv", _rows(33))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run(people.officer_a, path)
    assert result.created == 33
    ids = sorted(Complaint.objects.values_list("pk", flat=True))

    def queued() -> list[list[int]]:
        jobs = Job.objects.filter(name=language.INDEX_JOB).order_by("pk")
        return [j.payload.get("complaint_ids") or [j.payload["complaint_id"]] for j in jobs]

    before = queued()
    flat = [pk for job in before for pk in job]
    batch = next(c for c in callbacks if isinstance(c, language._IndexBatch))
    assert len(batch.ids - {batch.first}) < 5  # all that is held for the commit
    # The first case's own job, then the others in whole jobs, ascending.
    assert before[0] == [ids[0]] and all(len(j) == 5 for j in before[1:])
    assert flat == ids[: len(flat)] and len(flat) > len(ids) - 5
    for callback in callbacks:
        callback()
    assert sorted(pk for job in queued() for pk in job) == ids


def test_the_statistics_of_cases_written_chunk_by_chunk_are_in_step(
    varied_csv,  # noqa: F811
    people,
    forks,
):
    """The facts and people of a chunk's new cases are written from the objects (`refresh_new`):
    a recount from the registry finds nothing to change, repeat complainants across chunks
    included."""
    result = import_complaints(
        actor=people.hq_officer, path=varied_csv, mapping=VARIED_MAP, partial=True, pipeline=True
    )
    assert result.committed and result.created > 40 and forks == [7]
    assert facts.reconcile().total == 0
    assert ComplaintFact.objects.count() == result.created
    repeated = PersonFact.objects.filter(repeated=True).values("person_key").distinct().count()
    assert repeated > 0  # the same ID number on cases of different chunks


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="PostgreSQL defers the foreign keys; SQLite checks each statement",
)
def test_a_broken_foreign_key_fails_the_import_at_its_chunk(tmp_path, people, forks, monkeypatch):
    """The chunk's foreign keys are checked while the next rows are read: a broken one still
    fails the import (and no later chunk is written), as it failed the commit before."""
    from django.db import IntegrityError

    from xiaobao.complaints import hooks
    from xiaobao.complaints.models import TaxonomyTerm
    from xiaobao.lib import bulk

    path = write_csv(tmp_path / "many.csv", _rows(40))
    term = TaxonomyTerm.objects.order_by("pk").first()
    assert term is not None
    broken: list[int] = []
    chunks: list[int] = []

    def break_once() -> None:
        chunks.append(1)
        if not broken:
            broken.append(
                bulk.insert_rows(
                    Complaint.tags.through, ["complaint_id", "taxonomyterm_id"], [(10**9, term.pk)]
                )
            )

    monkeypatch.setattr(hooks, "chunk_listeners", [*hooks.chunk_listeners, break_once])
    with pytest.raises(IntegrityError):
        run(people.officer_a, path, pipeline=True)
    assert broken == [1] and chunks == [1]  # the second chunk was never written
    assert Complaint.objects.count() == 0
    assert not multiprocessing.active_children()


def test_shared_instances_cross_the_pipe_as_themselves_and_others_as_copies(org):
    """What the child sends names the instances both processes hold (units, terms …) instead
    of copying them, wherever they sit in a row; any other instance arrives as a copy."""
    import io
    import pickle

    from xiaobao.organisation.models import Unit

    shared_unit = org.hq
    other = Unit.objects.exclude(pk=shared_unit.pk).first()
    assert other is not None
    payload = ("items", [{"unit": shared_unit, "deep": [(shared_unit, other)]}, other])
    buffer = io.BytesIO()
    pipeline._Pickler(buffer, {id(shared_unit): shared_unit}).dump(payload)
    kind, (row, copied) = pipeline._Unpickler(
        io.BytesIO(buffer.getvalue()), {id(shared_unit): shared_unit}
    ).load()
    assert kind == "items" and row["unit"] is shared_unit and row["deep"][0][0] is shared_unit
    assert copied is not other and copied == other and row["deep"][0][1] is copied
    # Without the pipe's unpickler, a reference to a shared instance is refused, not guessed.
    with pytest.raises(RuntimeError):
        pickle.loads(buffer.getvalue())
