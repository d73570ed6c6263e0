"""Forms of the reports pages: they parse input; the selectors and services do the work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils.timezone import localdate
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to
from xiaobao.reports.choices import AlertKind, AlertStatus, Grain
from xiaobao.reports.models import TypicalCase
from xiaobao.reports.selectors import DIMENSIONS

# <input type="date"> takes ISO dates only, whatever the interface language: rendered with the
# Chinese locale's "2026/01/01" the box stayed empty and the browser refused to submit the form.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _unit_choices(user: Any) -> list[tuple[str, Any]]:
    base = getattr(getattr(user, "unit", None), "depth", 0) or 0
    units = visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")
    return [("", _("本机构及下级（全部）"))] + [
        (u.code, "　" * (u.depth - base) + u.name) for u in units[:500]
    ]


def _visible_unit(user: Any, code: str) -> Unit | None:
    return visible_to(user, Unit.objects.filter(code=code)).first() if code else None


class DashboardForm(forms.Form):
    """The period and unit every dashboard page is computed for."""

    received_from = forms.DateField(label=_("接收日期起"), required=False, widget=DATE_INPUT)
    received_to = forms.DateField(label=_("接收日期止"), required=False, widget=DATE_INPUT)
    unit = forms.ChoiceField(label=_("机构"), required=False)
    grain = forms.ChoiceField(label=_("周期"), choices=Grain.choices, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["unit"]).choices = _unit_choices(user)

    @staticmethod
    def default_range() -> tuple[date, date]:
        """The trailing twelve months, whole months, up to today."""
        today = localdate(now())
        first = date(today.year - 1, today.month, 1) + timedelta(days=32)
        return first.replace(day=1), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = self.default_range()
        data["received_from"] = data.get("received_from") or first
        data["received_to"] = data.get("received_to") or last
        if data["received_from"] > data["received_to"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        data["grain"] = data.get("grain") or Grain.MONTH
        data["unit_obj"] = _visible_unit(self.user, data.get("unit") or "")
        return data

    def filters(self) -> dict[str, Any]:
        """RegistryFilter parameters for the selectors (and for drill-down links)."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "received_from": data["received_from"],
            "received_to": data["received_to"],
        }
        if data.get("unit"):
            out["unit"] = data["unit"]
        return out

    def base_unit(self) -> Unit:
        return self.cleaned_data.get("unit_obj") or self.user.unit


class ExploreForm(DashboardForm):
    dimensions = forms.MultipleChoiceField(
        label=_("统计维度"),
        choices=[(d.name, d.label) for d in DIMENSIONS.values()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("最多选择3个；诉求、标签可多选，一件投诉计入其每个取值。"),
    )
    rollup = forms.BooleanField(label=_("细类并入大类"), required=False, initial=True)
    unit_depth = forms.TypedChoiceField(
        label=_("机构层级"),
        coerce=int,
        required=False,
        choices=[(1, _("分行")), (2, _("支行")), (3, _("网点"))],
    )

    def clean_dimensions(self) -> list[str]:
        dims = self.cleaned_data.get("dimensions") or []
        if len(dims) > 3:
            raise forms.ValidationError(_("最多选择3个统计维度。"))
        return dims


class PeriodForm(forms.Form):
    """The regulator workbook's period."""

    period = forms.RegexField(
        label=_("统计期间"),
        regex=r"^\d{4}([Qq][1-4])?$",
        help_text=_("季度如 2026Q3，全年如 2026"),
        error_messages={"invalid": _("请填写如 2026Q3 或 2026 的期间。")},
    )
    unit = forms.ChoiceField(label=_("填报机构"), required=False)
    background = forms.BooleanField(label=_("后台生成（数据量大时使用）"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["unit"]).choices = _unit_choices(user)

    def clean_period(self) -> str:
        return str(self.cleaned_data["period"]).upper()

    def unit_obj(self) -> Unit:
        return _visible_unit(self.user, self.cleaned_data.get("unit") or "") or self.user.unit


class SummaryForm(forms.Form):
    first = forms.DateField(label=_("起始日期"), widget=DATE_INPUT)
    last = forms.DateField(label=_("截止日期"), widget=DATE_INPUT)
    unit = forms.ChoiceField(label=_("机构"), required=False)
    format = forms.ChoiceField(
        label=_("格式"),
        choices=[("docx", _("Word（可编辑）")), ("pdf", "PDF")],
        initial="docx",
        required=False,
    )
    background = forms.BooleanField(label=_("后台生成（数据量大时使用）"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["unit"]).choices = _unit_choices(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def unit_obj(self) -> Unit:
        return _visible_unit(self.user, self.cleaned_data.get("unit") or "") or self.user.unit


def _category_choices() -> list[tuple[str, Any]]:
    terms = TaxonomyTerm.objects.filter(axis=Axis.BUSINESS_CATEGORY, parent__isnull=True)
    return [("", _("全部业务类别"))] + [(t.code, t.label) for t in terms.order_by("sort_order")]


class TypicalSearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False)
    category = forms.ChoiceField(label=_("业务类别"), required=False)
    published = forms.BooleanField(label=_("仅已发布"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()


class TypicalMarkForm(forms.Form):
    registry_no = forms.CharField(label=_("台账编号"), max_length=20)
    title = forms.CharField(label=_("案例标题"), max_length=120, required=False)
    lessons = forms.CharField(
        label=_("案例启示"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(label=_("关键词"), max_length=200, required=False)


class TypicalEditForm(forms.ModelForm):
    class Meta:
        model = TypicalCase
        fields = ["title", "write_up", "lessons", "tags"]
        widgets = {
            "write_up": forms.Textarea(attrs={"rows": 16}),
            "lessons": forms.Textarea(attrs={"rows": 4}),
        }


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *AlertStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("预警类型"), required=False, choices=[("", _("全部")), *AlertKind.choices]
    )


class AlertActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("acknowledge", _("确认")), ("close", _("关闭")), ("reopen", _("重新打开"))]
    )
    note = forms.CharField(
        label=_("处理说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RiskNoticeForm(forms.Form):
    risk_notice = forms.CharField(
        label=_("消费风险提示"), widget=forms.Textarea(attrs={"rows": 14})
    )
