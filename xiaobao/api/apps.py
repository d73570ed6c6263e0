from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "xiaobao.api"
    verbose_name = _("开放接口")

    def ready(self) -> None:
        from xiaobao.api.models import WebhookSubscription
        from xiaobao.api.webhooks import event_written, renumbered
        from xiaobao.complaints.hooks import on_event, on_renumber
        from xiaobao.lib import memo

        # Every case event is offered to the webhook subscriptions (queued on commit).
        on_event(event_written)
        on_renumber(renumbered)
        # The active subscriptions are kept per process (lib.memo) until one changes.
        memo.bump_on_change(memo.WEBHOOKS, WebhookSubscription)
