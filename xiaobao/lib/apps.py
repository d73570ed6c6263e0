from __future__ import annotations

from django.apps import AppConfig


class LibConfig(AppConfig):
    """Helpers with no domain of their own, and the stamps of the per-process caches."""

    name = "xiaobao.lib"
    label = "lib"
    verbose_name = "Lib"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from xiaobao.lib import memo

        # A migrated or flushed database (the test runner's) may hold other rows under the
        # same stamps: forget everything kept from before.
        post_migrate.connect(memo.forget_all, dispatch_uid="xiaobao.lib.memo.forget_all")
