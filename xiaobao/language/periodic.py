"""Periodic work of the language app (see `xiaobao.watch.schedule`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaobao.language.classifier import classifier_retrain_due
from xiaobao.language.services import search_recent_index, search_reindex
from xiaobao.watch.schedule import periodic


@periodic("language.search_index_catch_up", every=timedelta(minutes=10))
def search_index_catch_up(*, now: datetime) -> str:
    """Index every case without a current document (a lost job, an older analyzer, a restore)."""
    return f"indexed {search_reindex(stale_only=True)}"


@periodic("language.search_recent_index", every=timedelta(days=1))
def search_recent_index_refresh(*, now: datetime) -> str:
    """Move the newest cases' search index on once the registry has grown past it."""
    return search_recent_index()


@periodic("language.classifier_retrain", every=timedelta(hours=1))
def classifier_retrain(*, now: datetime) -> str:
    """Train the targets that gained enough newly closed (handler-corrected) cases since their
    last training; a candidate replaces the active model only if it does as well on held-out
    cases."""
    results = classifier_retrain_due()
    if not results:
        return "nothing to retrain"
    return "; ".join(f"{r.target}: {r.outcome}" for r in results)
