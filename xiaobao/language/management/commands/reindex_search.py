import time

from django.core.management.base import BaseCommand

from xiaobao.language.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the full-text search documents of every case (or only the stale ones)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="cases per transaction")
        parser.add_argument(
            "--workers", type=int, default=1, help="processes that segment text in parallel"
        )
        parser.add_argument(
            "--stale",
            action="store_true",
            help="only cases never indexed, changed since, or indexed by an older analyzer",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        verbose = options["verbosity"] > 1

        def progress(done: int) -> None:
            if verbose:
                self.stdout.write(f"  {done} …")

        done = search_reindex(
            batch=max(1, options["batch"]),
            stale_only=options["stale"],
            workers=max(1, options["workers"]),
            progress=progress,
        )
        seconds = time.perf_counter() - started
        self.stdout.write(f"indexed {done} case(s) in {seconds:.1f}s")
