"""Warn and escalate before (and after) complaint deadlines; run the notification jobs.

Cron, every minute (several machines may run it at once; rows are claimed atomically):

    * * * * *  cd /srv/xiaobao && .venv/bin/python manage.py sweep_deadlines
    17 3 * * * cd /srv/xiaobao && .venv/bin/python manage.py sweep_deadlines --reconcile

or as a service: ``python manage.py sweep_deadlines --loop --interval 60``.

With the embedded queue (XIAOBAO_QUEUE=database, the default) each pass also runs the queued
jobs (e-mails, digests); pass ``--no-jobs`` when separate ``run_jobs`` workers or Celery do it.
Each pass also runs the periodic jobs that are due (`xiaobao.watch.schedule`: early warning,
retention, classifier retraining, key purge, search-index catch-up, task reminders);
``--no-periodic`` leaves
them to another sweeper or to Celery beat.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from xiaobao.jobs.services import run_pending
from xiaobao.watch.schedule import run_due
from xiaobao.watch.sweep import sweep


class Command(BaseCommand):
    help = "Fire deadline thresholds, escalate up the tree and send notices (once, or --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between passes with --loop"
        )
        parser.add_argument(
            "--reconcile",
            action="store_true",
            help="compare every open case with its watch row (daily safety net)",
        )
        parser.add_argument("--batch", type=int, default=200, help="cases claimed per batch")
        parser.add_argument(
            "--no-periodic",
            dest="periodic",
            action="store_false",
            help="do not run the due periodic jobs (xiaobao.watch.schedule)",
        )
        jobs = parser.add_mutually_exclusive_group()
        jobs.add_argument("--jobs", dest="jobs", action="store_true", default=None)
        jobs.add_argument("--no-jobs", dest="jobs", action="store_false")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._loop(options)
        except KeyboardInterrupt:  # Ctrl-C (dev.py run): an unfinished pass rolled back
            return

    def _loop(self, options: dict[str, Any]) -> None:
        run_jobs = options["jobs"]
        if run_jobs is None:
            run_jobs = getattr(settings, "XIAOBAO_QUEUE", "database") == "database"
        reconcile = options["reconcile"]
        while True:
            report = sweep(batch=options["batch"], reconcile_all=reconcile)
            reconcile = False
            ran = run_pending(limit=10_000) if run_jobs else 0
            if options["verbosity"] > 1 or report.fired or report.errors or ran:
                self.stdout.write(f"{report}; jobs run {ran}")
            if options["periodic"]:
                for outcome in run_due():
                    self.stdout.write(f"periodic {outcome}")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
            # A long-running loop outlives connections (database restarts, CONN_MAX_AGE).
            close_old_connections()
