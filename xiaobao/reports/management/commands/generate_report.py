from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaobao.lib.errors import DomainError
from xiaobao.reports.choices import RunKind
from xiaobao.reports.selectors import viewer_for
from xiaobao.reports.services import report_build


class Command(BaseCommand):
    help = (
        "Generate a report file. `work-summary --from DATE --to DATE --out FILE.docx [--unit CODE]` "
        "drafts the period's work summary (工作总结) as Word (FILE.pdf: as PDF); `regulator-workbook --period 2026Q3 "
        "--out FILE.xlsx` writes the regulator's statistics. Without --unit: the whole institution."
    )

    def add_arguments(self, parser):
        reports = parser.add_subparsers(dest="report", required=True)
        summary = reports.add_parser("work-summary", help="工作总结 (Word)")
        summary.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
        summary.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
        workbook = reports.add_parser("regulator-workbook", help="监管统计报表 (Excel)")
        workbook.add_argument("--period", required=True, help="2026Q3 or 2026")
        for sub in (summary, workbook):
            sub.add_argument("--unit", help="unit code (default: the whole institution)")
            sub.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args, **options):
        if options["report"] == "work-summary":
            if options["first"] > options["last"]:
                raise CommandError("--from 不能晚于 --to。")
            kind = RunKind.WORK_SUMMARY
            params = {"from": options["first"].isoformat(), "to": options["last"].isoformat()}
            if options["out"].lower().endswith(".pdf"):
                params["format"] = "pdf"  # printed by headless Chromium with CJK fonts
        else:
            kind, params = RunKind.REGULATOR_WORKBOOK, {"period": options["period"]}
        try:
            viewer = viewer_for(options["unit"])
            _name, content = report_build(kind=kind, unit=viewer.unit, params=params)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        Path(options["out"]).write_bytes(content)
        self.stdout.write(f"{viewer.unit.name}: {options['out']}")
