"""Forms of the inspection pages (the record form is built from the visit's checklist)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.inspections.choices import AppealDecision, Scenario, ScoringType, VisitKind
from xiaobao.inspections.models import Checklist
from xiaobao.organisation.models import Unit
from xiaobao.outreach.forms import MultipleFileField


class VisitForm(forms.Form):
    outlet = forms.ModelChoiceField(label=_("受检网点"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("检查方式"), choices=VisitKind.choices)
    scenario = forms.ChoiceField(label=_("场景"), choices=Scenario.choices)
    checklist = forms.ModelChoiceField(
        label=_("检查清单"), queryset=Checklist.objects.filter(status="active")
    )

    def __init__(self, *args: Any, outlets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = outlets  # type: ignore[attr-defined]


YES_NO = [("", "—"), ("yes", _("是")), ("no", _("否")), ("na", _("不适用"))]


class RecordForm(forms.Form):
    """One field per checklist item (r_<code>) with its note (n_<code>), and the visit's facts."""

    visited_at = forms.DateTimeField(
        label=_("检查时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    scenario = forms.ChoiceField(label=_("场景"), choices=Scenario.choices)
    summary = forms.CharField(
        label=_("检查情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    test_complaint = forms.BooleanField(label=_("进行了测试投诉"), required=False)
    test_complaint_at = forms.DateTimeField(
        label=_("测试投诉时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    test_complaint_keyword = forms.CharField(
        label=_("测试投诉关键词"), max_length=60, required=False
    )
    photos = MultipleFileField(label=_("现场照片"), required=False)

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            label = f"{item.code} {item.text}" + ("（红线）" if item.red_line else "")
            if item.scoring_type == ScoringType.YES_NO:
                field: forms.Field = forms.ChoiceField(label=label, choices=YES_NO, required=True)
            elif item.scoring_type == ScoringType.SCALE:
                field = forms.IntegerField(
                    label=label,
                    min_value=0,
                    max_value=item.scale_max,
                    help_text=f"0—{item.scale_max}",
                )
            else:
                field = forms.IntegerField(
                    label=label, min_value=0, max_value=99, help_text=_("发生次数")
                )
            self.fields[f"r_{item.code}"] = field
            self.fields[f"n_{item.code}"] = forms.CharField(
                label=_("说明"), max_length=300, required=False
            )

    def item_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(i, self[f"r_{i.code}"], self[f"n_{i.code}"]) for i in self.items]

    def results(self) -> dict[str, tuple[str, str]]:
        return {
            i.code: (str(self.cleaned_data[f"r_{i.code}"]), self.cleaned_data[f"n_{i.code}"])
            for i in self.items
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("申诉结论"), choices=AppealDecision.choices)
    reply = forms.CharField(label=_("申诉答复"), widget=forms.Textarea(attrs={"rows": 3}))


class RectifyForm(forms.Form):
    note = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("整改证明材料"), required=False)
