"""Menu entries of the complaint registry (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "complaints",
    _("投诉台账"),
    "complaints:registry",
    permission="complaints.view_complaint",
    order=10,
    current=("complaints:registry", "complaints:detail"),
)
entry(
    "complaints",
    _("登记投诉"),
    "complaints:register",
    permission="complaints.add_complaint",
    order=30,
)
entry(
    "complaints",
    _("批量导入"),
    "complaints:import",
    permission="complaints.add_complaint",
    order=40,
)
entry(
    "complaints",
    _("待回访"),
    "complaints:follow_ups",
    permission="complaints.handle_complaint",
    order=50,
)
entry(
    "complaints",
    _("个人信息权利请求"),
    "privacy:requests",
    permission="privacy.view_datasubjectrequest",
    order=60,
    current=("privacy:requests", "privacy:request_detail"),
)
entry(
    "admin",
    _("工作日历"),
    "complaints:calendar",
    permission="complaints.add_calendarday",
    order=20,
)
