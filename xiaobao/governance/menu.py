"""Menu entries of governance records (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "plans",
    _("消保会议"),
    "governance:meetings",
    permission="governance.view_meeting",
    order=60,
    current=("governance:meetings", "governance:meeting"),
)
entry(
    "plans",
    _("制度登记"),
    "governance:rules",
    permission="governance.view_internalrule",
    order=70,
    current=("governance:rules", "governance:rule"),
)
