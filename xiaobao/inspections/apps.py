from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "xiaobao.inspections"
    verbose_name = _("服务检查")
