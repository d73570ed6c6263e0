from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """Moving in: complaint ledgers and referral lists imported from spreadsheets."""

    name = "xiaobao.intake"
    verbose_name = _("批量导入")
