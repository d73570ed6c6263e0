"""Reference data held still for the length of one long operation.

A bulk import registers thousands of cases in one transaction, and each registration would read
the deadline policies, the working calendar, the taxonomy terms and the webhook subscriptions
again: about half of its queries. Inside `held()` those reads are made once and reused, so the
whole import runs on the reference data as it stood when the import started (as it would if it
were one statement). Outside `held()` nothing is remembered: every request reads fresh rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("memo", default=None)


@contextmanager
def held() -> Iterator[None]:
    """Remember reference reads until the block ends (nested blocks share the outer memory)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or inside `held()` the value it gave the first time for this key. Callers
    must not mutate what they get back."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value


def active() -> dict[Hashable, Any] | None:
    """The memory of the current `held()` block, for callers that fill it piecemeal."""
    return _memo.get()
