"""Menu entries of plans and tasks (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "plans",
    _("我的任务"),
    "plans:mine",
    permission="plans.view_task",
    order=10,
    current=("plans:mine", "plans:task"),
)
entry(
    "plans",
    _("工作计划"),
    "plans:list",
    permission="plans.view_plan",
    order=20,
    current=("plans:list", "plans:plan"),
)
