from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def deadline_badge(complaint: Any) -> str:
    """A coloured badge: days left, due today, overdue, paused, or answered on time/late."""
    from xiaobao.complaints.badges import deadline_badge as badge_of

    badge = badge_of(
        status=complaint.status,
        due_at=complaint.due_at,
        timely=complaint.timely,
        now=timezone.now(),
    )
    return format_html('<span class="badge {}">{}</span>', badge["css"], badge["text"])


@register.filter
def status_css(status: str) -> str:
    from xiaobao.complaints.badges import status_css as css

    return css(status)


@register.filter
def action_label(action: str) -> str:
    from xiaobao.complaints.transitions import action_label as label

    return label(action)


@register.filter
def money(value: Any) -> str:
    """Yuan with thousands separators and two decimals (1,234,567.50), as banks write amounts;
    Django's zh-hans number format does not group digits."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)
