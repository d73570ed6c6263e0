"""A web worker's first pages as fast as its later ones (issue 27: no cold-start outlier).

A fresh worker's first search took about three times as long as the next: half of it Python
(lazily built model metadata, forms, regular expressions and the process's reference caches),
half PostgreSQL (a new server process reads the catalogue entries of every table, index,
statistic and function its first statements plan with, and keeps them for its life).

`pages()` runs in the preloading master (`xiaobao.wsgi`): it renders the search and registry
pages once for an active superuser, read only, which builds the Python half once for every
worker to share, and keeps the SELECT statements those pages ran. Each new pooled PostgreSQL
connection then plans them again with EXPLAIN before it serves its first request
(`replay`, called by `xiaobao.lib.postgresql`, never executing them), and `open_pool()` (the
gunicorn hook in `xiaobao.gunicorn_conf`) opens a worker's pool before it accepts a request.
"""

from __future__ import annotations

import io
import logging
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


def _request(path: str, query: dict[str, str], user: Any, language: str) -> Any:
    """A GET request as the server and the middleware would hand it to the view."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIRequest
    from django_htmx.middleware import HtmxDetails

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    request = WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(query),
            "SCRIPT_NAME": "",
            "SERVER_NAME": host,
            "SERVER_PORT": "443",
            "HTTP_HOST": host,
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(),
        }
    )
    request.user = user
    request.LANGUAGE_CODE = language
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    return request


def pages() -> bool:
    """Render `PAGES` once in every language for the first active superuser, and read what
    the middleware reads for a signed-in user (the session, the grants). Nothing is written: a
    statement other than a SELECT stops the warm-up. Then every database connection and pool is
    closed, which a forked worker must not inherit. False (and nothing kept) when there is no
    database, no superuser or a page fails: the workers then build it all at their first pages."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.db import DatabaseError, connections
    from django.urls import resolve, reverse
    from django.utils import translation

    from xiaobao.lib import memo
    from xiaobao.organisation.models import User

    try:
        with _reads_recorded():
            import_module(settings.SESSION_ENGINE).SessionStore("warm-up-" + "0" * 24).load()
            user = User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
            if user is None:
                statements.clear()
                return False
            # A superuser's checks read no grants; a staff member's read these two (kept per
            # user afterwards, organisation.backends).
            for grants in (
                Permission.objects.filter(user=user),
                Permission.objects.filter(group__user=user),
            ):
                list(grants.values_list("content_type__app_label", "codename").order_by())
            for code, _name in settings.LANGUAGES:
                with translation.override(code), memo.scope():
                    for name, query in PAGES:
                        request = _request(reverse(name), query, user, code)
                        response = resolve(request.path_info).func(request)
                        if response.status_code != 200:
                            raise RuntimeError(f"{request.path_info}: {response.status_code}")
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
        for conn in connections.all(initialized_only=True):
            conn.close()
            if getattr(conn, "pool", None) is not None:
                conn.close_pool()  # type: ignore[attr-defined]


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
    (and warmed by `replay`), so the first request finds them ready. A database that does not
    answer in time is logged, not raised: the pool keeps trying in the background."""
    from django.db import connections

    for conn in connections.all():
        pool = getattr(conn, "pool", None)
        if pool is None:
            continue
        try:
            pool.open(wait=True, timeout=timeout)
        except Exception as exc:  # psycopg_pool.PoolTimeout among others
            logger.warning("database pool %s not ready at start: %s", conn.alias, exc)
