"""gunicorn settings: `gunicorn -c python:xiaobao.gunicorn_conf xiaobao.wsgi …`.

`preload_app` (gunicorn's `--preload`) loads and warms the application once in the master
(`xiaobao.wsgi`); each worker then has the memory its first pages would write copied up front
and opens its database pool, whose first connections plan the master's statements, before it
accepts its first request (`xiaobao.lib.warm`). Command-line options still override these.
"""

from __future__ import annotations

from typing import Any

preload_app = True


def post_worker_init(worker: Any) -> None:
    from xiaobao.lib import warm

    warm.open_pool()
