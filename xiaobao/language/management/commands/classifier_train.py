import json

from django.core.management.base import BaseCommand

from xiaobao.language.choices import Target
from xiaobao.language.classifier import MAX_TRAINING_CASES, classifier_train_all


class Command(BaseCommand):
    help = (
        "Train the classifiers on the institution's closed cases; a new version replaces the "
        "active one only if it is at least as good on held-out cases."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--target",
            action="append",
            choices=Target.values,
            dest="targets",
            help="category, cause or demand (repeatable; default: all three)",
        )
        parser.add_argument(
            "--max-cases",
            type=int,
            default=MAX_TRAINING_CASES,
            help=f"train on the newest N labelled cases (default {MAX_TRAINING_CASES})",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        results = classifier_train_all(
            targets=options["targets"], max_cases=max(1, options["max_cases"])
        )
        if options["json"]:
            self.stdout.write(
                json.dumps([r.as_dict() for r in results], ensure_ascii=False, default=str)
            )
            return
        for r in results:
            metrics = r.metrics
            figures = (
                f" accuracy={metrics['accuracy']} macro_f1={metrics['macro_f1']} "
                f"top3={metrics['top3_accuracy']}"
                if "accuracy" in metrics
                else ""
            )
            self.stdout.write(f"{r.target}: {r.outcome}{figures} — {r.message}")
