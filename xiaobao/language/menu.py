"""Menu entries of search (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "complaints",
    _("全文检索"),
    "language:search",
    permission="complaints.view_complaint",
    order=20,
    current=("language:*",),
)
