"""Renderers: reports build `Sheet`s (rows) and these write them as XLSX; DOCX helpers too."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from xiaobao.lib.spreadsheet import escape_formula

# Where the header and the first data row sit on every sheet, so readers (and tests) find them.
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 4, 5

FORMATS = {
    "text": "@",
    "count": "0",
    "rate": "0.0%",
    "days": "0.0",
    "money": "#,##0.00",
    "ratio": "0.00",
}
_THIN = Side(style="thin", color="9AA5B1")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
_TOTAL_FILL = PatternFill("solid", fgColor="FDF2F2")


@dataclass
class Column:
    label: str
    kind: str = "count"  # a key of FORMATS
    width: int | None = None


@dataclass
class Sheet:
    """One worksheet: a title, columns, rows (the last may be a total) and notes."""

    name: str  # the tab name (at most 31 characters)
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    subtitle: str = ""
    notes: list[str] = field(default_factory=list)
    total_last: bool = False
    paragraphs: list[str] = field(default_factory=list)  # text printed under the table

    def header(self) -> list[str]:
        return [c.label for c in self.columns]


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return escape_formula(value)


def write_xlsx(sheets: Iterable[Sheet]) -> bytes:
    """The sheets as one XLSX workbook."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])
        ws.cell(TITLE_ROW, 1, sheet.title).font = Font(bold=True, size=14)
        if sheet.subtitle:
            ws.cell(SUBTITLE_ROW, 1, sheet.subtitle).font = Font(color="52606D")
        for col, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(HEADER_ROW, col, column.label)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            width = column.width or max(10, min(40, 2 * len(column.label) + 2))
            ws.column_dimensions[get_column_letter(col)].width = width
        for r, values in enumerate(sheet.rows):
            row_no = FIRST_DATA_ROW + r
            is_total = sheet.total_last and r == len(sheet.rows) - 1
            for col, (column, value) in enumerate(zip(sheet.columns, values, strict=False), 1):
                cell = ws.cell(row_no, col, _cell_value(value))
                cell.border = _BORDER
                if value is not None and column.kind != "text":
                    cell.number_format = FORMATS[column.kind]
                if is_total:
                    cell.font = Font(bold=True)
                    cell.fill = _TOTAL_FILL
        ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 3 if len(sheet.columns) > 2 else 2)
        row_no = FIRST_DATA_ROW + len(sheet.rows) + 1
        for text in sheet.paragraphs:
            cell = ws.cell(row_no, 1, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=8)
            ws.row_dimensions[row_no].height = max(30, 16 * (len(text) // 60 + 1))
            row_no += 1
        if sheet.notes:
            row_no += 1
            ws.cell(row_no, 1, "说明：").font = Font(bold=True)
            for note in sheet.notes:
                row_no += 1
                ws.cell(row_no, 1, note).alignment = Alignment(wrap_text=False)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def read_sheet(ws: Any) -> tuple[list[str], list[list[Any]]]:
    """The header and data rows of a sheet written by `write_xlsx` (for checks and tests)."""
    header = [c.value for c in ws[HEADER_ROW] if c.value is not None]
    rows = []
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        values = list(row[: len(header)])
        if all(v is None for v in values):
            break
        rows.append(values)
    return header, rows


# --- DOCX ----------------------------------------------------------------------------------------


def docx_set_chinese_font(
    document: Any, latin: str = "Times New Roman", east: str = "宋体"
) -> None:
    """Body text in 宋体 (Latin in Times New Roman), the institutions' usual house style."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid"):
        try:
            style = document.styles[style_name]
        except KeyError:
            continue
        style.font.name = latin
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "黑体" if style_name.startswith(("Heading", "Title")) else east)
        if style_name == "Normal":
            style.font.size = Pt(12)


def docx_table(document: Any, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)
    return table


def docx_bytes(document: Any) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()
