"""Workbench forms for plans and tasks; services hold the rules, forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.plans.choices import RegulatorElement, YearEndResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("标题"), max_length=200)
    basis = forms.CharField(
        label=_("制定依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    goals = forms.CharField(
        label=_("总体目标"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(label=_("上级计划"), required=False, widget=forms.HiddenInput)


class MeasureForm(forms.Form):
    heading = forms.CharField(label=_("措施标题"), max_length=200)
    text = forms.CharField(
        label=_("内容（一是……二是……）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    element = forms.ChoiceField(
        label=_("监管评价要素"), required=False, choices=[("", "—"), *RegulatorElement.choices]
    )


class CascadeForm(forms.Form):
    measure = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("任务名称"), max_length=200)
    description = forms.CharField(
        label=_("要求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(label=_("完成期限"), widget=DATE)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=200)


class ProgressForm(forms.Form):
    pct = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label=_("证明材料"))


class SubmitForm(forms.Form):
    note = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label=_("证明材料"))


class YearEndForm(forms.Form):
    """One result per task, built from the plan's tasks."""

    def __init__(self, *args: Any, tasks: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks = list(tasks)
        for t in self.tasks:
            self.fields[f"result_{t.pk}"] = forms.ChoiceField(
                label=f"{t.title}（{t.owner_unit}）",
                choices=[("", "—"), *YearEndResult.choices],
                required=False,
                initial=YearEndResult.DONE if t.status == "done" else "",
            )
            self.fields[f"reason_{t.pk}"] = forms.CharField(
                label=_("原因"), required=False, max_length=500
            )
