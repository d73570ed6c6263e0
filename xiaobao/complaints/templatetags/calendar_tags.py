"""The calendar banner: administrators are told on every page while a year is unknown."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("complaints/_calendar_banner.html", takes_context=True)
def calendar_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("complaints.add_calendarday"):
        return {"warning": ""}
    from xiaobao.complaints.calendar import unknown_year, warning_text

    year = unknown_year()
    return {"warning": warning_text(year) if year else ""}
