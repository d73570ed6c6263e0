"""Listeners for review conclusions, registered by the apps whose records are reviewed.

Products does not import its subjects' apps: an app that puts its records (a partner agreement …)
to review registers a function for its model here, e.g. in AppConfig.ready()::

    @on_review_concluded("partners.agreement")
    def agreement_reviewed(*, review, subject): ...

`review_conclude` calls every function registered for the subject's model label inside the
conclusion's transaction, so a failing listener undoes the conclusion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ConclusionListener = Callable[..., object]

_listeners: dict[str, list[ConclusionListener]] = {}


def on_review_concluded(model_label: str) -> Callable[[ConclusionListener], ConclusionListener]:
    """Register `fn(*, review, subject)` for reviews whose subject is a `model_label` record."""
    key = model_label.lower()

    def register(fn: ConclusionListener) -> ConclusionListener:
        listeners = _listeners.setdefault(key, [])
        if fn not in listeners:
            listeners.append(fn)
        return fn

    return register


def listeners_for(model_label: str) -> list[ConclusionListener]:
    return list(_listeners.get(model_label.lower(), ()))


def notify_concluded(*, review: Any, subject: Any) -> None:
    """Call the listeners of the subject's model (none when the review has no subject)."""
    if subject is None:
        return
    for fn in listeners_for(subject._meta.label_lower):
        fn(review=review, subject=subject)
