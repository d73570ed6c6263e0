from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "xiaobao.audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        # Every app's figures are registered once Django has loaded all apps.
        from xiaobao.lib import metrics

        metrics.autodiscover()
