"""Menu entry of the partner list (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "products",
    _("合作机构"),
    "partners:index",
    permission="partners.view_partner",
    order=50,
    current=("partners:index", "partners:partner", "partners:evaluation", "partners:exit"),
)
