"""`{% main_nav %}`: the staff menu from the navigation registry (`xiaobao.front.nav`)."""

from __future__ import annotations

from typing import Any

from django import template

from xiaobao.front.nav import menu

register = template.Library()


@register.inclusion_tag("front/_nav.html", takes_context=True)
def main_nav(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = context.get("user")
    match = getattr(request, "resolver_match", None)
    return {
        "sections": menu(user, match),
        "request": request,
        "user": user,
        "watch_unread": context.get("watch_unread"),
    }
