from django.core.management.base import BaseCommand

from xiaobao.privacy.services import retention_run


class Command(BaseCommand):
    help = (
        "Anonymise records whose retention period has expired; records on legal hold are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")

    def handle(self, *args, **options):
        for name, result in retention_run(dry_run=options["dry_run"]).items():
            self.stdout.write(f"{name}: {result}")
