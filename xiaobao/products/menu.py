"""Menu entries of pre-review and suitability (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "products",
    _("消保审查"),
    "products:index",
    permission="products.view_review",
    order=10,
    current=("products:index", "products:review", "products:review_new"),
)
entry(
    "products",
    _("产品库"),
    "products:products",
    permission="products.view_product",
    order=20,
    current=("products:products", "products:product"),
)
entry(
    "products",
    _("适当性校验"),
    "products:sale_checks",
    permission="products.view_salecheck",
    order=30,
)
