from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "xiaobao.watch"
    verbose_name = _("期限监控与通知")
