"""A fresh web worker's first pages (issue 27: no cold-start outlier, `xiaobao.lib.warm`).

The preloading master serves the search and registry pages once, read only, keeps their
statements and every active user's grants; each new pooled PostgreSQL connection plans the
statements (never runs them) before it serves; a forked worker has the memory its first pages
would write copied up front; a gunicorn worker started with `xiaobao.gunicorn_conf` opens its
pool before its first request.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from conftest import create_user
from xiaobao.audit.models import AuditEvent, RecordEvent
from xiaobao.complaints.models import ComplaintEvent
from xiaobao.lib import warm
from xiaobao.organisation.choices import Role

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
)


@pytest.fixture
def kept(monkeypatch):
    """`warm.statements` as a list of this test's own."""
    statements: list = []
    monkeypatch.setattr(warm, "statements", statements)
    return statements


def test_the_master_reads_its_pages_once_writes_nothing_and_keeps_no_connection(
    migration_data, org, people, register, kept, monkeypatch
):
    from xiaobao.language import search

    # The plan the master's words take at a million cases, whose settings are put back after.
    monkeypatch.setattr(search, "choose_plan", lambda terms, any_term: search.WINDOWS)
    register()
    register(title="贷款提前还款违约金过高", narrative="客户称提前还款被收取违约金。")
    create_user("root", org.hq, Role.HQ_CP_OFFICER, is_superuser=True)
    events = [m.objects.count() for m in (AuditEvent, RecordEvent, ComplaintEvent)]

    assert warm.pages() is True
    # Nothing a forked worker could inherit (SQLite keeps a test's in-memory database open).
    assert connection.connection is None or connection.vendor == "sqlite"
    assert [m.objects.count() for m in (AuditEvent, RecordEvent, ComplaintEvent)] == events
    assert 10 <= len(kept) <= warm.MAX_STATEMENTS
    assert all(sql.lstrip().upper().startswith("SELECT") for sql, _ in kept)
    assert len({sql for sql, _ in kept}) == len(kept)  # each once, in either language
    tables = " ".join(sql for sql, _ in kept)
    for table in ("django_session", "auth_permission", "language_searchdocument"):
        assert table in tables
    assert people.hq_officer.has_perm("complaints.view_complaint")  # and the database still answers


def test_every_active_users_grants_and_roles_are_kept_as_the_backend_reads_them(
    migration_data, org, people, kept, django_assert_num_queries
):
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission

    from xiaobao.lib import memo
    from xiaobao.organisation.roles import _read_roles, user_roles

    root = create_user("root", org.hq, Role.HQ_CP_OFFICER, is_superuser=True)
    both = create_user("both", org.hq, Role.HQ_CP_OFFICER)
    both.groups.add(*Group.objects.exclude(pk__in=both.groups.all())[:1])
    both.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    gone = create_user("gone", org.hq, Role.HANDLER)
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    assert warm.pages() is True

    users = [root, both, gone, people.hq_officer, people.auditor, people.officer_a]
    for user in users:
        user.refresh_from_db()
    plain = ModelBackend()
    with memo.scope():
        memo.version(memo.PERMISSIONS)  # the request's one read of the stamps
        with django_assert_num_queries(0):
            kept_grants = [
                (u.get_user_permissions(), u.get_group_permissions(), user_roles(u))
                for u in users
                if u.is_active
            ]
    expected = [
        (
            plain.get_user_permissions(u),
            plain.get_group_permissions(u),
            set(_read_roles(u)),
        )
        for u in users
        if u.is_active
    ]
    assert kept_grants == expected
    assert "audit.view_auditevent" in kept_grants[1][0]
    # A grant given after the warm-up is read at once: the kept sets belong to the old stamp.
    people.auditor.user_permissions.add(Permission.objects.get(codename="add_complaint"))
    auditor = type(people.auditor).objects.get(pk=people.auditor.pk)
    with memo.scope():
        assert auditor.has_perm("complaints.add_complaint")


def test_without_a_superuser_nothing_is_kept(migration_data, people, kept):
    assert warm.pages() is False
    assert kept == []


def test_a_page_that_fails_never_keeps_the_server_from_starting(
    migration_data, org, people, kept, monkeypatch
):
    create_user("root", org.hq, Role.HQ_CP_OFFICER, is_superuser=True)

    def broken(*args, **kwargs):
        raise ValueError("a bug in a page")

    monkeypatch.setattr(warm, "_environ", broken)
    assert warm.pages() is False
    assert kept == []


def test_a_statement_other_than_a_read_stops_the_warm_up(people, kept):
    from xiaobao.organisation.models import User

    with pytest.raises(warm.WriteRefused), warm._reads_recorded():
        User.objects.filter(pk=people.hq_officer.pk).update(display_name="改")
    people.hq_officer.refresh_from_db()
    assert people.hq_officer.display_name != "改"


def _raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=False)


@postgres_only
def test_a_new_connection_plans_the_statements_and_runs_none(people, kept):
    kept += [
        ("SELECT no_such_column FROM organisation_user", ()),  # skipped, the rest still planned
        ("SELECT nextval(%s)", ("organisation_unit_id_seq",)),
        ('SELECT * FROM "complaints_complaint" WHERE "id" = %s', (1,)),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM organisation_unit_id_seq")
        before = cursor.fetchone()[0]
    raw = _raw_connection()
    try:
        warm.replay(raw)
        # Planning opened the table and its indexes (held until the transaction ends).
        opened = {
            row[0]
            for row in raw.execute(
                "SELECT relation::regclass::text FROM pg_locks"
                " WHERE pid = pg_backend_pid() AND relation IS NOT NULL"
            )
        }
        assert "complaints_complaint" in opened
        assert "complaints_complaint_pkey" in opened
        raw.rollback()
    finally:
        raw.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM organisation_unit_id_seq")
        assert cursor.fetchone()[0] == before  # EXPLAIN: nothing ran


@postgres_only
def test_every_connection_the_pool_opens_is_warmed_before_it_is_handed_out(
    people, kept, monkeypatch
):
    kept.append(('SELECT * FROM "complaints_complaint" WHERE "id" = %s', (1,)))
    warmed = []
    replay = warm.replay
    monkeypatch.setattr(warm, "replay", lambda raw: (warmed.append(raw), replay(raw)))
    connection.close()
    connection.close_pool()
    try:
        warm.open_pool()
        pool = connection.pool
        minimum = settings.DATABASES["default"]["OPTIONS"]["pool"]["min_size"]
        assert pool.get_stats()["pool_size"] >= minimum
        assert len(warmed) >= minimum
        with connection.cursor() as cursor:  # a warmed connection serves as any other
            cursor.execute("SELECT count(*) FROM organisation_user")
            assert cursor.fetchone()[0] > 0
        assert connection.connection in warmed
    finally:
        connection.close()
        connection.close_pool()


APP = "xiaobao-warm-up-test"


def _backends() -> int:
    """The server's connections (libpq names them from PGAPPNAME)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP])
        return int(cursor.fetchone()[0])


@postgres_only
def test_a_gunicorn_worker_opens_its_pool_before_its_first_request(migration_data, org, people):
    create_user("root", org.hq, Role.HQ_CP_OFFICER, is_superuser=True)
    dbname = settings.DATABASES["default"]["NAME"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = settings.DATABASES["default"]["USER"] or "postgres"
    host = settings.DATABASES["default"]["HOST"] or "127.0.0.1"
    db_port = settings.DATABASES["default"]["PORT"] or 5432
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="xiaobao.settings",
        XIAOBAO_ALLOW_INSECURE_KEY="1",
        DEBUG="0",
        DATABASE_URL=f"postgres://{user}@{host}:{db_port}/{dbname}",
        DB_POOL_MIN="2",
        PGAPPNAME=APP,
    )
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", "python:xiaobao.gunicorn_conf"),
            *("--workers", "1", "--bind", f"127.0.0.1:{port}", "xiaobao.wsgi:application"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # No request is sent: the worker's two pooled connections appear by themselves (the
        # master closed its own after the warm-up). The master's warm-up and the child that
        # learns its memory hold connections too, until the master opens its port: wait for
        # the port, then for two connections two counts in a row, 0.5 s apart.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode()
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break  # connected and closed again: no request
            time.sleep(0.2)
        counts = [-1]
        while counts[-2:] != [2, 2] and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(0.5)
            counts.append(_backends())
        assert counts[-2:] == [2, 2], counts
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "warm-up stopped" not in output
    assert "not ready at start" not in output
    assert "copy-on-write probe failed" not in output


def _first_pages_in_a_fork(populated: bool) -> int:
    """Minor page faults of a forked child serving the master's pages once, after copying the
    learned memory up front or not."""
    import resource

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            warm._leave_connections()
            if populated:
                assert warm.populate() > 0
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            with warm._reads_recorded():
                warm._serve(WSGIHandler(), warm._warm_up_user())
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
            os.write(write_end, str(faults).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    answer = os.read(read_end, 64)
    os.close(read_end)
    assert os.waitpid(pid, 0)[1] == 0
    return int(answer)


@postgres_only
@pytest.mark.skipif(not os.path.exists("/proc/self/pagemap"), reason="needs Linux")
def test_a_forked_worker_copies_what_its_first_pages_write_up_front(
    migration_data, org, people, register, kept, monkeypatch
):
    monkeypatch.setattr(warm, "written", [])
    register()
    create_user("root", org.hq, Role.HQ_CP_OFFICER, is_superuser=True)
    assert warm.pages() is True
    learned = warm.learn_written()
    assert learned > 200  # pages of memory, in ranges of the master's own mappings
    assert all(length % 4096 == 0 and length > 0 for _, length in warm.written)

    plain = [_first_pages_in_a_fork(populated=False) for _ in range(2)]
    populated = [_first_pages_in_a_fork(populated=True) for _ in range(2)]
    # The first pages of a child that copied the learned memory fault far less often.
    assert max(populated) < 0.6 * min(plain), (populated, plain)
    assert people.hq_officer.has_perm("complaints.view_complaint")  # this process still answers


def test_populate_skips_what_is_no_longer_mapped(monkeypatch):
    monkeypatch.setattr(warm, "written", [])
    assert warm.populate() == 0
    page = 4096
    monkeypatch.setattr(warm, "written", [(page, page)])  # the first page: never mapped
    assert warm.populate() == 0
