import json
import time

from django.core.management.base import BaseCommand, CommandError

from xiaobao.language.classifier import cross_validate, samples_from_fields
from xiaobao.language.tabular import TableError, read_columns


class Command(BaseCommand):
    help = (
        "Cross-validate the complaint classifier on a labelled CSV/XLSX file and print accuracy, "
        "macro-F1 and top-3 accuracy."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX file with a header row")
        parser.add_argument(
            "--text-col",
            action="append",
            required=True,
            dest="text_cols",
            help="a text column; repeat for several (the first is treated as the title)",
        )
        parser.add_argument("--label-col", required=True, help="the column with the class")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0, help="shuffle seed for the folds")
        parser.add_argument("--json", action="store_true", help="print one JSON object only")

    def handle(self, *args, **options):
        text_cols, label_col = options["text_cols"], options["label_col"]
        try:
            rows = read_columns(options["file"], [*text_cols, label_col])
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        rows = [r for r in rows if r[label_col]]
        samples = samples_from_fields([[r[c] for c in text_cols] for r in rows])
        labels = [r[label_col] for r in rows]
        started = time.perf_counter()
        try:
            result = cross_validate(
                samples, labels, folds=options["folds"], seed=options["seed"], baseline=True
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(f"seconds: {time.perf_counter() - started:.1f}")
