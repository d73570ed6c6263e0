"""Menu entries of reports (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "reports",
    _("统计报表"),
    "reports:dashboard",
    permission="reports.view_statistics",
    order=10,
    current=("reports:*",),
)
entry(
    "reports",
    _("指标库"),
    "front:metrics",
    permission="reports.view_statistics",
    order=20,
)
