"""Which closed cases get a satisfaction call (待回访): a pure rule, no model imports.

All major complaints, all whose consumer said in the portal they were dissatisfied, and a
fixed share of the rest. The share is drawn by a hash of the registry number, so the same case
is in or out of the sample on every page load and for every member of staff.
"""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext_lazy as _

MAJOR = "major"
DISSATISFIED = "dissatisfied"
SAMPLED = "sampled"

REASON_LABELS = {
    MAJOR: _("重大投诉（全部回访）"),
    DISSATISFIED: _("消费者评价不满意（全部回访）"),
    SAMPLED: _("按比例抽样"),
}


def in_share(registry_no: str, percent: int) -> bool:
    """True for about `percent` in 100 registry numbers, always the same ones."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    bucket = int.from_bytes(hashlib.sha256(registry_no.encode()).digest()[:4], "big") % 100
    return bucket < percent


def follow_up_reason(
    *, registry_no: str, is_major: bool, portal_result: str, percent: int
) -> str | None:
    """Why the case is on the 待回访 list, or None when it is not sampled."""
    if is_major:
        return MAJOR
    if portal_result == "unsatisfied":
        return DISSATISFIED
    return SAMPLED if in_share(registry_no, percent) else None
