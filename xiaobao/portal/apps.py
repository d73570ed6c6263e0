from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xiaobao.portal"
    verbose_name = _("消费者服务门户")
