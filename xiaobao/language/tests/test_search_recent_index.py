"""The newest cases' search index (PostgreSQL): built once the registry outgrows it, moved on as
cases arrive (the new one built before the old is dropped), rebuilt after an interrupted build,
and run by its periodic job. That the planner reads it for a window of the newest ids is seen at
a million cases (docs/benchmarks.md): a dozen rows are read through the primary key alone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from xiaobao.language import search, services
from xiaobao.language.search import WINDOWS, search_complaints
from xiaobao.watch.schedule import registered

postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
)


@pytest.fixture
def clean():
    """Indexes outlive a transactional test's flush: each test starts and ends without one."""
    _drop_all()
    yield
    _drop_all()


def _drop_all() -> None:
    with connection.cursor() as cursor:
        for name in _recent():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def _recent() -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = 'language_searchdocument'::regclass AND starts_with(c.relname, %s)",
            [services.RECENT_INDEX],
        )
        return dict(cursor.fetchall())


def test_the_job_is_registered_and_does_nothing_on_sqlite_or_a_small_registry(transactional_db):
    assert "language.search_recent_index" in registered()
    outcome = services.search_recent_index()
    if connection.vendor == "sqlite":
        assert outcome == "not used on this database"
    else:
        assert outcome == "registry too small"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_index_follows_the_newest_cases(migration_data, people, register, monkeypatch, clean):
    monkeypatch.setattr(services, "RECENT_IDS", 4)
    monkeypatch.setattr(services, "RECENT_STEP", 3)
    cases = [register(title=f"信用卡年费第{i}件") for i in range(10)]
    last = cases[-1].pk
    first = (last - 4) // 3 * 3
    assert services.search_recent_index() == f"built {services.RECENT_INDEX}{first}"
    assert _recent() == {f"{services.RECENT_INDEX}{first}": True}
    assert services.search_recent_index() == f"{services.RECENT_INDEX}{first} is current"

    # The search finds the same cases with it.
    monkeypatch.setattr(search, "choose_plan", lambda terms, any_term: WINDOWS)
    found = search_complaints(user=people.hq_officer, query="年费", limit=20)
    assert {hit.complaint.pk for hit in found.hits} == {c.pk for c in cases}

    # Three more cases: the next threshold is built before the old index is dropped.
    more = [register(title=f"信用卡年费第{i}件") for i in range(10, 13)]
    second = (more[-1].pk - 4) // 3 * 3
    assert second > first
    assert services.search_recent_index() == (
        f"built {services.RECENT_INDEX}{second}; dropped {services.RECENT_INDEX}{first}"
    )
    assert _recent() == {f"{services.RECENT_INDEX}{second}": True}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_interrupted_build_is_replaced_and_a_shrunk_registry_drops_the_index(
    migration_data, register, monkeypatch, clean
):
    monkeypatch.setattr(services, "RECENT_IDS", 2)
    monkeypatch.setattr(services, "RECENT_STEP", 2)
    cases = [register(title=f"信用卡年费第{i}件") for i in range(6)]
    threshold = (cases[-1].pk - 2) // 2 * 2
    name = f"{services.RECENT_INDEX}{threshold}"
    with connection.cursor() as cursor:  # what a build killed halfway leaves: an invalid index
        cursor.execute(
            f'CREATE INDEX "{name}" ON language_searchdocument USING gin (search_vector)'
            f" WHERE complaint_id >= {threshold}"
        )
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [name]
        )
    assert _recent() == {name: False}
    assert services.search_recent_index() == f"built {name}"
    assert _recent() == {name: True}

    monkeypatch.setattr(services, "RECENT_IDS", 10_000)
    assert services.search_recent_index() == f"dropped {name}"
    assert _recent() == {}


@postgres_only
def test_inside_a_transaction_it_changes_nothing(register, monkeypatch):
    monkeypatch.setattr(services, "RECENT_IDS", 1)
    monkeypatch.setattr(services, "RECENT_STEP", 1)
    register()
    register()
    with pytest.raises(RuntimeError, match="not inside a transaction"):
        services.search_recent_index()
    assert _recent() == {}
