"""The 涉及合作机构 panel on the complaint page, registered through `complaints.hooks`."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from xiaobao.partners import selectors
from xiaobao.partners.choices import LinkRole, PartnerStatus
from xiaobao.partners.models import PartnerComplaint


def case_panel(request: Any, complaint: Any) -> str:
    """The partners a case involves, and (for those who may) a form to name one."""
    user = request.user
    can_link = user.has_perm("partners.add_partnercomplaint")
    if not (can_link or user.has_perm("partners.view_partner")):
        return ""
    links = PartnerComplaint.objects.filter(complaint=complaint).select_related("partner")
    linked = {link.partner_id for link in links}
    choices = [
        p
        for p in selectors.partners_for(user)
        .exclude(status=PartnerStatus.PROPOSED)
        .order_by("name")
        if p.pk not in linked
    ]
    return render_to_string(
        "partners/_case_panel.html",
        {
            "complaint": complaint,
            "links": links,
            "choices": choices if can_link else [],
            "roles": LinkRole.choices,
        },
        request=request,
    )
