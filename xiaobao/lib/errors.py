"""Domain errors: raised by services, turned into 409s, form errors or command errors at the edges."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request; `message` is for people.

    Services write the message in Chinese; `message` looks it up in the catalogues when it is
    read, so a page in English shows the English entry (every literal message has
    one: `lib/tests/test_error_messages.py`). A message built with values (an f-string) has no
    entry and stays Chinese.
    """

    code = "domain_error"

    def __init__(self, message: Any, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.source_message = str(message)
        if code:
            self.code = code
        self.field = field

    @property
    def message(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.source_message)

    def __str__(self) -> str:
        return self.message


class PermissionDeniedError(DomainError):
    code = "permission_denied"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"
