"""Writes a member of staff makes in the watch: reading notices, choosing how to be told.

The sweeper's own writes live in `sweep` (firing thresholds) and `notify` (notices, pushes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError, lazy_list
from xiaobao.organisation.models import User
from xiaobao.organisation.scope import get_visible_or_404
from xiaobao.watch import conf
from xiaobao.watch.models import Notification, NotificationPreference
from xiaobao.watch.selectors import inbox


def notification_mark_read(*, user: Any, pk: int) -> Notification:
    """Mark one of the user's own notices read (someone else's looks like a missing one)."""
    notification = get_visible_or_404(user, inbox(user=user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: Any) -> int:
    ids = list(inbox(user=user, unread_only=True).values_list("pk", flat=True))
    return Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now())


@transaction.atomic
def preference_update(
    *, user: User, channels: Sequence[str], daily_digest: bool
) -> NotificationPreference:
    """Choose push channels and the daily digest; urgent notices always go at once."""
    configured = conf.channel_names()
    unknown = [c for c in channels if c not in configured]
    if unknown:
        raise DomainError(
            "未知的通知渠道：%(channels)s",
            params={"channels": lazy_list(unknown)},
            field="channels",
        )
    if daily_digest and not any(conf.channel(c).digest for c in channels):
        raise DomainError("选择每日汇总时，须同时选择电子邮件渠道。", field="daily_digest")
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={"channels": list(dict.fromkeys(channels)), "daily_digest": daily_digest},
    )
    return preference
