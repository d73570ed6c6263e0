"""Django's PostgreSQL backend, with each new connection warmed before it serves a request.

The pool calls `_configure_connection` for every connection it opens, in its own thread; after
Django's own settings, the statements the preloading master's pages ran are planned there
(`xiaobao.lib.warm.replay`), off every request's path. Everything else is Django's.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from xiaobao.lib import warm


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_connection(self, connection: Any) -> bool:
        # django-stubs lacks the pool (Django 5.1+).
        commit: bool = super()._configure_connection(connection)  # type: ignore[misc]
        if self.pool is not None:  # type: ignore[attr-defined]  # a pooled connection, opened outside every request
            warm.replay(connection)
        return commit
