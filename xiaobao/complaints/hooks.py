"""Listeners for case events, registered by the edges (webhooks, search indexing …).

The core does not import its edges: an app that wants to react to every `ComplaintEvent`
registers a callable here in its AppConfig.ready(); `_event` calls them inside the same
transaction, and they queue their work with `transaction.on_commit` or the jobs table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EventListener = Callable[[Any], object]

event_listeners: list[EventListener] = []


def on_event(listener: EventListener) -> EventListener:
    if listener not in event_listeners:
        event_listeners.append(listener)
    return listener
