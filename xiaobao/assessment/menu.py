"""Menu entries of assessment (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "assessment",
    _("考核评价"),
    "assessment:index",
    permission="assessment.view_run",
    order=10,
    current=("assessment:index", "assessment:scheme", "assessment:run"),
)
entry(
    "assessment",
    _("监管评价自评估"),
    "assessment:self",
    permission="assessment.view_run",
    order=20,
)
# Every signed-in person sees their own results, whatever their role.
entry("assessment", _("我的考核"), "assessment:mine", order=30)
