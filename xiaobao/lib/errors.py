"""Domain errors: raised by services, turned into 409s, form errors or command errors at the edges."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request; `message` is for people (Chinese by default)."""

    code = "domain_error"

    def __init__(self, message: Any, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class PermissionDeniedError(DomainError):
    code = "permission_denied"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"
