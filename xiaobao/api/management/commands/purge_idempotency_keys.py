from datetime import timedelta

from django.core.management.base import BaseCommand

from xiaobao.api.services import idempotency_keys_purge


class Command(BaseCommand):
    help = "Forget Idempotency-Key records older than --days (default 7); run daily from cron."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, **options):
        deleted = idempotency_keys_purge(older_than=timedelta(days=options["days"]))
        self.stdout.write(f"已清理 {deleted} 条过期的幂等键记录。")
