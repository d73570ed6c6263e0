"""The status and deadline badges shown beside a case (registry rows, work lists, case page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from xiaobao.complaints.choices import OPEN_STATUSES, Status
from xiaobao.deadlines.engine import days_left

STATUS_CSS = {
    "registered": "info",
    "accepted": "",
    "paused": "warn",
    "decided": "info",
    "notified": "ok",
    "closed": "ok",
    "withdrawn": "",
    "declined": "",
    "merged": "",
}


def status_css(status: str) -> str:
    return STATUS_CSS.get(status, "")


def deadline_badge(
    *, status: str, due_at: datetime | None, timely: bool | None, now: datetime
) -> dict[str, Any]:
    """Days left, due today, overdue, paused, or answered on time/late: css class and text."""
    if status not in OPEN_STATUSES:
        if timely is False:
            return {"css": "bad", "text": gettext("逾期答复")}
        if timely:
            return {"css": "ok", "text": gettext("按时答复")}
        return {"css": "", "text": "—"}
    if status == Status.PAUSED or due_at is None:
        # No deadline runs: the status badge beside it already says 中止计时 (twice read as a bug).
        return {"css": "", "text": "—"}
    left = days_left(due_at, now)
    if left < 0:
        return {"css": "bad", "text": gettext("已超期%(n)d天") % {"n": -left}}
    if left == 0:
        return {"css": "warn", "text": gettext("今天到期")}
    return {"css": "warn" if left <= 3 else "ok", "text": gettext("剩%(n)d天") % {"n": left}}
