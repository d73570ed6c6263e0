import argparse
import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaobao.intake.fields import FIELD_SPECS, REQUIRED
from xiaobao.intake.importing import (
    ImportFileError,
    MappingError,
    import_complaints,
    importer_user,
    parse_mapping,
)
from xiaobao.intake.reading import ALL_SHEETS
from xiaobao.organisation.models import User


def _fields_help() -> str:
    width = max(len(spec.name) for spec in FIELD_SPECS)
    lines = ["FIELD names (--map FIELD=COLUMN; a column named exactly like a field maps itself):"]
    for spec in FIELD_SPECS:
        mark = "*" if spec.name in REQUIRED else " "
        note = f" — {spec.help}" if spec.help else ""
        lines.append(f"  {mark} {spec.name:<{width}}  {spec.label}{note}")
    lines += [
        "  (* required; unit and channel are required unless --unit / --channel is given)",
        "",
        "The header is the first row that looks like one (a title row above it is skipped);",
        "--header-row N chooses it. 合计/小计 rows are skipped with a warning. Rows with",
        "decision_text and decided_at are historical answered cases: registered, accepted,",
        "decided and notified at their real times. Nothing is imported if any row fails,",
        "unless --partial (the valid rows are imported, the others reported); re-importing",
        "a file skips rows whose external_ref + channel already exist. On PostgreSQL the",
        "registry numbers are reserved chunk by chunk, so other registrations go on meanwhile;",
        "numbers a failed import cannot give back are listed in the audit log (registry_numbers.*).",
        "",
        "Example:",
        "  manage.py import_complaints 12345.xlsx --channel R12345 --unit BR-HZ \\",
        "    --map external_ref=工单编号 title=标题 narrative=诉求内容 received_at=受理时间 \\",
        "          complainant_name=来电人 complainant_phone=联系电话 --partial",
    ]
    return "\n".join(lines)


def parse_values(pairs: list[str]) -> dict[str, dict[str, str]]:
    """["channel:柜面=COUNTER", …] → {"channel": {"柜面": "COUNTER"}}."""
    values: dict[str, dict[str, str]] = {}
    for pair in pairs:
        name, sep, rest = pair.partition(":")
        word, sep2, code = rest.partition("=")
        if not (sep and sep2 and name and word and code):
            raise CommandError(f"值对应“{pair}”格式不正确，应为 字段:原值=代码。")
        values.setdefault(name.strip(), {})[word.strip()] = code.strip()
    return values


class Command(BaseCommand):
    help = "Import complaints from a CSV (UTF-8 or GB18030) or XLSX file: all rows or none, or --partial."

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("epilog", _fields_help())
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument(
            "--map",
            nargs="+",
            action="extend",
            default=[],
            metavar="FIELD=COLUMN",
            help="which column holds which field (see the list below)",
        )
        parser.add_argument(
            "--value",
            nargs="+",
            action="extend",
            default=[],
            metavar="FIELD:WORD=CODE",
            help="the institution's own word for a unit, channel or term, e.g. channel:柜面=COUNTER",
        )
        parser.add_argument(
            "--channel", help="intake channel code for rows without one (e.g. R12345)"
        )
        parser.add_argument("--unit", help="responsible unit code for rows without one")
        parser.add_argument(
            "--sheet", help=f"worksheet name (default: the first with data; {ALL_SHEETS} for all)"
        )
        parser.add_argument(
            "--header-row", type=int, help="row number of the header (default: detected)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )
        parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="import the valid rows and report the others (default: all rows or none)",
        )
        parser.add_argument(
            "--user", help="act as this member of staff (default: the system importer account)"
        )
        parser.add_argument(
            "--report", help="write every problem to this CSV file (UTF-8 with BOM)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"找不到在职员工 {options['user']}。")
        else:
            actor = None
        try:
            result = import_complaints(
                actor=actor or importer_user(),
                path=path,
                mapping=parse_mapping(options["map"]),
                values=parse_values(options["value"]),
                channel=options["channel"],
                unit=options["unit"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                partial=options["partial"],
                sheet=options["sheet"],
                header_row=options["header_row"],
            )
        except MappingError as exc:
            hints = " ".join(
                {"unit": "--unit 机构代码", "channel": "--channel 渠道代码"}.get(
                    m, f"--map {m}=列名"
                )
                for m in exc.missing
            )
            raise CommandError(f"{exc} 请用 {hints} 指定。") from exc
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

        for issue in result.issues():
            self.stdout.write(str(issue))
        if options["report"]:
            with open(options["report"], "w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerows(result.report_rows())
        summary = (
            f"共 {result.rows} 行：可登记 {result.created} 件（其中已答复的历史投诉 {result.historical} 件），"
            f"跳过已导入的重复 {len(result.duplicates)} 行，错误 {len(result.errors)} 处，"
            f"警告 {len(result.warnings)} 处。"
        )
        if result.partial and result.rejected:
            summary += f"未导入 {len(result.rejected)} 行（见上方问题）。"
        if result.failed:
            reason = "存在警告（严格模式）" if not result.errors else "存在错误"
            raise CommandError(f"{summary}\n{reason}，未导入任何数据。")
        if result.dry_run:
            self.stdout.write(self.style.SUCCESS(f"{summary}\n校验通过（试运行，未导入）。"))
        elif result.committed:
            self.stdout.write(self.style.SUCCESS(f"{summary}\n已导入。"))
        else:
            self.stdout.write(f"{summary}\n没有可导入的新投诉。")
