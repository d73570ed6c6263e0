"""Person lookups without the person's number in any URL, log or saved filter.

A phone or ID number is posted once; the server keeps only its keyed hashes in the shared cache
under a random token bound to the member of staff, and the registry (page, export, API) filters
by `person_token=…`. The token is useless to anyone else and expires after half an hour.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache

from xiaobao.lib.errors import DomainError
from xiaobao.privacy.crypto import blind_index

TOKEN_SECONDS = 30 * 60
_PREFIX = "xb-person:"


def person_lookup_token_create(*, user: Any, value: str) -> str:
    """A token for every case of the person with this phone or ID number (hashes only kept)."""
    value = (value or "").strip()
    hashes = {
        "phone": blind_index(value, kind="phone") if value else "",
        "id_number": blind_index(value, kind="id_number") if value else "",
    }
    if not any(hashes.values()):
        raise DomainError("请输入投诉人的联系电话或证件号码。", field="person")
    token = secrets.token_urlsafe(18)
    cache.set(_PREFIX + token, {"user": user.pk, **hashes}, TOKEN_SECONDS)
    return token


def person_lookup_hashes(*, user: Any, token: str) -> dict[str, str] | None:
    """The hashes behind `token` if it is `user`'s and still valid, else None."""
    if not token or len(token) > 64:
        return None
    data = cache.get(_PREFIX + token)
    if not data or data.get("user") != getattr(user, "pk", None):
        return None
    return {"phone": data["phone"], "id_number": data["id_number"]}
