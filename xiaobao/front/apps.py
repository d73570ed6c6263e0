from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontConfig(AppConfig):
    name = "xiaobao.front"
    verbose_name = _("工作台")

    def ready(self) -> None:
        from xiaobao.front import auth  # noqa: F401  (login audit receivers)
