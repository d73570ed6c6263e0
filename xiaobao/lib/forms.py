"""Form helpers shared by the workbench and the portal (one form-error pattern everywhere)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

COUNTER_TEXT = _("已输入 {n} 字，最多 {max} 字")


def show_length_limits(form: forms.BaseForm) -> None:
    """Say a text field's length limit while the user types instead of letting the browser cut
    the text silently at `maxlength` (a pasted narrative lost its end without a word): the limit
    moves to `data-maxlength`, which static/xiaobao/forms.js turns into a live counter; the
    server still refuses a text over the limit with the field's own error. Text areas only: a
    one-line input shows its limit by its width and is rarely pasted into."""
    for field in form.fields.values():
        if (
            isinstance(field, forms.CharField)
            and field.max_length
            and isinstance(field.widget, forms.Textarea)
        ):
            attrs = field.widget.attrs
            attrs.pop("maxlength", None)
            attrs["data-maxlength"] = str(field.max_length)
            attrs["data-counter"] = COUNTER_TEXT
