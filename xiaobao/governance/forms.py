"""Forms of the governance pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.governance.choices import MeetingBody


class _DateInput(forms.DateInput):
    input_type = "date"


class MeetingForm(forms.Form):
    body = forms.ChoiceField(label=_("会议机构"), choices=MeetingBody.choices)
    title = forms.CharField(label=_("会议名称"), max_length=200)
    held_on = forms.DateField(label=_("会议日期"), widget=_DateInput)
    attendees = forms.CharField(label=_("出席人员"), widget=forms.Textarea(attrs={"rows": 2}))
    topics = forms.CharField(label=_("议题"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("决议事项"), widget=forms.Textarea(attrs={"rows": 2}))
    create_task = forms.BooleanField(label=_("据此下达督办任务"), required=False)
    owner_unit = forms.CharField(label=_("责任机构代码"), required=False, max_length=32)
    task_title = forms.CharField(label=_("任务名称"), required=False, max_length=200)
    due_date = forms.DateField(label=_("完成期限"), required=False, widget=_DateInput)


class RuleForm(forms.Form):
    title = forms.CharField(label=_("制度名称"), max_length=200)
    doc_number = forms.CharField(label=_("文号"), max_length=80)
    version = forms.CharField(label=_("版本"), max_length=20)
    effective_on = forms.DateField(label=_("生效日期"), widget=_DateInput)
    next_review_on = forms.DateField(label=_("下次评估日期"), widget=_DateInput)


class RuleReviseForm(forms.Form):
    version = forms.CharField(label=_("新版本"), max_length=20)
    doc_number = forms.CharField(label=_("文号"), max_length=80)
    effective_on = forms.DateField(label=_("生效日期"), widget=_DateInput)
    next_review_on = forms.DateField(label=_("下次评估日期"), widget=_DateInput)
    reason = forms.CharField(label=_("修订原因"), widget=forms.Textarea(attrs={"rows": 2}))


class RuleReviewForm(forms.Form):
    next_review_on = forms.DateField(label=_("下次评估日期"), widget=_DateInput)
    reason = forms.CharField(label=_("评估结论"), widget=forms.Textarea(attrs={"rows": 2}))
