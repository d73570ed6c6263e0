"""Reference data read once: per process between requests, and held still for a long operation.

The deadline policies, the working calendar, the taxonomy terms, the webhook subscriptions, the
unit tree and the staff's permissions change a few times a year but were read on every request: a quarter of
an API create's statements. `remembered(key, compute, stamp=…)` keeps the value in the process
under the version of its *stamp* (one `lib.Stamp` row per kind of data). Every writer of those
rows calls `bump(stamp)` in its own transaction, which sets a new random version: the change and
the new version commit together, so every process (on every machine) sees the new version on
its next request and reads the rows again. A rolled-back writer leaves the old version, and its
random version is never seen again. A stamp with no row (a flushed test database) caches nothing.

The versions are read once per request (`scope()`, opened by `StampsMiddleware`: one small
query, only when a stamped value is asked for); outside a scope (commands, jobs) each stamped
read costs that one query instead of the rows themselves.

Inside `held()` (a bulk import) the first value of each key is also kept for the rest of the
block, so a long operation runs on the reference data as it stood when it started, as it
would if it were one statement.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

# The stamps in use; the migration lib.0001_i27_stamps gives each its first row.
CALENDAR = "calendar"
PERMISSIONS = "permissions"
POLICIES = "policies"
PRODUCTS = "products"
TAXONOMY = "taxonomy"
UNITS = "units"  # row added by lib.0002_i27_units_stamp
WEBHOOKS = "webhooks"

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("memo", default=None)
_versions: ContextVar[dict[str, str] | None] = ContextVar("memo_versions", default=None)
# key → (stamp version, value): shared by the threads of a process, never mutated in place.
_process: dict[Hashable, tuple[str, Any]] = {}


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


def held_values() -> dict[Hashable, Any]:
    """What `held()` keeps so far (empty outside it): a process forked inside the block (an
    import's reader) finds these values already read and needs no database for them."""
    return dict(_memo.get() or {})


@contextmanager
def scope() -> Iterator[None]:
    """Read the stamps at most once until the block ends (a request)."""
    token = _versions.set({})
    try:
        yield
    finally:
        _versions.reset(token)


def remembered(key: Hashable, compute: Callable[[], T], *, stamp: str | None = None) -> T:
    """`compute()`, or the value it gave before: inside `held()` the first value for this key;
    with a `stamp`, the value this process computed under the stamp's current version. Callers
    must not mutate what they get back."""
    memo = _memo.get()
    if memo is not None and key in memo:
        value: T = memo[key]
        return value
    value = compute() if stamp is None else _stamped(key, stamp, compute)
    if memo is not None:
        memo[key] = value
    return value


def _stamped(key: Hashable, stamp: str, compute: Callable[[], T]) -> T:
    version = _version(stamp)
    if version is None:
        return compute()
    kept = _process.get(key)
    if kept is not None and kept[0] == version:
        value: T = kept[1]
        return value
    # The version is read before the rows, so the rows are never older than the version.
    value = compute()
    _process[key] = (version, value)
    return value


def prime(stamp: str, compute: Callable[[], dict[Hashable, Any]]) -> int:
    """Keep the values `compute()` gives (key → value) in this process, as `remembered(key, …,
    stamp=stamp)` would have computed each of them, under the stamp's current version, read
    first as there. Returns how many were kept: none when the stamp has no row."""
    current = _version(stamp)
    if current is None:
        return 0
    values = compute()
    _process.update((key, (current, value)) for key, value in values.items())
    return len(values)


def version(stamp: str) -> str | None:
    """The current version of `stamp` (read once per request inside `scope()`), or None when it
    has no row: a key for caches of things derived from the stamped data, such as rendered HTML."""
    return _version(stamp)


def _version(stamp: str) -> str | None:
    from xiaobao.lib.models import Stamp

    versions = _versions.get()
    if versions is None:
        return Stamp.objects.filter(name=stamp).values_list("version", flat=True).first()
    if not versions:
        versions.update(Stamp.objects.values_list("name", "version"))
        versions.setdefault("", "")  # read, even if the table is empty
    return versions.get(stamp)


def bump(*stamps: str) -> None:
    """Mark reference data changed, in the caller's transaction: every process reads it again
    once this commits (and this one at once)."""
    from xiaobao.lib.models import Stamp

    rows = [Stamp(name=name, version=secrets.token_hex(8)) for name in stamps]
    Stamp.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["name"], update_fields=["version"]
    )
    versions = _versions.get()
    if versions:
        versions.update((row.name, row.version) for row in rows)


def bump_on_change(stamp: str, *senders: type[Model]) -> None:
    """Bump `stamp` whenever a row of `senders` is saved or deleted, or (a many-to-many `through`
    model) links are added or removed. Signals, unlike calls in the services, also catch the
    admin, fixtures and data loaded by commands; the few bulk writers bump themselves."""

    def changed(sender: Any, **kwargs: Any) -> None:
        action = kwargs.get("action")
        if action is None or action.startswith("post_"):
            bump(stamp)

    for sender in senders:
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(
                changed,
                sender=sender,
                weak=False,
                dispatch_uid=f"memo.{stamp}.{sender._meta.label}.{id(signal)}",
            )


def forget_all(**kwargs: Any) -> None:
    """Drop everything this process keeps (after migrate/flush: the rows may be others now)."""
    _process.clear()


def active() -> dict[Hashable, Any] | None:
    """The memory of the current `held()` block, for callers that fill it piecemeal."""
    return _memo.get()
