from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "xiaobao.plans"
    verbose_name = _("工作计划与督办")
