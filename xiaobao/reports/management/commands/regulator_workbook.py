from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaobao.lib.errors import DomainError
from xiaobao.reports.selectors import viewer_for
from xiaobao.reports.workbook import ReportPeriod, regulator_workbook


class Command(BaseCommand):
    help = (
        "Write the quarterly (or annual) complaint statistics for the regulator as an Excel "
        "workbook: JR/T 0169 axes by unit, intake channels, timeliness, annual disclosure."
    )

    def add_arguments(self, parser):
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--quarter", help="e.g. 2026Q3")
        period.add_argument("--year", help="e.g. 2026")
        parser.add_argument("--unit", help="unit code (default: the whole institution)")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")

    def handle(self, *args, **options):
        code = options["quarter"] or options["year"]
        if options["quarter"] and "Q" not in code.upper():
            raise CommandError("--quarter 须形如 2026Q3。")
        try:
            period = ReportPeriod.parse(code)
            viewer = viewer_for(options["unit"])
            content = regulator_workbook(viewer=viewer, period=period)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        Path(options["out"]).write_bytes(content)
        self.stdout.write(f"{viewer.unit.name} {period.label}: {options['out']}")
