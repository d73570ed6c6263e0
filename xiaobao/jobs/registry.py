from __future__ import annotations

from collections.abc import Callable
from typing import Any

JobFunction = Callable[[dict[str, Any]], Any]

_handlers: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register `fn(payload) -> result` as the handler of jobs called `name`."""

    def register(fn: JobFunction) -> JobFunction:
        if name in _handlers and _handlers[name] is not fn:
            raise ValueError(f"job {name!r} registered twice")
        _handlers[name] = fn
        return fn

    return register


def handler(name: str) -> JobFunction:
    _load_job_modules()
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"no handler registered for job {name!r}") from None


_loaded = False


def _load_job_modules() -> None:
    """Import every xiaobao app's `tasks.py` (where handlers are registered) once."""
    global _loaded
    if _loaded:
        return
    from importlib import import_module

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("xiaobao."):
            try:
                import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise
    _loaded = True
