"""Forms for personal-information requests: they parse input; services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import visible_to
from xiaobao.privacy.choices import RequestKind, RequestStatus

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RequestForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("受理机构"))
    kind = forms.ChoiceField(label=_("请求类型"), choices=RequestKind.choices)
    subject_name = forms.CharField(label=_("申请人"), max_length=100)
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    details = forms.CharField(label=_("请求内容"), widget=forms.Textarea(attrs={"rows": 3}))
    received_at = forms.DateTimeField(label=_("收到时间"), widget=DATETIME)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = cast(forms.ModelChoiceField, self.fields["unit"])
        unit_field.queryset = visible_to(user, Unit.objects.filter(is_active=True))
        unit_field.initial = user.unit_id
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("办理结果"),
        choices=[(v, label) for v, label in RequestStatus.choices if v != RequestStatus.OPEN],
    )
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 3}))
