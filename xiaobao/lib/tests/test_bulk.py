"""`bulk.insert` writes what `bulk_create` writes (COPY on PostgreSQL), and fails like it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from xiaobao.jobs.models import Job
from xiaobao.lib import bulk

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def _jobs(tag: str) -> list[Job]:
    return [
        Job(name=f"{tag}.plain", payload={}, run_after=AT),
        Job(
            name=f"{tag}.rich",
            payload={"text": "投诉\t“引号”\\ 反斜杠\n换行", "n": [1, None, 2.5], "ok": True},
            unique_key=f"{tag}:1",
            run_after=AT,
            last_error="a\\b\tc\r\nd",
            result={"amount": str(Decimal("1200.50"))},
        ),
    ]


def _rows(tag: str) -> list[dict]:
    skip = {"id", "name", "unique_key", "created_at"}
    return [
        {k: v for k, v in row.items() if k not in skip}
        for row in Job.objects.filter(name__startswith=tag).order_by("name").values()
    ]


def test_insert_writes_the_rows_bulk_create_writes():
    Job.objects.bulk_create(_jobs("django"))
    mine = bulk.insert(_jobs("copy"), keys=True)
    assert _rows("copy") == _rows("django") and len(_rows("copy")) == 2
    # The objects carry the keys of their rows, and count as saved.
    for job in mine:
        assert Job.objects.get(pk=job.pk).name == job.name and not job._state.adding
    assert Job.objects.get(name="copy.rich").created_at is not None


def test_insert_without_keys_lets_the_database_number_the_rows():
    jobs = bulk.insert(_jobs("nokeys"))
    assert len(jobs) == len(_rows("nokeys")) == 2


def test_a_broken_constraint_is_an_integrity_error():
    bulk.insert(_jobs("dup"))
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert([Job(name="dup.again", unique_key="dup:1", run_after=AT)])
    assert len(_rows("dup")) == 2


def test_insert_rows_writes_what_bulk_create_writes_with_the_defaults():
    """Plain rows, no instances: the named values as given, every other field its default."""
    rich = {"text": "投诉\t“引号”\\ 反斜杠\n换行", "n": [1, None, 2.5]}
    Job.objects.bulk_create(
        [
            Job(name="django.a", payload={}, run_after=AT, created_at=AT),
            Job(name="django.b", payload=rich, run_after=AT, created_at=AT),
        ]
    )
    written = bulk.insert_rows(
        Job,
        ["name", "payload", "run_after", "created_at"],
        iter([("rows.a", {}, AT, AT), ("rows.b", rich, AT, AT)]),
    )
    assert written == 2
    assert _rows("rows") == _rows("django") and len(_rows("rows")) == 2
    assert bulk.insert_rows(Job, ["name"], []) == 0


def test_datetimes_are_written_as_bulk_create_writes_them():
    # An aware datetime in any zone goes to PostgreSQL as it is; a naive one is still read in
    # the default zone, with Django's warning, like `bulk_create` does.
    local = AT.astimezone(ZoneInfo("Asia/Shanghai"))
    naive = datetime(2026, 3, 4, 5, 6, 7)
    Job.objects.bulk_create([Job(name="django.local", payload={}, run_after=local)])
    bulk.insert([Job(name="copy.local", payload={}, run_after=local)])
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        Job.objects.bulk_create([Job(name="django.naive", payload={}, run_after=naive)])
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        bulk.insert([Job(name="copy.naive", payload={}, run_after=naive)])
    assert _rows("copy") == _rows("django") and len(_rows("copy")) == 2
    assert Job.objects.get(name="copy.local").run_after == AT


def test_rows_of_mixed_value_types_are_each_converted_as_bulk_create_converts_them():
    """The conversions are worked out once per combination of value types: rows that mix a
    choice, a lazy text, a number in a text field, naive and aware date-times, and None
    each still get Django's own conversion where they need it."""
    from django.utils.functional import lazy

    from xiaobao.jobs.models import JobStatus

    lazy_text = lazy(lambda: "lazy error", str)()
    naive = datetime(2026, 3, 4, 5, 6, 7)

    def jobs(tag: str) -> list[Job]:
        return [
            Job(name=f"{tag}.1", payload={}, run_after=AT, status=JobStatus.DONE),
            Job(name=f"{tag}.2", payload={}, run_after=naive, last_error=lazy_text),
            Job(name=f"{tag}.3", payload={"a": 1}, run_after=AT, locked_until=naive),
            Job(name=f"{tag}.4", payload=[], run_after=AT, locked_until=AT, attempts=True),
            Job(name=f"{tag}.5", payload={}, run_after=AT, last_error=12),
            Job(name=f"{tag}.6", payload={}, run_after=AT, status=JobStatus.DONE),
        ]

    with pytest.warns(RuntimeWarning, match="naive datetime"):
        Job.objects.bulk_create(jobs("django"))
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        bulk.insert(jobs("copy"))
    assert _rows("copy") == _rows("django") and len(_rows("copy")) == 6
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        written = bulk.insert_rows(
            Job,
            ["name", "status", "run_after", "last_error", "created_at"],
            [
                ("rows.1", JobStatus.DONE, AT, "", AT),
                ("rows.2", "queued", naive, lazy_text, AT),
                ("rows.3", JobStatus.DONE, AT, 12, AT),
            ],
        )
    assert written == 3
    stored = {r["name"]: r for r in Job.objects.filter(name__startswith="rows.").values()}
    assert stored["rows.1"]["status"] == "done" and stored["rows.3"]["last_error"] == "12"
    assert stored["rows.2"]["last_error"] == "lazy error"
    assert stored["rows.2"]["run_after"] == Job.objects.get(name="django.2").run_after
