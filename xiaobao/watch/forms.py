from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.watch import conf


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("推送渠道"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("站内通知总会保留；此处选择另外推送的渠道。"),
    )
    daily_digest = forms.BooleanField(
        label=_("每日汇总"),
        required=False,
        help_text=_("非紧急提醒于下一个工作日上午9时汇总为一封邮件；紧急提醒照常立即推送。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channels"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (name, conf.channel(name).label)
            for name in conf.channel_names()
            if conf.channel(name).push
        ]
