"""Workbench forms for plans and tasks; services hold the rules, forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.plans.choices import Comparator, RegulatorElement, YearEndResult

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
    milestones_done = forms.TypedMultipleChoiceField(
        label=_("已完成的节点"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, task: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_ones = task.milestones.filter(done_at__isnull=True) if task is not None else []
        field: Any = self.fields["milestones_done"]
        field.choices = [(m.pk, f"{m.due_date:%Y-%m-%d} {m.title}") for m in open_ones]
        if not field.choices:
            del self.fields["milestones_done"]


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


class TaskForm(forms.Form):
    """A task under a measure, for one owner (units, departments and people in the user's scope)."""

    measure = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("任务名称"), max_length=200)
    description = forms.CharField(
        label=_("要求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Querysets are set per user in __init__ (only units, departments and staff in scope).
    owner_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("责任机构"), queryset=None
    )
    owner_department: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("责任部门"), queryset=None, required=False
    )
    responsible: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("责任人"), queryset=None, required=False
    )
    start_date = forms.DateField(label=_("开始日期"), required=False, widget=DATE)
    due_date = forms.DateField(label=_("完成期限"), widget=DATE)
    milestones = forms.CharField(
        label=_("节点（每行一个：日期 名称）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2027-03-31 制定方案"}),
    )
    target_metric = forms.ChoiceField(label=_("量化指标"), required=False)
    target_comparator = forms.ChoiceField(
        label=_("比较"), required=False, choices=[("", "—"), *Comparator.choices]
    )
    target_value = forms.DecimalField(
        label=_("目标值"), required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from xiaobao.lib import metrics
        from xiaobao.organisation.models import Department, Unit, User
        from xiaobao.organisation.scope import visible_to

        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["owner_unit"].queryset = visible_to(
            user, Unit.objects.filter(is_active=True)
        ).order_by("path")
        fields["owner_department"].queryset = visible_to(
            user, Department.objects.filter(is_active=True).select_related("unit")
        ).order_by("unit__path", "code")
        fields["responsible"].queryset = visible_to(
            user, User.objects.filter(is_active=True)
        ).order_by("unit__path", "username")
        fields["target_metric"].choices = [
            ("", "—"),
            *((key, f"{m.label}（{key}）") for key, m in metrics.registry().items()),
        ]

    def clean_milestones(self) -> list[tuple[str, Any]]:
        from datetime import date

        rows = []
        for i, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            if not line.strip():
                continue
            day, _sep, name = line.strip().partition(" ")
            try:
                when = date.fromisoformat(day)
            except ValueError as exc:
                raise forms.ValidationError(
                    _("第%(n)s行：请以“日期 名称”填写，如 2027-03-31 制定方案。"), params={"n": i}
                ) from exc
            rows.append((name.strip(), when))
        return rows


class MeasureEditForm(MeasureForm):
    measure = forms.IntegerField(widget=forms.HiddenInput)


class TaskEditForm(forms.Form):
    """The issuing office adjusts an open task: due date, owners, co-owners (with a reason)."""

    due_date = forms.DateField(label=_("完成期限"), widget=DATE)
    owner_department: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("责任部门"), queryset=None, required=False
    )
    responsible: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("责任人"), queryset=None, required=False
    )
    co_units: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("协办机构"), queryset=None, required=False
    )
    co_departments: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("协办部门"), queryset=None, required=False
    )
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, task: Any, **kwargs: Any) -> None:
        from xiaobao.organisation.models import Department, Unit, User
        from xiaobao.organisation.scope import visible_to

        kwargs.setdefault(
            "initial",
            {
                "due_date": task.due_date,
                "owner_department": task.owner_department_id,
                "responsible": task.responsible_id,
                "co_units": list(task.co_units.values_list("pk", flat=True)),
                "co_departments": list(task.co_departments.values_list("pk", flat=True)),
            },
        )
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["owner_department"].queryset = Department.objects.filter(
            unit=task.owner_unit, is_active=True
        ).order_by("code")
        fields["responsible"].queryset = User.objects.filter(
            is_active=True, unit__path__startswith=task.owner_unit.path
        ).order_by("unit__path", "username")
        fields["co_units"].queryset = (
            visible_to(user, Unit.objects.filter(is_active=True))
            .exclude(pk=task.owner_unit_id)
            .order_by("path")
        )
        fields["co_departments"].queryset = visible_to(
            user, Department.objects.filter(is_active=True).select_related("unit")
        ).order_by("unit__path", "code")


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点名称"), max_length=200)
    due_date = forms.DateField(label=_("节点期限"), widget=DATE)


class MilestoneRemoveForm(forms.Form):
    milestone = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("删除理由"), max_length=500)
