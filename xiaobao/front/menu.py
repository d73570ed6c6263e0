"""Menu entries of the site itself: the API documentation and the admin site."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry("admin", _("接口文档"), "api:docs", order=80)
entry(
    "admin",
    _("系统管理"),
    "admin:index",
    permission=lambda user: bool(getattr(user, "is_staff", False)),
    order=90,
)
