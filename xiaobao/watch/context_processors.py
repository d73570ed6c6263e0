"""`watch_unread`: the signed-in user's unread notice count, for the navigation badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from xiaobao.watch.selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    # Lazy: pages that never show the badge never pay for the query.
    return {"watch_unread": SimpleLazyObject(lambda: unread_count(user=user))}
