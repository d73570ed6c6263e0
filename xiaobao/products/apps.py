from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "xiaobao.products"
    verbose_name = _("消保审查与适当性")

    def ready(self) -> None:
        from xiaobao.complaints.hooks import on_event
        from xiaobao.lib import memo
        from xiaobao.products.models import Product
        from xiaobao.products.services import complaint_event_followed

        on_event(complaint_event_followed)
        # The product codes that link a case are kept per process (lib.memo) until one changes.
        memo.bump_on_change(memo.PRODUCTS, Product)
