from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "xiaobao.partners"
    verbose_name = _("合作机构")

    def ready(self) -> None:
        from xiaobao.complaints.hooks import on_case_page, on_event
        from xiaobao.partners.panels import case_panel
        from xiaobao.partners.services import complaint_links_follow

        # Links to partners follow their cases (a merged case hands its links to the survivor).
        on_event(complaint_links_follow)
        # The case page offers the 涉及合作机构 panel; the complaint core never imports partners.
        on_case_page(case_panel)

        from xiaobao.partners.services import agreement_review_concluded
        from xiaobao.products.hooks import on_review_concluded

        # Agreements are pre-reviewed in products; the conclusion is recorded on the agreement.
        on_review_concluded("partners.agreement")(agreement_review_concluded)
