import time

from django.core.management.base import BaseCommand

from xiaobao.jobs.services import run_pending


class Command(BaseCommand):
    help = (
        "Run queued background jobs (once, or forever with --loop); safe to run on many machines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, polling for work")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--limit", type=int, default=100, help="jobs per pass")

    def handle(self, *args, **options):
        try:
            self._loop(options)
        except KeyboardInterrupt:  # Ctrl-C (dev.py run): the current job's transaction rolled back
            return

    def _loop(self, options):
        while True:
            ran = run_pending(limit=options["limit"])
            if ran:
                self.stdout.write(f"ran {ran} job(s)")
            if not options["loop"]:
                return
            if not ran:
                time.sleep(options["interval"])
