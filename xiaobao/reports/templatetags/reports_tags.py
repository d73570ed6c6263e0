"""Formatting filters for the reports pages (the same formats the documents use)."""

from __future__ import annotations

from typing import Any

from django import template

from xiaobao.reports.charts import fmt

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """0.8333 → "83.3%"; None → "—"."""
    return fmt(value, "rate")


@register.filter
def days(value: Any) -> str:
    return fmt(value, "days")


@register.filter
def money(value: Any) -> str:
    return fmt(value, "money")


@register.filter
def ratio(value: Any) -> str:
    return fmt(value, "ratio")
