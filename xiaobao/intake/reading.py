"""Reading a spreadsheet as offices keep them: a stream of (sheet, row number, values).

Real files are messy: GB18030 or UTF-8 (with or without BOM), a title row or two above the header
("杭州市12345热线转办明细表"), merged cells, one sheet per year, 合计/小计 rows at the bottom,
sheets that declare 65,000 rows but hold 500. Rows are read one at a time (CSV reader, openpyxl
read-only), so a 100,000-row file never sits in memory.

An XLSX file is a zip archive: before openpyxl sees it, the archive's declared sizes are checked,
so a small upload that would unpack to hundreds of megabytes is refused (`MAX_UNPACKED_BYTES`,
`MAX_RATIO`), and every failure to read a file is an `ImportFileError` with a Chinese message.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from xml.etree.ElementTree import iterparse

from django.conf import settings

from xiaobao.intake.values import blank, one_line
from xiaobao.lib.errors import DomainError, lazy_list

# Narratives can be long; the csv module's default cap (128 KiB per field) is not a real limit.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

ALL_SHEETS = "*"
HEADER_SCAN_ROWS = 30
FOOTER_WORDS = ("合计", "小计", "总计", "共计", "总数", "制表", "填表", "审核人", "负责人：")


def limit(name: str) -> int:
    """Import limits from settings.XIAOBAO_IMPORT (see settings.py for the defaults)."""
    return int(settings.XIAOBAO_IMPORT[name])


class ImportFileError(DomainError):
    """The file or the mapping cannot be used at all (nothing was read row by row)."""

    code = "invalid_file"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030 (⊃ GBK)."""
    with path.open("rb") as handle:
        if b"\x00" in handle.read(1 << 16):  # UTF-16 or a binary file renamed .csv
            raise ImportFileError(
                "无法读取该 CSV 文件：它不是文本文件（可能是其他格式改了扩展名）。"
                "请在 Excel 中另存为 CSV（UTF-8）后重试。"
            )
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 16):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError("无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV。")


def _delimiter(handle: TextIO) -> str:
    first = handle.readline()
    handle.seek(0)
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_archive(path: Path) -> None:
    """Refuse an XLSX whose contents would unpack far beyond its size (a zip bomb) or is no zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            "无法读取该 Excel 文件：文件已损坏，或不是真正的 .xlsx 文件（可在 Excel 中另存为 .xlsx 后重试）。"
        ) from exc
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    cap = limit("MAX_UNPACKED_BYTES")
    if unpacked > cap or (unpacked > 10 * 1024 * 1024 and unpacked / packed > limit("MAX_RATIO")):
        raise ImportFileError(
            "该 Excel 文件解压后有 %(unpacked)s MB（压缩前 %(packed)s KB），超过允许的 %(cap)s MB "
            "或压缩比异常，已拒绝。请删除无关的工作表、图片后重试，或另存为 CSV。",
            params={
                "unpacked": unpacked // 1024 // 1024,
                "packed": packed // 1024,
                "cap": cap // 1024 // 1024,
            },
        )


@dataclass(frozen=True)
class Merge:
    min_row: int
    max_row: int
    min_col: int
    max_col: int


def _merges(book: Any, sheet: Any) -> list[Merge]:
    """The sheet's merged ranges, read from its XML (openpyxl's read-only mode does not)."""
    from openpyxl.utils.cell import range_boundaries

    path = getattr(sheet, "_worksheet_path", None)
    archive = getattr(book, "_archive", None)
    if not path or archive is None:
        return []
    found = []
    with archive.open(path) as source:
        for _event, element in iterparse(source):
            if element.tag.endswith("}mergeCell"):
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                found.append(Merge(min_row, max_row, min_col, max_col))
            element.clear()
    return found


class Table:
    """A header and a stream of (sheet, row number, values); row numbers are what Excel shows.

    `header_row` chooses the header; without it the first header-like row of the first rows is
    taken (a title row above it is skipped). `sheet` chooses a worksheet, `ALL_SHEETS` reads every
    sheet whose header has the same columns (one sheet per year), in the first sheet's order.
    """

    def __init__(self, path: Path, sheet: str | None = None, header_row: int | None = None) -> None:
        self.path = path
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self.kind = "xlsx"
        elif suffix in (".csv", ".txt", ".tsv"):
            self.kind = "csv"
        elif suffix == ".xls":
            raise ImportFileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv。")
        else:
            raise ImportFileError("只支持 .csv 和 .xlsx 文件。")
        if path.stat().st_size > limit("MAX_BYTES"):
            raise ImportFileError(
                "文件超过 %(megabytes)s MB，请拆分为多个文件后导入。",
                params={"megabytes": limit("MAX_BYTES") // 1024 // 1024},
            )
        self.encoding = detect_encoding(path) if self.kind == "csv" else ""
        if self.kind == "xlsx":
            check_archive(path)
        self.sheet_names = self._sheet_names()
        self.all_sheets = sheet == ALL_SHEETS
        if sheet and not self.all_sheets and sheet not in self.sheet_names:
            raise ImportFileError(
                "工作表“%(sheet)s”不存在；文件中的工作表：%(sheets)s。",
                params={"sheet": sheet, "sheets": lazy_list(self.sheet_names)},
            )
        self.sheet = sheet if sheet and not self.all_sheets else self._first_sheet_with_data()
        self.chosen_header_row = header_row
        self.header_row, self.headers = self._header(self.sheet, header_row)

    # --- raw rows ---

    def _open_book(self) -> Any:
        import openpyxl

        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise ImportFileError(
                "无法读取该 Excel 文件：文件已损坏或格式不受支持（可在 Excel 中另存为 .xlsx 后重试）。"
            ) from exc

    def _sheet_names(self) -> list[str]:
        if self.kind == "csv":
            return [""]
        book = self._open_book()
        try:
            return list(book.sheetnames)
        finally:
            book.close()

    def raw(self, sheet: str) -> Iterator[tuple[int, list[Any]]]:
        if self.kind == "csv":
            try:
                with self.path.open(encoding=self.encoding, newline="") as handle:
                    reader = csv.reader(handle, delimiter=_delimiter(handle))
                    yield from enumerate(reader, start=1)
            except csv.Error as exc:
                raise ImportFileError(
                    "无法读取该 CSV 文件（%(error)s）：请在 Excel 中另存为 CSV（UTF-8）后重试。",
                    params={"error": exc},
                ) from exc
            return
        book = self._open_book()
        try:
            ws = book[sheet]
            merges = _merges(book, ws)
            carried: dict[Merge, Any] = {}
            try:
                # Read-only sheets fill gaps with empty rows, so enumerate gives the real number.
                for number, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                    values = list(row)
                    for merge in merges:
                        if merge.min_row <= number <= merge.max_row:
                            _fill(values, merge, number, carried)
                    yield number, values
            except ImportFileError:
                raise
            except Exception as exc:
                raise ImportFileError(
                    "读取工作表“%(sheet)s”时出错：文件内容已损坏"
                    "（可在 Excel 中另存为 .xlsx 后重试）。",
                    params={"sheet": sheet},
                ) from exc
        finally:
            book.close()

    def _first_sheet_with_data(self) -> str:
        for name in self.sheet_names:
            for _number, values in self.raw(name):
                if any(not blank(v) for v in values):
                    return name
        raise ImportFileError("文件中没有数据（找不到表头行）。")

    # --- header ---

    def candidates(self) -> list[tuple[int, str]]:
        """Rows to choose the header from: (number, what it shows). Rows above the detected
        header and the header itself show their text (titles, column names); the data rows
        after it only say so, since they hold personal data."""
        out = []
        for number, values in self.raw(self.sheet):
            if number > min(HEADER_SCAN_ROWS, self.header_row + 5):
                break
            cells = [one_line(v) for v in values if not blank(v)]
            if not cells:
                continue
            if number <= self.header_row:
                out.append((number, " | ".join(cells)[:120]))
            else:
                out.append((number, f"（数据行，{len(cells)} 个单元格）"))
        return out

    def _header(self, sheet: str, chosen: int | None) -> tuple[int, list[str]]:
        scanned: list[tuple[int, list[str]]] = []
        for number, values in self.raw(sheet):
            if chosen is not None and number == chosen:
                return number, _headers(values)
            if chosen is None and number > HEADER_SCAN_ROWS:
                break
            if chosen is None:
                scanned.append((number, _headers(values)))
        if chosen is not None:
            raise ImportFileError(
                "第%(row)s行不存在，请重新选择表头所在行。", params={"row": chosen}
            )
        found = detect_header(scanned)
        if found is None:
            raise ImportFileError("文件中没有数据（找不到表头行）。")
        return found

    # --- data rows ---

    def rows(self) -> Iterator[tuple[str, int, list[Any]]]:
        sheets = self.sheet_names if self.all_sheets else [self.sheet]
        for sheet in sheets:
            if sheet == self.sheet:
                header_row, order = self.header_row, None
            else:
                try:
                    header_row, headers = self._header(sheet, None)
                except ImportFileError:
                    continue  # an empty sheet (a chart) has nothing to import
                if not set(headers) & {h for h in self.headers if h}:
                    continue  # a sheet of notes ("说明") shares no column with the ledger
                order = self._reorder(sheet, headers)
            for number, values in self.raw(sheet):
                if number <= header_row or all(blank(v) for v in values):
                    continue  # sheets often declare tens of thousands of empty rows
                if order is not None:
                    values = [
                        values[i] if i is not None and i < len(values) else None for i in order
                    ]
                yield sheet, number, values

    def _reorder(self, sheet: str, headers: list[str]) -> list[int | None]:
        missing = [h for h in self.headers if h and h not in headers]
        if missing:
            raise ImportFileError(
                "工作表“%(sheet)s”的表头与“%(first)s”不同（缺少：%(missing)s），"
                "不能一并导入；请逐个工作表导入。",
                params={"sheet": sheet, "first": self.sheet, "missing": lazy_list(missing)},
            )
        return [headers.index(h) if h else None for h in self.headers]


def _fill(values: list[Any], merge: Merge, number: int, carried: dict[Merge, Any]) -> None:
    """A merged range shows its top-left value in every cell it covers."""
    first = merge.min_col - 1
    if number == merge.min_row:
        carried[merge] = values[first] if first < len(values) else None
    value = carried.get(merge)
    if len(values) < merge.max_col:
        values.extend([None] * (merge.max_col - len(values)))
    for col in range(first, merge.max_col):
        if col != first or number != merge.min_row:
            values[col] = value


def _headers(values: list[Any]) -> list[str]:
    headers = [one_line(v) for v in values]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def detect_header(scanned: list[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The first row that looks like a header: known column titles, or several short labels.

    A title row ("杭州市12345热线转办明细表", merged across the width) has one filled cell; a
    header has several distinct short texts that are not numbers or dates.
    """
    from xiaobao.intake.fields import KNOWN_TITLES

    rows = [(n, h) for n, h in scanned if any(h)]
    if not rows:
        return None
    for number, headers in rows:
        if sum(1 for h in headers if h in KNOWN_TITLES) >= 2:
            return number, headers
    widest = max(sum(1 for h in headers if h) for _n, headers in rows)
    for number, headers in rows:
        filled = [h for h in headers if h]
        labels = [h for h in filled if len(h) <= 20 and not re.fullmatch(r"[\d\s.:/\-年月日]+", h)]
        if (
            len(filled) >= 2
            and len(filled) * 2 >= widest
            and len(labels) == len(filled)
            and len(set(filled)) == len(filled)
        ):
            return number, headers
    return rows[0]


def footer_word(values: list[Any], width: int) -> str:
    """合计/小计/制表人 … in one of the first cells of a sparse row: a footer, not a case."""
    if sum(1 for v in values if not blank(v)) > max(3, width // 2):
        return ""
    for value in values[:4]:
        cell = one_line(value)
        if not cell:
            continue
        for word in FOOTER_WORDS:
            if cell.startswith(word) or cell.replace(" ", "").startswith(word):
                return word
    return ""
