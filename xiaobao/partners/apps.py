from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "xiaobao.partners"
    verbose_name = _("合作机构")

    def ready(self) -> None:
        from xiaobao.complaints.hooks import on_event
        from xiaobao.partners.services import complaint_links_follow

        # Links to partners follow their cases (a merged case hands its links to the survivor).
        on_event(complaint_links_follow)
