"""Fixed-window rate limits kept in Django's cache, per client IP (and per tracking number).

Limits are settings, e.g. ``XIAOBAO_PORTAL_RATE_LIMITS = {"file": (5, 3600)}`` (5 per hour).
The counters live in the shared cache (the database by default, Redis when XIAOBAO_CACHE_URL is
set; see settings.py), so every web process and machine counts the same requests.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# name -> (requests allowed, window in seconds)
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "file": (5, 3600),
    "lookup": (20, 600),
    "lookup_number": (5, 900),  # failed tries against one tracking number from one address
    "action": (20, 600),
}


def limit(name: str) -> tuple[int, int]:
    configured = getattr(settings, "XIAOBAO_PORTAL_RATE_LIMITS", {}) or {}
    count, window = configured.get(name, DEFAULT_LIMITS[name])
    return int(count), int(window)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the header a trusted reverse proxy sets (XIAOBAO_PORTAL_IP_HEADER)."""
    header = getattr(settings, "XIAOBAO_PORTAL_IP_HEADER", "")
    if header and request.META.get(header):
        # The proxy appends the address it saw: the last entry is the one it vouches for.
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(name: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return f"xb-rl:{name}:{digest}:{int(time.time()) // window}"


def hit(name: str, ident: str) -> bool:
    """Count one request; False once the limit for this window is exceeded."""
    count, window = limit(name)
    key = _key(name, ident, window)
    cache.add(key, 0, timeout=window + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        used = 1
    return used <= count


def exceeded(name: str, ident: str) -> bool:
    """Whether the limit is already used up, without counting."""
    count, window = limit(name)
    return int(cache.get(_key(name, ident, window), 0)) >= count
