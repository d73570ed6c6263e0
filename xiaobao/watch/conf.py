"""The watch's settings, with defaults, so a deployment only writes what it changes.

XIAOBAO_WATCH = {
    "CHANNELS": {                       # name -> dotted path of a Channel class
        "inbox": "xiaobao.watch.channels.InboxChannel",
        "email": "xiaobao.watch.channels.EmailChannel",
        "sms": "xiaobao.watch.channels.LoggingSmsChannel",
    },
    "DEFAULT_CHANNELS": ["inbox", "email"],  # for users without a saved preference
    "WORKING_HOURS": ["09:00", "17:30"],     # non-urgent notices wait for these
    "BASE_URL": "https://xiaobao.example.com",  # links in e-mails; empty = relative links
    "BUNDLE_SWEEP": True,  # a sweep's deadline notices: one message per person (False: per case)
}
"""

from __future__ import annotations

from datetime import time
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    "CHANNELS": {
        "inbox": "xiaobao.watch.channels.InboxChannel",
        "email": "xiaobao.watch.channels.EmailChannel",
        "sms": "xiaobao.watch.channels.LoggingSmsChannel",
    },
    "DEFAULT_CHANNELS": ["inbox", "email"],
    "WORKING_HOURS": ["09:00", "17:30"],
    "BASE_URL": "",
    "BUNDLE_SWEEP": True,
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "XIAOBAO_WATCH", {})}[name]


def _time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"XIAOBAO_WATCH WORKING_HOURS: {value!r} is not HH:MM") from exc


def working_hours() -> tuple[time, time]:
    start, end = get("WORKING_HOURS")
    return _time(start), _time(end)


def channel_names() -> list[str]:
    return list(get("CHANNELS"))


@cache
def _load(path: str) -> Any:
    try:
        return import_string(path)()
    except ImportError as exc:
        raise ImproperlyConfigured(f"XIAOBAO_WATCH CHANNELS: cannot import {path!r}") from exc


def channel(name: str) -> Any:
    """The configured Channel instance called `name` (LookupError if none is configured)."""
    paths = get("CHANNELS")
    if name not in paths:
        raise LookupError(f"no notification channel {name!r} in XIAOBAO_WATCH['CHANNELS']")
    return _load(paths[name])
