from django.core.management.base import BaseCommand, CommandError

from xiaobao.reports import rollups
from xiaobao.reports.facts import reconcile


class Command(BaseCommand):
    help = (
        "Recount the statistics store (one fact per case, the complainants' person keys, the "
        "monthly rollups) from the registry and report what differs; --fix rewrites it. Exits 1 "
        "when differences remain, so cron or CI notices."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="rewrite what differs")

    def handle(self, *args, **options):
        found = reconcile(fix=options["fix"])
        # After the facts: the rollups are recounted from the facts (as fixed).
        months = rollups.reconcile(fix=options["fix"])
        for name in ("missing", "orphans", "stale", "people"):
            self.stdout.write(f"{name}\t{getattr(found, name)}")
        self.stdout.write(f"rollup months\t{months}")
        total = found.total + months
        if not total:
            self.stdout.write("the statistics store equals a recount from the registry")
        elif options["fix"]:
            self.stdout.write(f"fixed {total} difference(s)")
        else:
            raise CommandError(f"{total} difference(s); run with --fix to repair them")
