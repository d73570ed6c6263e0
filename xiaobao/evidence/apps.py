from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "xiaobao.evidence"
    verbose_name = _("证明材料")
