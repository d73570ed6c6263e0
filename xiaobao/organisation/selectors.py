"""Reads over the organisation, always through the branch scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from xiaobao.organisation.models import Department, ResponsiblePerson, Unit, User
from xiaobao.organisation.scope import visible_to


def unit_tree(*, user: Any) -> QuerySet[Unit]:
    """Units in scope in tree order, with their direct staff count."""
    return (
        visible_to(user, Unit.objects.all())
        .annotate(staff_count=Count("staff", filter=Q(staff__is_active=True)))
        .order_by("path")
    )


def staff_list(*, user: Any, unit: Unit | None = None, query: str = "") -> QuerySet[User]:
    qs = visible_to(user, User.objects.select_related("unit", "department")).prefetch_related(
        "groups"
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(title__icontains=query)
        )
    return qs.order_by("unit__path", "username")


def department_list(*, user: Any, unit: Unit) -> QuerySet[Department]:
    return visible_to(user, Department.objects.filter(unit=unit)).order_by("code")


def responsible_persons(
    *, user: Any, unit: Unit | None = None, current_only: bool = False
) -> QuerySet[ResponsiblePerson]:
    qs = visible_to(user, ResponsiblePerson.objects.select_related("unit", "user"))
    if unit is not None:
        qs = qs.filter(unit=unit)
    if current_only:
        qs = qs.filter(end_date__isnull=True)
    return qs.order_by("unit__path", "duty", "-start_date")


def institution_name() -> str:
    """The institution's own name, as consumers know it: the root unit's name without the
    "总行"/"总公司" that marks the head office (锦程银行总行 → 锦程银行)."""
    root = Unit.objects.filter(parent__isnull=True).order_by("pk").only("name").first()
    if root is None:
        return ""
    for suffix in ("总行", "总公司"):
        if root.name.endswith(suffix) and len(root.name) > len(suffix):
            return root.name.removesuffix(suffix)
    return root.name
