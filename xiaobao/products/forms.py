"""Workbench forms: parse what a person typed; the services decide whether it is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.models import Unit
from xiaobao.products.choices import (
    CheckAnswer,
    Conclusion,
    Decision,
    Grade,
    ObjectType,
    OpinionKind,
    ProductKind,
    Response,
    RiskClass,
    SelfCheck,
    Severity,
)
from xiaobao.products.models import Product
from xiaobao.products.services import ProductData

_DATE = forms.DateInput(attrs={"type": "date"})


class ReviewForm(forms.Form):
    object_type = forms.ChoiceField(label=_("审查对象类型"), choices=ObjectType.choices)
    title = forms.CharField(label=_("审查事项"), max_length=200)
    unit = forms.ModelChoiceField(label=_("送审机构"), queryset=Unit.objects.none())
    product = forms.ModelChoiceField(
        label=_("关联产品"), queryset=Product.objects.all(), required=False
    )
    planned_launch = forms.DateField(label=_("计划上线日期"), widget=_DATE, required=False)
    summary = forms.CharField(
        label=_("事项说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    document = forms.FileField(label=_("送审文件"))

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        for item in SelfCheck:
            self.fields[f"check_{item.value}"] = forms.ChoiceField(
                label=item.label, choices=CheckAnswer.choices, initial=CheckAnswer.YES
            )

    def check_fields(self) -> list[Any]:
        return [self[f"check_{item.value}"] for item in SelfCheck]

    def self_check(self) -> dict[str, str]:
        return {item.value: self.cleaned_data[f"check_{item.value}"] for item in SelfCheck}


class DocumentForm(forms.Form):
    document = forms.FileField(label=_("新版本文件"))


class OpinionForm(forms.Form):
    location = forms.CharField(label=_("文件位置"), max_length=200)
    issue = forms.CharField(label=_("问题"), widget=forms.Textarea(attrs={"rows": 3}))
    basis = forms.CharField(label=_("依据条款"), max_length=300)
    kind = forms.ChoiceField(label=_("意见类型"), choices=OpinionKind.choices)
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=Severity.choices, initial=Severity.MEDIUM
    )


class AnswerForm(forms.Form):
    response = forms.ChoiceField(label=_("答复"), choices=Response.choices)
    reason = forms.CharField(
        label=_("答复说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    approver = forms.ModelChoiceField(
        label=_("不采纳审批人"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, approvers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("决定"), choices=Decision.choices)
    note = forms.CharField(label=_("决定说明"), widget=forms.Textarea(attrs={"rows": 2}))


class ConcludeForm(forms.Form):
    conclusion = forms.ChoiceField(label=_("审查结论"), choices=Conclusion.choices)
    note = forms.CharField(
        label=_("结论说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class LaunchForm(forms.Form):
    launched_on = forms.DateField(label=_("实际上线日期"), widget=_DATE)
    file = forms.FileField(label=_("上线版本文件"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class ProductForm(forms.Form):
    code = forms.CharField(label=_("产品代码"), max_length=40)
    name = forms.CharField(label=_("产品名称"), max_length=120)
    kind = forms.ChoiceField(label=_("产品类型"), choices=ProductKind.choices)
    issuer = forms.CharField(label=_("发行机构"), max_length=120)
    issuer_grade = forms.ChoiceField(label=_("发行方风险等级"), choices=Grade.choices)
    seller_grade = forms.ChoiceField(label=_("本行风险等级"), choices=Grade.choices)
    target_class = forms.ChoiceField(label=_("目标客户类别"), choices=RiskClass.choices)

    def data_object(self) -> ProductData:
        return ProductData(**self.cleaned_data)


class RegradeForm(forms.Form):
    issuer_grade = forms.ChoiceField(label=_("发行方风险等级"), choices=Grade.choices)
    seller_grade = forms.ChoiceField(label=_("本行风险等级"), choices=Grade.choices)
    reason = forms.CharField(label=_("调整原因"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("销售记录（CSV）"))
