"""The current time as the domain sees it.

Services ask `now()`. Normally that is the wall clock; importing historical cases (answered
years ago) and building demo data replay past events with `clock.replay(moment)`, so that the
events, decisions and notices carry the time they really happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_replayed: ContextVar[datetime | None] = ContextVar("xiaobao_replayed_now", default=None)


def now() -> datetime:
    return _replayed.get() or timezone.now()


@contextmanager
def replay(moment: datetime) -> Iterator[datetime]:
    """Run the block as if it were `moment` (never in the future)."""
    if timezone.is_naive(moment):
        raise ValueError("replay needs an aware datetime")
    if moment > timezone.now():
        raise ValueError("cannot replay the future")
    token = _replayed.set(moment)
    try:
        yield moment
    finally:
        _replayed.reset(token)
