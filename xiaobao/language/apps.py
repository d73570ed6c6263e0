from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LanguageConfig(AppConfig):
    name = "xiaobao.language"
    verbose_name = _("中文检索与智能分类")
