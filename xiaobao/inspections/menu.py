"""Menu entries of inspections (see `xiaobao.front.nav`)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry


def _records(user: Any) -> bool:
    return bool(
        user.has_perm("inspections.view_visit") or user.has_perm("inspections.record_visit")
    )


entry(
    "inspections",
    _("服务检查"),
    "inspections:index",
    permission=_records,
    order=10,
    current=("inspections:index", "inspections:visit", "inspections:visit_new"),
)
entry(
    "inspections",
    _("检查发现问题"),
    "inspections:findings",
    permission="inspections.view_finding",
    order=20,
    current=("inspections:findings", "inspections:finding"),
)
entry(
    "inspections",
    _("检查统计"),
    "inspections:figures",
    permission="inspections.view_visit",
    order=30,
)
entry(
    "inspections",
    _("外部监管检查"),
    "inspections:examinations",
    permission="inspections.view_examination",
    order=40,
)
entry(
    "inspections",
    _("服务例会"),
    "inspections:meetings",
    permission="inspections.view_servicemeeting",
    order=50,
)
