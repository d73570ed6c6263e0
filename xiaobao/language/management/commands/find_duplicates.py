import json

from django.core.management.base import BaseCommand, CommandError

from xiaobao.language.duplicates import SIMILAR_TEXT, cluster_texts
from xiaobao.language.tabular import TableError, read_columns


class Command(BaseCommand):
    help = "Group the rows of a CSV/XLSX file whose texts tell the same matter (near-duplicates)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX file with a header row")
        parser.add_argument(
            "--text-col", action="append", required=True, dest="text_cols", help="repeatable"
        )
        parser.add_argument("--id-col", required=True, help="the column that names each row")
        parser.add_argument(
            "--threshold", type=float, default=SIMILAR_TEXT, help="similarity 0–1 (default 0.5)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object only")

    def handle(self, *args, **options):
        text_cols, id_col = options["text_cols"], options["id_col"]
        try:
            rows = read_columns(options["file"], [id_col, *text_cols])
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        items = [(r[id_col], "\n".join(r[c] for c in text_cols)) for r in rows]
        groups = cluster_texts(items, threshold=options["threshold"])
        if options["json"]:
            self.stdout.write(json.dumps({"n": len(items), "groups": groups}, ensure_ascii=False))
            return
        self.stdout.write(f"{len(items)} rows, {len(groups)} group(s) of near-duplicates")
        for group in groups:
            self.stdout.write("  " + ", ".join(str(i) for i in group))
