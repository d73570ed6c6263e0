"""Forms of the inspection pages (the record form is built from the visit's checklist)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.inspections.choices import AppealDecision, Scenario, ScoringType, Severity, VisitKind
from xiaobao.inspections.models import Checklist
from xiaobao.inspections.services import ItemData
from xiaobao.organisation.models import Unit, User
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


# --- creation forms (checklists, plans, examinations, weekly meetings) ------------------------------

SCORING_WORDS = {
    "是否": ScoringType.YES_NO,
    "分档": ScoringType.SCALE,
    "扣分": ScoringType.DEDUCTION,
}
SEVERITY_WORDS = {"一般": Severity.LOW, "较重": Severity.MEDIUM, "严重": Severity.HIGH}


class ChecklistForm(forms.Form):
    """A checklist typed as one item per line: 章节|代码|检查内容|评分方式|分值|分档上限或每次扣分|严重程度|红线."""

    code = forms.CharField(label=_("清单代码"), max_length=30)
    name = forms.CharField(label=_("清单名称"), max_length=100)
    items = forms.CharField(
        label=_("检查项目"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "每行一项：章节|代码|检查内容|评分方式（是否/分档/扣分）|分值|分档上限或每次扣分|"
            "严重程度（一般/较重/严重）|红线（是/否）"
        ),
    )

    def clean_items(self) -> list[ItemData]:
        out = []
        lines = [ln for ln in self.cleaned_data["items"].splitlines() if ln.strip()]
        for i, line in enumerate(lines, 1):
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) != 8:
                raise forms.ValidationError(
                    _("第%(n)s行：须有8栏，以“|”分隔。"), params={"n": i}, code="invalid"
                )
            section, code, text, kind, points, extra, severity, red = parts
            if kind not in SCORING_WORDS:
                raise forms.ValidationError(
                    _("第%(n)s行：评分方式须为“是否”“分档”或“扣分”。"),
                    params={"n": i},
                    code="invalid",
                )
            if severity not in SEVERITY_WORDS:
                raise forms.ValidationError(
                    _("第%(n)s行：严重程度须为“一般”“较重”或“严重”。"),
                    params={"n": i},
                    code="invalid",
                )
            if red not in ("是", "否"):
                raise forms.ValidationError(
                    _("第%(n)s行：红线一栏须为“是”或“否”。"), params={"n": i}, code="invalid"
                )
            try:
                value = Decimal(points)
                number = Decimal(extra or "0")
            except InvalidOperation as exc:
                raise forms.ValidationError(
                    _("第%(n)s行：分值和分档上限（或每次扣分）须为数字。"),
                    params={"n": i},
                    code="invalid",
                ) from exc
            scoring = SCORING_WORDS[kind]
            out.append(
                ItemData(
                    section=section,
                    code=code,
                    text=text,
                    scoring_type=scoring,
                    points=value,
                    scale_max=int(number) if scoring == ScoringType.SCALE else 0,
                    deduction=number if scoring == ScoringType.DEDUCTION else 0,
                    severity=SEVERITY_WORDS[severity],
                    red_line=red == "是",
                )
            )
        return out


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=200)
    kind = forms.ChoiceField(label=_("检查方式"), choices=VisitKind.choices)
    unit = forms.ModelChoiceField(label=_("检查范围"), queryset=Unit.objects.none())
    checklist = forms.ModelChoiceField(
        label=_("检查清单"), queryset=Checklist.objects.filter(status="active")
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    visits_per_outlet = forms.IntegerField(label=_("每个网点检查次数"), initial=1)
    window_days = forms.IntegerField(label=_("暗访窗口（天）"), initial=14)
    unannounced = forms.BooleanField(label=_("不预先通知网点"), required=False, initial=True)
    vendor_name = forms.CharField(label=_("外部机构"), max_length=100, required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ExaminationForm(forms.Form):
    regulator = forms.CharField(label=_("检查机关"), max_length=100)
    notice_no = forms.CharField(label=_("通知文号"), max_length=60, required=False)
    notice_date = forms.DateField(
        label=_("通知日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(label=_("受检机构"), queryset=Unit.objects.none())
    scope = forms.CharField(label=_("检查范围"), widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(
        label=_("进场日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("离场日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    report_back_due = forms.DateField(
        label=_("整改报告报送期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notice = forms.FileField(label=_("检查通知"), required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("机构"), queryset=Unit.objects.none())
    held_on = forms.DateField(label=_("会议日期"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("会议主题"), max_length=200)
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 5}))
    present = forms.ModelMultipleChoiceField(label=_("出席人员"), queryset=User.objects.none())
    absent = forms.ModelMultipleChoiceField(
        label=_("缺席人员"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, units: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["present"].queryset = people  # type: ignore[attr-defined]
        self.fields["absent"].queryset = people  # type: ignore[attr-defined]
