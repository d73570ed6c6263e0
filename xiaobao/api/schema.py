"""Schema details drf-spectacular cannot infer on its own."""

from __future__ import annotations

import copy
from typing import Any

from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import set_override


class RegistryFilterBackend(DjangoFilterBackend):
    """The registry's django-filter backend (its own class so the schema extension finds it)."""


class RegistryFilterExtension(DjangoFilterExtension):
    """Taxonomy filters take codes (`?cause=PRICING&cause=RULES`): say so, instead of guessing
    from a queryset that only exists per request (and warning in `check --deploy`)."""

    target_class = "xiaobao.api.schema.RegistryFilterBackend"
    priority = 1

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> Any:
        if (
            isinstance(filter_field, filters.ModelMultipleChoiceFilter)
            and filter_field.extra.get("to_field_name") == "code"
        ):
            filter_field = copy.copy(filter_field)
            description = f"{filter_field.label}（代码，可重复传入多个）"
            set_override(filter_field, "field", {"type": "string", "description": description})
        return super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
