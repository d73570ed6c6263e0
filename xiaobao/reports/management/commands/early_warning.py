from datetime import date

from django.core.management.base import BaseCommand, CommandError

from xiaobao.lib.errors import DomainError
from xiaobao.reports.services import early_warning_run
from xiaobao.reports.warning import METHOD


class Command(BaseCommand):
    help = (
        "Look for unusual rises, repeat complainants and clusters of similar complaints and raise "
        "alerts to the consumer-protection office (run daily from cron; safe to repeat)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, help="run day (default: today)")
        parser.add_argument("--unit", help="unit code (default: the whole institution)")
        parser.add_argument("--dry-run", action="store_true", help="report findings, store nothing")

    def handle(self, *args, **options):
        if options["verbosity"] > 1:
            for line in METHOD.describe():
                self.stdout.write(line)
        try:
            found = early_warning_run(
                as_of=options["as_of"], unit_code=options["unit"], dry_run=options["dry_run"]
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for item in found:
            self.stdout.write(f"{item.kind}\t{item.subject}\t{item.count}")
        verb = "would raise" if options["dry_run"] else "raised"
        self.stdout.write(f"{verb} {len(found)} alert(s)")
