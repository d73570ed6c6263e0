"""Menu entries of the site itself: the API documentation and the admin site."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry
from xiaobao.organisation.configuration import can_use_admin

entry("admin", _("接口文档"), "api:docs", order=80)
entry(
    "admin",
    _("系统管理"),
    "admin:index",
    permission=can_use_admin,
    order=90,
)
