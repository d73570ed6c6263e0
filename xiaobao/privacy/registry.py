"""Hooks through which domain apps plug their records into privacy's retention and requests.

Privacy sits below the domain apps and imports none of them: an app that keeps personal data
registers (in its AppConfig.ready) a check that says why a person's data must still be kept, and
a job that anonymises what has expired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# check(id_hash, phone_hash, now) -> reasons the data must still be kept (empty: none)
RetentionCheck = Callable[[str, str, datetime], list[str]]
# job(now, dry_run) -> {"examined": n, "anonymised": n, "held": n}
RetentionJob = Callable[[datetime, bool], dict[str, Any]]

retention_checks: dict[str, RetentionCheck] = {}
retention_jobs: dict[str, RetentionJob] = {}


def register_retention(name: str, *, check: RetentionCheck, job: RetentionJob) -> None:
    retention_checks[name] = check
    retention_jobs[name] = job
