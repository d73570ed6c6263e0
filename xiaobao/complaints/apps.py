from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "xiaobao.complaints"
    verbose_name = _("投诉管理")

    def ready(self) -> None:
        from django.core import checks

        from xiaobao.complaints import calendar, retention

        checks.register(calendar.calendar_check, checks.Tags.database)
        from xiaobao.privacy.registry import register_retention

        register_retention(
            "complaints", check=retention.reasons_to_keep, job=retention.anonymise_expired
        )
