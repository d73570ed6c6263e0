"""A web worker's first pages as fast as its later ones (issue 27: no cold-start outlier).

A fresh worker's first search took about three times as long as the next: half of it Python
(lazily built model metadata, forms, regular expressions and the process's reference caches),
half PostgreSQL (a new server process reads the catalogue entries of every table, index,
statistic and function its first statements plan with, and keeps them for its life).

`pages()` runs in the preloading master (`xiaobao.wsgi`): it serves the search and registry
pages once through the whole request handler, signed in as an active superuser, read only,
which builds the Python half once for every worker to share, and keeps the SELECT statements
those pages ran. It also keeps every active user's grants and roles, as the permission backend
would at that user's first page. Each new pooled PostgreSQL connection then plans the
statements again with EXPLAIN before it serves its first request (`replay`, called by
`xiaobao.lib.postgresql`, never executing them), and `open_pool()` (the gunicorn hook in
`xiaobao.gunicorn_conf`) opens a worker's pool before it accepts a request.

What remained of a worker's first page was copy-on-write: the worker shares the master's
memory, and each page of it that the first request writes (a reference count is a write) is
copied at a page fault, about 4,000 of them, a third of that page's time. `learn_written()`,
in the master after `pages()`, forks a child that serves the pages once more and lists the
memory it wrote; `open_pool()` has the kernel copy those pages in each new worker at once
(`populate()`, Linux's MADV_POPULATE_WRITE), while its pool connects.
"""

from __future__ import annotations

import ctypes
import io
import logging
import mmap
import os
import select
import struct
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

logger = logging.getLogger(__name__)

# What a master renders: (URL name, query string). Words common enough to take the search's
# every path: a window over the newest cases, ranking, highlighting, two words.
PAGES: tuple[tuple[str, dict[str, str]], ...] = (
    ("language:search", {"q": "信用卡"}),
    ("language:search", {"q": "信用卡 年费"}),
    ("complaints:registry", {}),
)
MAX_STATEMENTS = 60

# (sql, params) of the SELECTs the master's pages ran, in order, each once.
statements: list[tuple[str, Any]] = []
# (address, length) of the memory a forked worker's first pages write (`learn_written`).
written: list[tuple[int, int]] = []
_PAGE = mmap.PAGESIZE
_MADV_POPULATE_WRITE = 23  # Linux 5.14 and later


class WriteRefused(Exception):
    """The warm-up ran a statement other than a read; it stops there."""


@contextmanager
def _reads_recorded() -> Iterator[None]:
    from django.db import connection

    seen = {sql for sql, _ in statements}

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        verb = sql.lstrip()[:6].upper()
        if many or verb not in ("SELECT", "RESET "):
            raise WriteRefused(sql[:80])
        # RESET puts a session setting back (the search's window plans): nothing to plan.
        if verb == "SELECT" and sql not in seen and len(statements) < MAX_STATEMENTS:
            seen.add(sql)
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def _environ(path: str, query: dict[str, str], language: str) -> dict[str, Any]:
    """A signed-in browser's GET of `path` in `language`, as the server hands it to Django."""
    from django.conf import settings

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    cookies = {settings.SESSION_COOKIE_NAME: _SESSION_KEY, settings.LANGUAGE_COOKIE_NAME: language}
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(query),
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


_SESSION_KEY = "warmup" + "0" * 26


@contextmanager
def _signed_in(user: Any) -> Iterator[None]:
    """While the block runs, a session this process loads is `user`'s, without one being
    stored: the warm-up runs before the first request (and in a child that is thrown away)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend

    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = next(
        p for p in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(p), "get_user")
    )
    data = {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: backend,
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    own = vars(store).get("load")
    store.load = lambda self: dict(data)
    try:
        yield
    finally:
        if own is None:
            del store.load
        else:
            store.load = own


def _serve(handler: Any, user: Any) -> None:
    """`PAGES` once in every language through `handler`, signed in as `user`; a page that does
    not answer 200 raises RuntimeError."""
    from django.conf import settings
    from django.urls import reverse

    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    with _signed_in(user):
        for code, _name in settings.LANGUAGES:
            for name, query in PAGES:
                status.clear()
                response = handler(_environ(reverse(name), query, code), start_response)
                try:
                    b"".join(response)
                finally:
                    response.close()
                if not status or not status[0].startswith("200"):
                    raise RuntimeError(f"{reverse(name)}: {status[:1]}")


def _warm_up_user() -> Any:
    from xiaobao.organisation.models import User

    return User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()


def pages(handler: Any = None) -> bool:
    """Serve `PAGES` once in every language through `handler` (a new WSGI handler by default),
    signed in as the first active superuser, and keep every active user's grants and roles.
    Nothing is written: a statement other than a SELECT stops the warm-up. Then every database
    connection and pool is closed, which a forked worker must not inherit. False (and nothing
    kept) when there is no database, no superuser or a page fails: the workers then build it all
    at their first pages."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import DatabaseError

    from xiaobao.lib import memo
    from xiaobao.organisation.backends import every_users_grants

    try:
        with _reads_recorded():
            # Recorded for the pooled connections to plan; the pages' own sessions are `user`'s.
            import_module(settings.SESSION_ENGINE).SessionStore(_SESSION_KEY).load()
            user = _warm_up_user()
            if user is None:
                statements.clear()
                return False
            # A superuser's checks read no grants; a staff member's read these two.
            for grants in (
                Permission.objects.filter(user=user),
                Permission.objects.filter(group__user=user),
            ):
                list(grants.values_list("content_type__app_label", "codename").order_by())
            with memo.scope():
                memo.prime(memo.PERMISSIONS, every_users_grants)
            _serve(handler or WSGIHandler(), user)
        return True
    except (DatabaseError, WriteRefused, RuntimeError) as exc:
        logger.warning("warm-up stopped (workers warm at their first pages): %s", exc)
        statements.clear()
        return False
    except Exception:  # a warm-up never keeps the server from starting
        logger.exception("warm-up failed (workers warm at their first pages)")
        statements.clear()
        return False
    finally:
        _close_connections()


def _close_connections() -> None:
    """Close every database connection and pool: a forked process must not inherit one."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()  # type: ignore[attr-defined]


def _leave_connections() -> None:
    """In a forked child: set aside the connections and pools it inherited, unclosed (closing
    one would end the parent's session), so that its own queries open new ones."""
    from asgiref.local import Local
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        pools = getattr(type(conn), "_connection_pools", None)
        if pools:
            _kept_away.append(dict(pools))
            pools.clear()
    handler: Any = connections  # django-stubs lacks the handler's per-thread storage
    _kept_away.append(handler._connections)
    handler._connections = Local(handler.thread_critical)


_kept_away: list[Any] = []  # referenced until the child exits, so never finalised (closed)


def _private_ranges() -> list[tuple[int, int]]:
    """This process's memory that is its own since it was forked: pages present and mapped by
    this process only (/proc/self/pagemap bits 63 and 56), in writable private mappings."""
    found: list[tuple[int, int]] = []
    with open("/proc/self/maps") as maps, open("/proc/self/pagemap", "rb") as pagemap:
        for line in maps:
            fields = line.split()
            if fields[1][:2] != "rw" or fields[1][3] != "p" or fields[-1].startswith("[stack"):
                continue
            low, high = (int(x, 16) for x in fields[0].split("-"))
            pagemap.seek(low // _PAGE * 8)
            entries = pagemap.read((high - low) // _PAGE * 8)
            start = None
            for i, (entry,) in enumerate(struct.iter_unpack("<Q", entries)):
                own = entry >> 63 & 1 and entry >> 56 & 1
                if own and start is None:
                    start = i
                elif not own and start is not None:
                    found.append((low + start * _PAGE, (i - start) * _PAGE))
                    start = None
            if start is not None:
                found.append((low + start * _PAGE, (len(entries) // 8 - start) * _PAGE))
    return found


def learn_written(handler: Any = None, timeout: float = 60) -> int:
    """In the master, after `pages()`: fork a child that serves `PAGES` once more through
    `handler`, as a worker's first requests would, and keep the memory it wrote (`written`).
    Returns the number of pages; 0 (and nothing kept) where /proc/self/pagemap is missing or
    the child fails. The child writes nothing to the database and exits without cleaning up."""
    from django.core.handlers.wsgi import WSGIHandler

    written.clear()
    if not sys.platform.startswith("linux") or not os.path.exists("/proc/self/pagemap"):
        return 0
    handler = handler or WSGIHandler()
    try:
        user = _warm_up_user()
    finally:
        _close_connections()
    if user is None:
        return 0
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_end)
            _leave_connections()
            with _reads_recorded():
                _serve(handler, user)
            ranges = _private_ranges()
            with os.fdopen(write_end, "wb") as out:
                out.write(b"".join(struct.pack("<QQ", a, n) for a, n in ranges))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0 and select.select([read_end], [], [], left)[
            0
        ]:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, 9)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        logger.warning("warm-up: the copy-on-write probe failed (status %s)", status)
        return 0
    written.extend(struct.iter_unpack("<QQ", b"".join(chunks)))
    return sum(n for _, n in written) // _PAGE


def populate() -> int:
    """In a forked worker: have the kernel copy the memory in `written` now, one call per range
    (MADV_POPULATE_WRITE: a write fault without a write), instead of one page fault at a time
    during the first requests. Returns the pages done."""
    if not written:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    done = 0
    for address, length in written:
        # A range since unmapped or made read-only fails alone; before Linux 5.14 they all do.
        if libc.madvise(address, length, _MADV_POPULATE_WRITE) == 0:
            done += length
    return done // _PAGE


def replay(raw: Any) -> None:
    """Plan the master's statements on the new psycopg connection `raw` (EXPLAIN: planned, not
    run), so its server process has their catalogue entries before its first request. A
    statement that fails is skipped: a warm-up never refuses a connection."""
    if not statements:
        return
    with raw.cursor() as cursor:
        for sql, params in statements:
            try:
                cursor.execute("EXPLAIN " + sql, params)
                cursor.fetchall()
            except Exception as exc:  # a warm-up never refuses a connection
                logger.debug("warm-up statement skipped: %s", exc)
                if not raw.autocommit:
                    raw.rollback()


def open_pool(timeout: float = 10) -> None:
    """Open this process's connection pools and wait until their first connections are made
    (and warmed by `replay`), so the first request finds them ready; meanwhile `populate()`.
    A database that does not answer in time is logged, not raised: the pool keeps trying in the
    background."""
    from django.db import connections

    pools = [(c.alias, p) for c in connections.all() if (p := getattr(c, "pool", None)) is not None]
    for _alias, pool in pools:
        pool.open(wait=False)
    # While the pools connect (in their own threads): the memory the first pages would copy.
    populate()
    for alias, pool in pools:
        try:
            pool.wait(timeout=timeout)
        except Exception as exc:  # psycopg_pool.PoolTimeout among others
            logger.warning("database pool %s not ready at start: %s", alias, exc)
