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


# Called with a list of registry numbers that a bulk import has just given to its cases (they
# carried placeholders until then: see `services.DeferredNumbers`), inside the same transaction,
# so that an edge that copied a placeholder somewhere can put the real number in its place. An
# import on PostgreSQL reserves its numbers ahead and writes them at once: nothing to call.
RenumberListener = Callable[[list[str]], object]

renumber_listeners: list[RenumberListener] = []


def on_renumber(listener: RenumberListener) -> RenumberListener:
    if listener not in renumber_listeners:
        renumber_listeners.append(listener)
    return listener


# Called (without arguments) by a bulk writer after each chunk it wrote, at the level of its own
# transaction (never inside a savepoint that may still be rolled back on its own), so that an
# edge gathering work for after the commit (the search-index jobs) can write it now instead of
# holding it for every case of a 100,000-row import until the end. What they write commits or
# rolls back with the cases.
ChunkListener = Callable[[], object]

chunk_listeners: list[ChunkListener] = []


def on_chunk(listener: ChunkListener) -> ChunkListener:
    if listener not in chunk_listeners:
        chunk_listeners.append(listener)
    return listener


def chunk_written() -> None:
    for listener in chunk_listeners:
        listener()


# Panels other apps show on the case page (the partner or product a case involves …): each is
# called with (request, complaint) and returns safe HTML, or "" when it has nothing to show.
# The core renders them in the side column without knowing the apps behind them.
CasePanel = Callable[[Any, Any], str]

case_panels: list[CasePanel] = []


def on_case_page(panel: CasePanel) -> CasePanel:
    if panel not in case_panels:
        case_panels.append(panel)
    return panel
