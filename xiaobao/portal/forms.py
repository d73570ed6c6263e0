"""Portal forms: plain words for consumers; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import Axis, ComplainantRole, Satisfaction
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.lib.forms import show_length_limits
from xiaobao.organisation.models import Unit
from xiaobao.portal.services import RATINGS, outlets

ROLES = [
    (ComplainantRole.SELF, _("本人")),
    (ComplainantRole.GUARDIAN, _("监护人（代未成年人或无民事行为能力人投诉）")),
    (ComplainantRole.AGENT, _("受委托的代理人")),
    (ComplainantRole.HEIR, _("继承人")),
]


class OutletField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        parent = obj.parent.name if obj.parent_id and obj.parent else ""
        return f"{parent} · {obj.name}" if parent else obj.name


class FileForm(forms.Form):
    """The intake fields of Art. 13–14: who complains, how to reach them, about whom, what for."""

    role = forms.ChoiceField(
        label=_("您的身份"), choices=ROLES, initial=ComplainantRole.SELF, widget=forms.RadioSelect
    )
    represents = forms.CharField(
        label=_("代为投诉的消费者姓名"),
        required=False,
        max_length=100,
        help_text=_("以本人身份投诉的无需填写"),
    )
    name = forms.CharField(label=_("您的姓名"), max_length=100)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        help_text=_("用于联系您；查询进度时需要核对后四位"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("电子邮箱（选填）"), required=False)
    address = forms.CharField(label=_("联系地址（选填）"), required=False, max_length=200)
    unit = OutletField(label=_("投诉的网点"), queryset=Unit.objects.none(), empty_label=_("请选择"))
    complained_staff_name = forms.CharField(
        label=_("涉及的工作人员（选填）"), required=False, max_length=50
    )
    business_category = forms.ModelChoiceField(
        label=_("涉及的业务（选填）"),
        queryset=TaxonomyTerm.objects.none(),
        required=False,
        empty_label=_("不清楚 / 不选"),
    )
    title = forms.CharField(label=_("一句话概括您的问题"), max_length=120)
    narrative = forms.CharField(
        label=_("事情经过与理由"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明时间、地点、经过，以及您认为不合理的地方"),
        max_length=5000,
    )
    demands = forms.ModelMultipleChoiceField(
        label=_("您的诉求"),
        queryset=TaxonomyTerm.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    demand_text = forms.CharField(
        label=_("诉求说明（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    amount = forms.DecimalField(
        label=_("涉及金额（元，选填）"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    consent = forms.BooleanField(
        label=_("我同意银行为处理本投诉收集、使用上述个人信息，并知悉可随时查询处理进度"),
        error_messages={"required": _("请阅读并勾选同意，我们才能受理您的投诉。")},
    )
    # Left empty by people (it is hidden); bots fill every field.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = outlets()  # type: ignore[attr-defined]
        self.fields["business_category"].queryset = TaxonomyTerm.objects.filter(  # type: ignore[attr-defined]
            axis=Axis.BUSINESS_CATEGORY, is_active=True, parent__isnull=True
        ).order_by("sort_order")
        self.fields["demands"].queryset = TaxonomyTerm.objects.filter(  # type: ignore[attr-defined]
            axis=Axis.DEMAND, is_active=True
        ).order_by("sort_order")
        show_length_limits(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("website"):
            raise forms.ValidationError(_("提交失败，请稍后再试。"))
        if data.get("role") != ComplainantRole.SELF and not (data.get("represents") or "").strip():
            self.add_error("represents", _("代为投诉时，请填写所代表的消费者姓名。"))
        return data


class TrackForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("查询码"),
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "placeholder": "XXXX-XXXX-XXXX",
            }
        ),
    )
    phone_last4 = forms.RegexField(
        label=_("联系电话后四位"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("请输入4位数字。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "4"}
        ),
    )


class ReviewForm(forms.Form):
    narrative = forms.CharField(
        label=_("不同意处理决定的理由"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("核查由上一级机构办理，自收到申请之日起30日内答复"),
    )


class RateForm(forms.Form):
    result = forms.ChoiceField(
        label=_("您对处理结果是否满意"),
        choices=[(r.value, r.label) for r in map(Satisfaction, RATINGS)],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("意见或建议（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )
