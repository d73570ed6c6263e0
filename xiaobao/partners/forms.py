"""Workbench forms of the partner list: parse what a person typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.models import Department, Unit
from xiaobao.partners.choices import (
    AdmissionDecision,
    Clause,
    Criterion,
    EvaluationResult,
    ExitStep,
    LinkRole,
    PartnerType,
)
from xiaobao.partners.services import AgreementData, EvaluationData, PartnerData

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=120)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=30, help_text=_("18位，按GB 32100校验")
    )
    type = forms.ChoiceField(label=_("机构类型"), choices=PartnerType.choices)
    business_lines = forms.CharField(
        label=_("合作业务"), required=False, help_text=_("多项用顿号或逗号分隔")
    )
    unit = forms.ModelChoiceField(label=_("管理机构"), queryset=Unit.objects.none())
    department = forms.ModelChoiceField(
        label=_("牵头管理部门"), queryset=Department.objects.none(), required=False
    )
    allowed_units = forms.ModelMultipleChoiceField(
        label=_("可使用机构（含下级）"), queryset=Unit.objects.none(), required=False
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["allowed_units"].queryset = units  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            unit__in=units
        ).select_related("unit")

    def data_object(self) -> PartnerData:
        c = self.cleaned_data
        lines = [
            p.strip()
            for p in c["business_lines"].replace("，", "、").replace(",", "、").split("、")
        ]
        return PartnerData(
            name=c["name"],
            credit_code=c["credit_code"],
            type=c["type"],
            unit=c["unit"],
            business_lines=[p for p in lines if p],
            department=c["department"],
            allowed_units=list(c["allowed_units"]),
        )


class LicenceForm(forms.Form):
    name = forms.CharField(label=_("证照名称"), max_length=100)
    number = forms.CharField(label=_("证照编号"), max_length=60, required=False)
    issuer = forms.CharField(label=_("发证机关"), max_length=100, required=False)
    expires_on = forms.DateField(
        label=_("有效期至"), required=False, widget=DATE, help_text=_("长期有效可不填")
    )
    scan = forms.FileField(label=_("证照扫描件"), required=False)


class AdmissionForm(forms.Form):
    criteria = forms.MultipleChoiceField(
        label=_("已满足的准入条件"),
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cp_opinion = forms.CharField(label=_("消保审查意见"), widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.ChoiceField(label=_("结论"), choices=AdmissionDecision.choices)
    reason = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("原因"), max_length=500)


class AgreementForm(forms.Form):
    number = forms.CharField(label=_("协议编号"), max_length=60)
    title = forms.CharField(label=_("协议名称"), max_length=200)
    starts_on = forms.DateField(label=_("生效日期"), widget=DATE)
    ends_on = forms.DateField(label=_("到期日期"), widget=DATE)
    clauses = forms.MultipleChoiceField(
        label=_("已约定的消保条款"),
        choices=Clause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    data_scope = forms.CharField(
        label=_("提供客户信息的范围"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def data_object(self) -> AgreementData:
        c = self.cleaned_data
        return AgreementData(
            number=c["number"],
            title=c["title"],
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            clauses=list(c["clauses"]),
            data_scope=c["data_scope"],
        )


class SignForm(forms.Form):
    exception_reason = forms.CharField(
        label=_("缺少条款仍签署的理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("仅在协议缺少消保条款时填写，须有审批权限"),
    )


class EvaluationForm(forms.Form):
    period_start = forms.DateField(label=_("评价期起"), widget=DATE)
    period_end = forms.DateField(label=_("评价期止"), widget=DATE)
    customers_served = forms.IntegerField(label=_("期内服务客户数"), required=False, min_value=0)
    cooperation_timely = forms.BooleanField(label=_("投诉核实配合及时"), required=False)
    inspection_score = forms.DecimalField(
        label=_("检查评分"), required=False, max_digits=5, decimal_places=1
    )
    regulator_penalties = forms.IntegerField(label=_("监管处罚（次）"), min_value=0, initial=0)
    public_opinion_events = forms.IntegerField(label=_("舆情事件（次）"), min_value=0, initial=0)
    contract_breaches = forms.IntegerField(label=_("违约事项（次）"), min_value=0, initial=0)
    note = forms.CharField(
        label=_("评价意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def data_object(self) -> EvaluationData:
        return EvaluationData(**self.cleaned_data)


class ConcludeForm(forms.Form):
    result = forms.ChoiceField(label=_("评价结论"), choices=EvaluationResult.choices)
    note = forms.CharField(
        label=_("评价意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExitStartForm(forms.Form):
    reason = forms.CharField(label=_("退出原因"), widget=forms.Textarea(attrs={"rows": 2}))
    planned_on = forms.DateField(label=_("计划退出日期"), widget=DATE)


class ExitConfirmForm(forms.Form):
    step = forms.ChoiceField(label=_("事项"), choices=ExitStep.choices)
    note = forms.CharField(label=_("确认说明"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("证明材料"), required=False)


class LinkForm(forms.Form):
    registry_no = forms.CharField(label=_("投诉台账编号"), max_length=20)
    role = forms.ChoiceField(label=_("涉及方式"), choices=LinkRole.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
