from __future__ import annotations

from collections.abc import Callable
from typing import Any

JobFunction = Callable[[dict[str, Any]], Any]

_handlers: dict[str, JobFunction] = {}
_own_transactions: set[str] = set()


def job(name: str, *, atomic: bool = True) -> Callable[[JobFunction], JobFunction]:
    """Register `fn(payload) -> result` as the handler of jobs called `name`.

    The worker runs a handler inside one transaction; `atomic=False` for a handler that commits
    its own steps (a bulk import: its transaction must be the outermost one, see
    `complaints.services.DeferredNumbers`)."""

    def register(fn: JobFunction) -> JobFunction:
        if name in _handlers and _handlers[name] is not fn:
            raise ValueError(f"job {name!r} registered twice")
        _handlers[name] = fn
        if not atomic:
            _own_transactions.add(name)
        return fn

    return register


def in_transaction(name: str) -> bool:
    """Whether the worker wraps the handler of `name` in a transaction."""
    _load_job_modules()
    return name not in _own_transactions


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
