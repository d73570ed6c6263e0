"""The registry page's rows: read as plain values and formatted once, in Python.

A row used to be a model instance with five related instances, and the template looked up
labels, a URL, a date format, the status name and the deadline badge fifteen times per row
through Django's variable resolution: three quarters of the page's CPU. Here each row is read as
one tuple of the columns it shows (`selectors.REGISTRY_COLUMNS`) and turned into the strings the
template prints, so the template only copies fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from xiaobao.complaints.badges import deadline_badge, status_css
from xiaobao.complaints.choices import Status

# Stands for the case id in a reversed detail URL (an int converter takes any digits).
_PK_MARK = "2147483647"


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """What one registry row shows, ready to print."""

    pk: int
    registry_no: str
    title: str
    is_major: bool
    received_at: datetime
    due_at: datetime | None
    url: str
    received: str
    channel: str
    category: str
    cause: str
    unit: str
    handler: str
    status: str
    status_label: str
    status_css: str
    badge_css: str
    badge_text: str


def _label(name: str | None, name_en: str | None, english: bool) -> str:
    """A taxonomy term's label (`TaxonomyTerm.label`) from its two name columns."""
    if english and name_en:
        return name_en
    return name or ""


def _person(username: str | None, display: str, first: str, last: str) -> str:
    """`str(user)` from its columns: the display name, the full name or the login name."""
    return display or f"{first} {last}".strip() or username or ""


def registry_page_rows(values: Iterable[dict[str, Any]], *, now: datetime) -> list[RegistryRow]:
    """The rows of one page, from `registry_rows(...).values(*REGISTRY_COLUMNS)`."""
    english = (get_language() or "").startswith("en")
    labels = {value: str(label) for value, label in Status.choices}
    prefix, _, suffix = reverse("complaints:detail", args=[_PK_MARK]).partition(_PK_MARK)
    zone = timezone.get_current_timezone()
    rows = []
    for v in values:
        status = v["status"]
        badge = deadline_badge(status=status, due_at=v["due_at"], timely=v["timely"], now=now)
        handler = ""
        if v["handler__username"] is not None:
            handler = _person(
                v["handler__username"],
                v["handler__display_name"],
                v["handler__first_name"],
                v["handler__last_name"],
            )
        rows.append(
            RegistryRow(
                pk=v["id"],
                registry_no=v["registry_no"],
                title=v["title"],
                is_major=v["is_major"],
                received_at=v["received_at"],
                due_at=v["due_at"],
                url=f"{prefix}{v['id']}{suffix}",
                received=v["received_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                channel=_label(v["intake_channel__name"], v["intake_channel__name_en"], english),
                category=_label(
                    v["business_category__name"], v["business_category__name_en"], english
                )
                or "—",
                cause=_label(v["cause__name"], v["cause__name_en"], english) or "—",
                unit=v["unit__name"],
                handler=handler or "—",
                status=status,
                status_label=labels.get(status, status),
                status_css=status_css(status),
                badge_css=badge["css"],
                badge_text=badge["text"],
            )
        )
    return rows
