"""Menu entries of the organisation pages (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "admin",
    _("机构"),
    "front:unit_list",
    permission="organisation.view_unit",
    order=10,
    current=("front:unit_list", "front:unit_detail"),
)
entry("admin", _("人员"), "front:staff_list", permission="organisation.view_user", order=20)
entry(
    "admin",
    _("负责人登记"),
    "front:responsible_list",
    permission="organisation.view_responsibleperson",
    order=30,
)
