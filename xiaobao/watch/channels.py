"""Notification channels: the inbox, e-mail, and a pluggable interface for SMS or enterprise chat.

A channel is a class named in ``XIAOBAO_WATCH["CHANNELS"]`` (see `xiaobao.watch.conf`). To add
WeCom, DingTalk or a bank's own SMS gateway, subclass `Channel`, implement `send`, and add it:

    XIAOBAO_WATCH = {"CHANNELS": {..., "wecom": "mybank.channels.WeComChannel"}}

`send` runs inside the delivery's transaction: raise to have the job retried with back-off,
return a short note (kept on the delivery row) when done. Never put the complainant's personal
data in a message; the notification text is already free of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaobao.organisation.models import User
from xiaobao.privacy.masking import mask_email, mask_phone
from xiaobao.watch.models import Notification

logger = logging.getLogger(__name__)


class Channel:
    """Base class of a notification channel."""

    label: object = ""
    # False for the inbox: the notification row *is* the inbox entry, nothing is pushed.
    push = True
    # True if the channel can bundle many notices into one daily digest message.
    digest = False

    def send(self, notification: Notification) -> str:
        raise NotImplementedError

    def send_digest(self, user: User, notifications: Sequence[Notification]) -> str:
        raise NotImplementedError(f"{type(self).__name__} sends no digests")


class InboxChannel(Channel):
    """The in-product inbox (/watch/inbox/): shown as soon as it exists, never pushed."""

    label = gettext_lazy("站内通知")
    push = False

    def send(self, notification: Notification) -> str:
        return "inbox"


class EmailChannel(Channel):
    """E-mail through Django's configured mail backend."""

    label = gettext_lazy("电子邮件")
    digest = True
    subject_prefix = "[消保平台] "

    def _send(self, user: User, subject: str, body: str) -> str:
        if not user.email:
            logger.info("no e-mail address for user %s; notice kept in the inbox only", user.pk)
            return "no address"
        EmailMessage(
            subject=self.subject_prefix + subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        ).send()
        return f"sent to {mask_email(user.email)}"

    def send(self, notification: Notification) -> str:
        return self._send(notification.recipient, notification.title, notification.body)

    def send_digest(self, user: User, notifications: Sequence[Notification]) -> str:
        urgent = [n for n in notifications if n.urgent]
        with translation.override(settings.LANGUAGE_CODE):
            if urgent:
                # A sweep's urgent notices in one message: the urgent ones first.
                subject = _("【紧急】%(u)d条紧急提醒（共%(n)d条）") % {
                    "u": len(urgent),
                    "n": len(notifications),
                }
                intro = _("以下提醒中有紧急事项，请立即登录消保平台处理。")
                ordered = [*urgent, *(n for n in notifications if not n.urgent)]
            else:
                subject = _("每日提醒汇总（%(n)d条）") % {"n": len(notifications)}
                intro = _("以下为您尚未推送的非紧急提醒，请登录消保平台查看并处理。")
                ordered = list(notifications)
            parts = [intro, ""]
            for i, n in enumerate(ordered, 1):
                parts += [f"{i}. {n.title}", n.body, ""]
        return self._send(user, subject, "\n".join(parts))


class LoggingSmsChannel(Channel):
    """An example SMS channel: writes the masked number and the title to the log.

    Replace with a class that calls the bank's SMS gateway. Keep messages short (the title) and
    log only masked numbers.
    """

    label = gettext_lazy("短信（示例，仅写日志）")

    def send(self, notification: Notification) -> str:
        phone = notification.recipient.phone
        if not phone:
            return "no number"
        masked = mask_phone(phone)
        logger.info("SMS to %s: %s", masked, notification.title)
        return f"logged for {masked}"
