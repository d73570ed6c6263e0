"""Domain errors: raised by services, turned into 409s, form errors or command errors at the edges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy


def render(template: Any, params: Mapping[str, Any] | None = None) -> str:
    """`template` looked up in the catalogues, then filled with `params` (`%(name)s`). Values are
    turned into text here, in the active language, so a lazy value (a choice label, `lazy_text`)
    follows the language of whoever reads the message."""
    from django.utils.translation import gettext

    translated = gettext(str(template))
    return translated % params if params else translated


# A message with values, translated when it is shown: `lazy_text("第%(n)s行", {"n": 3})`. Use it
# for a value that is itself a message (a row prefix, an action label), or for a message handed
# to a helper that raises the error.
lazy_text = lazy(render, str)


def _join(items: list[Any], separator: str) -> str:
    from django.utils.translation import gettext

    return (gettext(separator) if separator else "").join(str(item) for item in items)


_lazy_join = lazy(_join, str)


def lazy_list(items: Iterable[Any], separator: str = "、") -> Any:
    """Items joined with the separator of the language shown (、 or ； in Chinese), each one
    shown in that language too (a label stays lazy until then)."""
    return _lazy_join(list(items), separator)


def lazy_date(day: date) -> Any:
    """A date as Chinese text writes it (2027年02月10日), in ISO form in English."""
    return lazy_text(
        "%(year)s年%(month)s月%(day)s日",
        {"year": f"{day:%Y}", "month": f"{day:%m}", "day": f"{day:%d}"},
    )


def choice_label(obj: Any, field: str) -> Any:
    """The label of `obj.<field>`'s choice, still lazy (unlike `get_<field>_display()`), so that a
    message shows it in the language it is read in."""
    value = getattr(obj, field)
    return dict(obj._meta.get_field(field).flatchoices).get(value, value)


class DomainError(Exception):
    """A rule of the domain refused the request; `message` is for people.

    Services write the message in Chinese, with named values as `params` when it has any:
    `DomainError("投诉当前状态为“%(status)s”。", params={"status": Status(s).label})`, or hand
    over a `lazy_text`. `message` looks the template up in the catalogues when it is read and
    fills in the values then, so a page in English shows the English entry with the values, and
    a label among them in English too (every message has an entry, and no message is built
    with an f-string: `lib/tests/test_error_messages.py`). `source_message` is the Chinese text.
    """

    code = "domain_error"

    def __init__(
        self,
        message: Any,
        *,
        params: Mapping[str, Any] | None = None,
        code: str | None = None,
        field: str | None = None,
    ) -> None:
        self.template = message if isinstance(message, Promise) else str(message)
        self.params = dict(params or {})
        super().__init__(self.template)
        if code:
            self.code = code
        self.field = field

    @property
    def source_message(self) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return self.message

    @property
    def message(self) -> str:
        return render(self.template, self.params)

    def __str__(self) -> str:
        return self.message


class PermissionDeniedError(DomainError):
    code = "permission_denied"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"
