"""Let the app that owns a task's source react to the task's state changes.

The task engine never imports the apps that create tasks. An app registers a handler for its own
source model (by model label, e.g. ``"inspections.finding"``), usually in its `AppConfig.ready`;
the engine calls it inside the transition's transaction, after the task row and its event are
written. A handler that raises a domain error refuses the whole transition: nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class TaskChangeHandler(Protocol):
    def __call__(
        self, *, task: Any, action: str, actor: Any, from_status: str, reason: str
    ) -> None: ...


_handlers: dict[str, list[TaskChangeHandler]] = {}


def on_task_change(model_label: str) -> Callable[[TaskChangeHandler], TaskChangeHandler]:
    """Register a handler for tasks whose source is a `model_label` record (idempotent)."""

    def register(fn: TaskChangeHandler) -> TaskChangeHandler:
        handlers = _handlers.setdefault(model_label.lower(), [])
        if fn not in handlers:
            handlers.append(fn)
        return fn

    return register


def task_changed(task: Any, action: str, *, actor: Any, from_status: str, reason: str = "") -> None:
    """Called by the engine after a status transition of `task` (submit, accept, return …)."""
    if task.source_type_id is None:
        return
    source_type = task.source_type
    label = f"{source_type.app_label}.{source_type.model}"
    for fn in _handlers.get(label, ()):
        fn(task=task, action=action, actor=actor, from_status=from_status, reason=reason)
