"""Spreadsheet cells that stay data: no formula injection in any XLSX or CSV export.

A cell whose text starts with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula by
Excel, WPS and LibreOffice (`=HYPERLINK(…)`, `=IMPORTXML(…)`, DDE). Such text gets a leading
apostrophe, the convention spreadsheet programs and OWASP use for "this is text". Full-width
variants are escaped too: some spreadsheet programs fold them to ASCII on entry.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def escape_formula(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_row(values: list[Any]) -> list[Any]:
    return [escape_formula(v) for v in values]
