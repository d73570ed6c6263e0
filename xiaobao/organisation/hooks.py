"""Listeners for changes to the tree, registered by the apps whose records hang on units.

The organisation does not import the apps above it: an app that must react when a unit moves
(complaints writes an event on each open case) registers a callable here in its
AppConfig.ready(); `unit_move` calls them inside its transaction, after the paths changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# listener(actor=…, unit=<moved unit, new path>, from_parent=<Unit | None>, to_parent=<Unit>)
MoveListener = Callable[..., Any]

move_listeners: list[MoveListener] = []


def on_unit_move(listener: MoveListener) -> MoveListener:
    if listener not in move_listeners:
        move_listeners.append(listener)
    return listener
