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
