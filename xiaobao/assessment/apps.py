from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "xiaobao.assessment"
    verbose_name = _("考核评价")
