"""What an import found: problems (row, column, value, what to do) and counts, kept as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
# Stored with the run and shown on the page; the report keeps every one of them.
KEEP_ISSUES = 5_000


@dataclass(frozen=True)
class Issue:
    row: int
    column: str
    field: str
    message: str
    severity: str = ERROR
    value: str = ""
    fix: str = ""
    sheet: str = ""

    def where(self) -> str:
        sheet = f"工作表“{self.sheet}”" if self.sheet else ""
        return f"{sheet}第{self.row}行" if self.row else (sheet or "文件")

    def __str__(self) -> str:
        col = f"［{self.column}］" if self.column else ""
        kind = "警告" if self.severity == WARNING else "错误"
        fix = f" 处理办法：{self.fix}" if self.fix else ""
        return f"{self.where()}{col}{kind}：{self.message}{fix}"


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
            return "错误（严格模式）" if self.strict else "警告"
        return "错误（该行未导入）" if self.partial else "错误"

    def report_rows(self) -> Iterator[list[str]]:
        """The downloadable problem report: one line per problem, then the skipped duplicates."""
        yield ["工作表", "行号", "列", "原值", "级别", "问题", "处理办法"]
        for issue in self.issues():
            yield [
                issue.sheet,
                str(issue.row or ""),
                issue.column,
                issue.value,
                self.level(issue),
                issue.message,
                issue.fix,
            ]
        for row, ref in self.duplicates:
            yield [
                "",
                str(row),
                "",
                ref,
                "跳过",
                f"外部编号“{ref}”已导入过。",
                "无需处理（不重复登记）。",
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
