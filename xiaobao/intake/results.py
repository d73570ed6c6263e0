"""What an import found: problems (row, column, value, what to do) and counts, kept as JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from xiaobao.lib.errors import render

ERROR = "error"
WARNING = "warning"
# Stored with the run and shown on the page; the report keeps every one of them.
KEEP_ISSUES = 5_000


def stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """An issue's values as JSON: a label or a message (lazy) in every language, so that the page
    shows it in the reader's language however long after the import; anything else as it is."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Promise):
            out[key] = {}
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    out[key][code] = str(value)
        else:
            out[key] = value if isinstance(value, int | float) else str(value)
    return out


@dataclass(frozen=True)
class Issue:
    """One problem: `message` and `fix` are Chinese templates, filled with `params` and
    translated when shown (`text()`, `fix_text()`), so the wizard follows the reader's language."""

    row: int
    column: str
    field: str
    message: str
    severity: str = ERROR
    value: str = ""
    fix: str = ""
    sheet: str = ""
    # from `stored()`; `dataclasses.field` because `field` is also a column here
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def _values(self) -> dict[str, Any]:
        language = translation.get_language() or settings.LANGUAGE_CODE
        return {
            k: (v.get(language) or v.get(settings.LANGUAGE_CODE, "")) if isinstance(v, dict) else v
            for k, v in self.params.items()
        }

    def text(self) -> str:
        return render(self.message, self._values())

    def fix_text(self) -> str:
        return render(self.fix, self._values()) if self.fix else ""

    def where(self) -> str:
        if self.sheet and self.row:
            return gettext("工作表“%(sheet)s”第%(row)s行") % {"sheet": self.sheet, "row": self.row}
        if self.row:
            return gettext("第%(row)s行") % {"row": self.row}
        return (
            gettext("工作表“%(sheet)s”") % {"sheet": self.sheet} if self.sheet else gettext("文件")
        )

    def __str__(self) -> str:
        """One line of the command's output (Chinese: commands run without a language)."""
        col = f"［{self.column}］" if self.column else ""
        kind = gettext("警告") if self.severity == WARNING else gettext("错误")
        fix = gettext(" 处理办法：%(fix)s") % {"fix": self.fix_text()} if self.fix else ""
        return f"{self.where()}{col}{kind}：{self.text()}{fix}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    historical: int = 0
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)  # rows left out (partial mode)
    footers: int = 0
    unknown: dict[str, list[str]] = field(default_factory=dict)  # words to map, by field
    preview: list[dict[str, Any]] = field(default_factory=list)
    first_numbers: list[str] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    partial: bool = False
    committed: bool = False

    @property
    def failed(self) -> bool:
        """All or nothing, and something is wrong: nothing is (or would be) imported."""
        return not self.partial and bool(self.errors or (self.strict and self.warnings))

    def issues(self) -> list[Issue]:
        return sorted(
            [*self.errors, *self.warnings], key=lambda i: (i.sheet, i.row, i.severity, i.column)
        )

    def level(self, issue: Issue) -> str:
        if issue.severity == WARNING:
            return gettext("错误（严格模式）") if self.strict else gettext("警告")
        return gettext("错误（该行未导入）") if self.partial else gettext("错误")

    def report_rows(self) -> Iterator[list[str]]:
        """The downloadable problem report: one line per problem, then the skipped duplicates;
        in the language of whoever downloads it."""
        yield [gettext(h) for h in ("工作表", "行号", "列", "原值", "级别", "问题", "处理办法")]
        for issue in self.issues():
            yield [
                issue.sheet,
                str(issue.row or ""),
                issue.column,
                issue.value,
                self.level(issue),
                issue.text(),
                issue.fix_text(),
            ]
        for row, ref in self.duplicates:
            yield [
                "",
                str(row),
                "",
                ref,
                gettext("跳过"),
                gettext("外部编号“%(ref)s”已导入过。") % {"ref": ref},
                gettext("无需处理（不重复登记）。"),
            ]

    # --- kept with a background run ---

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(i) for i in self.errors[:KEEP_ISSUES]]
        data["warnings"] = [asdict(i) for i in self.warnings[:KEEP_ISSUES]]
        data["error_count"], data["warning_count"] = len(self.errors), len(self.warnings)
        data["preview"] = [
            {**p, "received_at": p["received_at"].isoformat() if p.get("received_at") else ""}
            for p in self.preview
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportResult:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        result = cls(**known)
        result.errors = [Issue(**i) for i in data.get("errors", [])]
        result.warnings = [Issue(**i) for i in data.get("warnings", [])]
        result.duplicates = [(int(r), str(ref)) for r, ref in data.get("duplicates", [])]
        return result
