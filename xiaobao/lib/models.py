"""The one table of `lib`: version stamps of the reference data that processes keep in memory."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class Stamp(models.Model):
    """The current version of one kind of reference data (policies, calendar …); a writer sets a
    new random version in its own transaction, and every process drops its copy on seeing it."""

    scope_unit_field: ClassVar[str | None] = None  # system rows, the same for everybody

    name = models.CharField(max_length=40, unique=True)
    version = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"
