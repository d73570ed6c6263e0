"""Model fields that keep personal data encrypted at rest.

Ciphertext is randomised (a fresh nonce per write), so the database cannot compare values: the only
lookups allowed are ``isnull`` and ``exact`` against "" (or None). To find a row by value, store
``crypto.blind_index(value, kind=...)`` in a separate indexed column and filter on that.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from xiaobao.privacy.crypto import decrypt, encrypt


class EmptyOnlyExact(Exact):
    """``exact`` that only accepts "" or None — any other value would silently match nothing.

    None must pass: the query builder constructs the lookup before turning ``=None`` into
    ``isnull``.
    """

    def get_prep_lookup(self) -> Any:
        if not (self.rhs is None or (isinstance(self.rhs, str) and self.rhs == "")):
            raise FieldError(
                "Encrypted fields cannot be filtered by value: filter on the blind index instead"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text stored as ``crypto.encrypt(value, field=kind)``; Python code sees plaintext.

    `kind` ("phone", "id_number", "card", "email", "address", "name", ...) is the associated data:
    a token only decrypts in a field of the same kind. "" and None are stored as they are.
    """

    description = "Text encrypted at rest (AES-256-GCM)"

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        if not isinstance(kind, str) or not kind:
            raise ValueError("EncryptedTextField needs a non-empty kind")
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or getattr(self, "db_index", False) or self.primary_key:
            errors.append(
                checks.Error(
                    "Randomised ciphertext cannot be unique or usefully indexed.",
                    hint="Put unique/db_index on a blind-index column instead.",
                    obj=self,
                    id="privacy.E001",
                )
            )
        return errors

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def to_python(self, value: Any) -> str | None:
        # Values in Python are plaintext; only from_db_value ever sees ciphertext.
        return super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, field=self.kind)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, field=self.kind)
