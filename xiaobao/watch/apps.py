from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "xiaobao.watch"
    verbose_name = _("期限监控与通知")

    def ready(self) -> None:
        from xiaobao.complaints.hooks import on_event
        from xiaobao.watch.notify import notify_case_event, notify_transfer

        # A case transferred to another unit: that unit is told at once.
        on_event(notify_transfer)
        # A case assigned to someone, an extension waiting for approval: they are told.
        on_event(notify_case_event)
