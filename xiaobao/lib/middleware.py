"""Middleware of every request: no stored responses, one reading of the cache stamps."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from xiaobao.lib import memo


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every dynamic response (static files are served before this).

    Case pages, the registry, exports, the API and the portal all carry personal data (masked or
    revealed); marking each view would miss the next one, so every response is marked unless a
    view explicitly made itself public (`Cache-Control: public`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        current = response.get("Cache-Control", "")
        if "public" not in current and "no-store" not in current:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class StampsMiddleware:
    """One reading of the reference-data stamps per request (`memo.scope`): however many
    policies, terms or permissions the request asks for, their versions cost one small query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with memo.scope():
            return self.get_response(request)
