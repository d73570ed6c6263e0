"""Branch scope: the one place that decides which rows a member of staff may see.

Every list, detail, search, export and API call goes through `visible_to` or `get_visible_or_404`.
A model declares `scope_unit_field`, the lookup from the model to its owning `Unit`
("" for Unit itself); a user sees a row when that unit lies in the subtree of the user's own unit.
Head office is the root of the tree, so it sees everything without a special case.
A model seen from two units (a task: the owning unit and the office that verifies it) declares
`scope_unit_fields`, a tuple of such lookups; any one of them in the user's subtree grants the row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def scope_q(user: Any, model: type[models.Model]) -> models.Q:
    """The filter that restricts `model` to `user`'s subtree; matches nothing for outsiders."""
    unit = getattr(user, "unit", None) if getattr(user, "is_authenticated", False) else None
    if unit is None or not getattr(user, "is_active", False):
        return models.Q(pk__in=[])
    fields = getattr(model, "scope_unit_fields", None) or (
        getattr(model, "scope_unit_field", None),
    )
    if None in fields:
        raise TypeError(f"{model.__name__} declares no scope_unit_field; it cannot be scoped")
    q = models.Q(pk__in=[])
    for field in fields:
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        q |= models.Q(**{lookup: unit.path})
    return q


def visible_to(user: Any, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    # Scope lookups follow forward foreign keys only, so an OR of them never repeats a row.
    return queryset.filter(scope_q(user, queryset.model))


def get_visible_or_404(user: Any, queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetch one row in scope; rows outside the scope look exactly like rows that do not exist."""
    try:
        return visible_to(user, queryset).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def unit_in_scope(user: Any, unit: Any) -> bool:
    own = getattr(user, "unit", None)
    return bool(own is not None and unit is not None and unit.path.startswith(own.path))
