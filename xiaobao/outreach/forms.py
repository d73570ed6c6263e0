"""Workbench forms: parse what a person typed; the services decide whether it is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.models import Unit
from xiaobao.outreach import report_form
from xiaobao.outreach.choices import ActivityForm, CampaignKind, CountingMethod, KeyGroup
from xiaobao.outreach.models import Campaign, Material, Topic
from xiaobao.outreach.services import ActivityData, CampaignData


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos in one field (a phone's camera roll)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _groups_field(label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=KeyGroup.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=CampaignKind.choices)
    unit = forms.ModelChoiceField(label=_("范围（机构及下级）"), queryset=Unit.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    report_deadline = forms.DateField(
        label=_("报送截止日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    theme = forms.CharField(label=_("主题"), max_length=200, required=False)
    notice_issuer = forms.CharField(label=_("发文单位"), max_length=100, required=False)
    notice_no = forms.CharField(label=_("通知文号"), max_length=60, required=False)
    notice = forms.FileField(label=_("通知文件"), required=False)
    key_groups = _groups_field(_("重点人群"))
    required_topics = forms.ModelMultipleChoiceField(
        label=_("必讲主题"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    report_columns = forms.MultipleChoiceField(
        label=_("报表栏目"),
        required=False,
        help_text=_("不选则按活动类型使用预置报表（3·15宣传周或金融教育宣传周/月）"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["report_columns"].choices = list(report_form.columns().items())  # type: ignore[attr-defined]

    def data_object(self) -> CampaignData:
        c = self.cleaned_data
        return CampaignData(
            name=c["name"],
            kind=c["kind"],
            unit=c["unit"],
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            report_deadline=c["report_deadline"],
            theme=c["theme"],
            notice_issuer=c["notice_issuer"],
            notice_no=c["notice_no"],
            key_groups=c["key_groups"],
            required_topics=list(c["required_topics"]),
            report_columns=c["report_columns"] or None,
        )


MATERIAL_ROWS = 3


class ActivityRecordForm(forms.Form):
    """One activity, laid out for a phone: the figures, then the photos."""

    campaign = forms.ModelChoiceField(
        label=_("所属活动方案"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("常态化宣传（不属于活动方案）"),
    )
    unit = forms.ModelChoiceField(label=_("牵头机构"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("活动标题"), max_length=120)
    form = forms.ChoiceField(label=_("活动形式"), choices=ActivityForm.choices)
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    division_code = forms.CharField(label=_("行政区划代码"), max_length=12, required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("协办机构"), queryset=Unit.objects.filter(is_active=True), required=False
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("主题"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    key_groups = _groups_field(_("重点人群"))
    staff_count = forms.IntegerField(label=_("参与员工人次"), min_value=0, initial=0)
    audience_count = forms.IntegerField(label=_("受众人次（不含员工）"), min_value=0, initial=0)
    counting_method = forms.ChoiceField(
        label=_("受众统计方式"),
        choices=[("", "—"), *CountingMethod.choices],
        required=False,
    )
    sms_sent = forms.IntegerField(label=_("发送短信（条）"), min_value=0, initial=0)
    posts = forms.IntegerField(label=_("发布信息（篇）"), min_value=0, initial=0)
    reads = forms.IntegerField(label=_("阅读/观看量"), min_value=0, initial=0)
    media_reports = forms.IntegerField(label=_("媒体报道（篇）"), min_value=0, initial=0)
    consultations = forms.IntegerField(label=_("解答咨询（人次）"), min_value=0, initial=0)
    narrative = forms.CharField(
        label=_("活动简述"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    no_marketing = forms.BooleanField(label=_("本活动未开展产品营销"), required=False)
    photos = MultipleFileField(label=_("现场照片 / 截图"), required=False)

    def __init__(self, *args: Any, units: Any, campaigns: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        for group in KeyGroup:
            self.fields[f"group_{group.value}"] = forms.IntegerField(
                label=_("其中%(group)s人次") % {"group": group.label}, min_value=0, required=False
            )
        materials = Material.objects.all()
        for i in range(MATERIAL_ROWS):
            self.fields[f"material_{i}"] = forms.ModelChoiceField(
                label=_("宣传资料"), queryset=materials, required=False
            )
            self.fields[f"quantity_{i}"] = forms.IntegerField(
                label=_("数量（份）"), min_value=1, required=False
            )

    def group_fields(self) -> list[Any]:
        return [self[f"group_{g.value}"] for g in KeyGroup]

    def material_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"material_{i}"], self[f"quantity_{i}"]) for i in range(MATERIAL_ROWS)]

    def data_object(self) -> ActivityData:
        c = self.cleaned_data
        materials: dict[Material, int] = {}
        for i in range(MATERIAL_ROWS):
            material, quantity = c.get(f"material_{i}"), c.get(f"quantity_{i}")
            if material is not None and quantity:
                materials[material] = materials.get(material, 0) + quantity
        return ActivityData(
            campaign=c["campaign"],
            unit=c["unit"],
            title=c["title"],
            form=c["form"],
            starts_at=c["starts_at"],
            ends_at=c["ends_at"],
            place=c["place"],
            division_code=c["division_code"],
            co_units=list(c["co_units"]),
            topics=list(c["topics"]),
            key_groups=c["key_groups"],
            staff_count=c["staff_count"],
            audience_count=c["audience_count"],
            counting_method=c["counting_method"],
            audience_by_group={
                g.value: c[f"group_{g.value}"] for g in KeyGroup if c.get(f"group_{g.value}")
            },
            materials=materials,
            sms_sent=c["sms_sent"],
            posts=c["posts"],
            reads=c["reads"],
            media_reports=c["media_reports"],
            consultations=c["consultations"],
            narrative=c["narrative"],
            no_marketing=c["no_marketing"],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    photos = MultipleFileField(label=_("现场照片 / 截图"))


class SpotComplaintForm(forms.Form):
    """A complaint a consumer raised at the activity, registered through the complaint intake."""

    complainant_name = forms.CharField(label=_("投诉人姓名"), max_length=100)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    title = forms.CharField(label=_("投诉标题"), max_length=200)
    narrative = forms.CharField(label=_("投诉事实与理由"), widget=forms.Textarea(attrs={"rows": 3}))


class MaterialForm(forms.Form):
    code = forms.CharField(label=_("编号"), max_length=32)
    title = forms.CharField(label=_("名称"), max_length=120)
    version = forms.CharField(label=_("版本"), max_length=20, initial="1")
    format = forms.CharField(label=_("形式"), max_length=40, required=False)
    valid_from = forms.DateField(
        label=_("有效期起"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("有效期止"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("主题"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    key_groups = _groups_field(_("重点人群"))
