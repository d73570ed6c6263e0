"""Menu entries of education and outreach (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "education",
    _("宣传活动"),
    "outreach:index",
    permission="outreach.view_activity",
    order=10,
    current=("outreach:index", "outreach:campaign", "outreach:activity"),
)
entry(
    "education",
    _("宣传资料"),
    "outreach:materials",
    permission="outreach.view_material",
    order=20,
)
