"""The campaign report form as XLSX: rows yielded from the selectors, written by openpyxl."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from xiaobao.organisation.models import Unit
from xiaobao.outreach import report_form, selectors
from xiaobao.outreach.models import Campaign


def campaign_rows(campaign: Campaign, unit: Unit) -> Iterator[list[Any]]:
    """Header, one row per unit below `unit`, then the total of `unit`'s subtree."""
    labels = report_form.columns()
    keys = list(campaign.report_columns)
    yield ["机构", *(str(labels[k]) for k in keys)]
    for child, figures in selectors.campaign_rows(campaign, unit):
        yield [child.name, *(figures[k] for k in keys)]
    totals = selectors.campaign_figures(campaign, unit)
    yield ["合计", *(totals[k] for k in keys)]


def campaign_xlsx(campaign: Campaign, unit: Unit) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "汇总"
    sheet.append([f"{campaign.name}（{unit.name}）"])
    sheet["A1"].font = Font(bold=True, size=13)
    for row in campaign_rows(campaign, unit):
        sheet.append(row)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
