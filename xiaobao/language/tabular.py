"""Read a labelled table (CSV or XLSX) for the evaluation and duplicate commands.

CSV files are decoded as UTF-8 (with or without a byte-order mark) or, failing that, GB18030
(a superset of GBK and GB2312, which Chinese Excel writes). XLSX files are read from their first
sheet; rows with nothing in them are skipped (Excel often declares thousands of empty rows).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ENCODINGS = ("utf-8-sig", "gb18030")


class TableError(ValueError):
    """The file cannot be read, or lacks a column that was asked for."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("无法识别文件编码（支持 UTF-8、GB18030/GBK）。")


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(decode(path.read_bytes()), newline=""))
    header = [h.strip() for h in next(reader, [])]
    return header, [row for row in reader if any(cell.strip() for cell in row)]


def _xlsx_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = (
            [_cell(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)
        )
        header: list[str] = []
        for row in rows:
            if any(row):
                header = row
                break
        return header, [row for row in rows if any(row)]
    finally:
        workbook.close()


def read_columns(path: str | Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of `path` as {column: text} for the requested columns, in file order."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt", ""):
        header, rows = _csv_rows(path)
    else:
        raise TableError(f"不支持的文件类型：{suffix}（支持 CSV、XLSX）。")
    missing = [c for c in columns if c not in header]
    if missing:
        raise TableError(f"文件中没有列：{'、'.join(missing)}；可用的列：{'、'.join(header)}")
    where = {c: header.index(c) for c in columns}
    return [{c: _cell(row[i]) if i < len(row) else "" for c, i in where.items()} for row in rows]
