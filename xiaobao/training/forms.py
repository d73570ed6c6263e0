"""Workbench forms: parse what a person typed; the services decide whether it is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import Unit, User
from xiaobao.training.choices import (
    AttendanceStatus,
    ContestMode,
    QualificationKind,
    QuestionKind,
    SessionMode,
    TrainerKind,
)
from xiaobao.training.models import Course, Question

LOCAL = {"type": "datetime-local"}
DAY = {"type": "date"}


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.filter(is_active=True))
    unit = forms.ModelChoiceField(label=_("举办机构"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("培训名称"), max_length=120)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs=LOCAL))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs=LOCAL))
    hours = forms.DecimalField(
        label=_("学时"),
        max_digits=4,
        decimal_places=1,
        required=False,
        help_text=_("不填则按课程学时"),
    )
    trainer_kind = forms.ChoiceField(label=_("讲师类型"), choices=TrainerKind.choices)
    trainer_name = forms.CharField(label=_("讲师姓名"), max_length=60, required=False)
    mode = forms.ChoiceField(label=_("形式"), choices=SessionMode.choices)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    materials = forms.CharField(
        label=_("培训材料"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    enrol_audience = forms.BooleanField(
        label=_("按课程适用对象自动生成名单"), required=False, initial=True
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class MarkForm(forms.Form):
    status = forms.ChoiceField(
        label=_("出勤"),
        choices=[c for c in AttendanceStatus.choices if c[0] != AttendanceStatus.ENROLLED],
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CodeForm(forms.Form):
    code = forms.CharField(label=_("签到码"), max_length=8, min_length=8)


class ExamForm(forms.Form):
    title = forms.CharField(label=_("考试名称"), max_length=120)
    single = forms.IntegerField(label=_("单选题数"), min_value=0, max_value=100, initial=5)
    multiple = forms.IntegerField(label=_("多选题数"), min_value=0, max_value=100, initial=2)
    true_false = forms.IntegerField(label=_("判断题数"), min_value=0, max_value=100, initial=3)
    topic = forms.CharField(
        label=_("限定主题"), max_length=40, required=False, help_text=_("不填则从全部主题抽题")
    )
    pass_mark = forms.IntegerField(label=_("及格分"), min_value=1, max_value=100, initial=60)
    time_limit_minutes = forms.IntegerField(
        label=_("限时（分钟）"), min_value=1, max_value=600, initial=20
    )
    max_attempts = forms.IntegerField(label=_("可作答次数"), min_value=1, max_value=10, initial=2)
    shuffle = forms.BooleanField(label=_("打乱题目和选项顺序"), required=False, initial=True)

    def rule(self) -> list[dict[str, Any]]:
        topic = self.cleaned_data.get("topic") or ""
        return [
            {"kind": kind, "topic": topic, "count": self.cleaned_data[kind]}
            for kind in QuestionKind.values
            if self.cleaned_data.get(kind)
        ]


class CorrectForm(forms.Form):
    score = forms.DecimalField(
        label=_("更正后的成绩"), min_value=0, max_value=100, decimal_places=1
    )
    reason = forms.CharField(label=_("更正原因"), max_length=2000)


class QualificationForm(forms.Form):
    user = forms.ModelChoiceField(label=_("持证人"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("资格类别"), choices=QualificationKind.choices)
    level = forms.CharField(label=_("等级"), max_length=20, required=False)
    number = forms.CharField(label=_("证书编号"), max_length=60)
    issuer = forms.CharField(label=_("发证机构"), max_length=100)
    valid_from = forms.DateField(label=_("有效期起"), widget=forms.DateInput(attrs=DAY))
    valid_to = forms.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs=DAY)
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff  # type: ignore[attr-defined]


class ContestForm(forms.Form):
    title = forms.CharField(label=_("竞赛名称"), max_length=120)
    unit = forms.ModelChoiceField(label=_("组织机构"), queryset=Unit.objects.none())
    mode = forms.ChoiceField(label=_("形式"), choices=ContestMode.choices)
    held_on = forms.DateField(label=_("举办日期"), widget=forms.DateInput(attrs=DAY))
    rounds = forms.IntegerField(label=_("轮次"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class EntryForm(forms.Form):
    name = forms.CharField(label=_("队名/姓名"), max_length=80)
    members = forms.ModelMultipleChoiceField(label=_("参赛人员"), queryset=User.objects.none())
    score = forms.DecimalField(label=_("得分"), max_digits=6, decimal_places=1, initial=0)
    award = forms.CharField(label=_("奖项"), max_length=40, required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff  # type: ignore[attr-defined]


class StaffProfileForm(forms.Form):
    staff_category = forms.ChoiceField(label=_("人员类别"), choices=StaffCategory.choices)
    position = forms.CharField(label=_("岗位"), max_length=50, required=False)
    hire_date = forms.DateField(
        label=_("入职日期"), required=False, widget=forms.DateInput(attrs=DAY)
    )
    is_seller = forms.BooleanField(label=_("销售理财/保险等产品"), required=False)


def _items(value: str) -> list[str]:
    """Comma, 、 or line separated entries."""
    for sep in ("、", "，", "\n"):
        value = value.replace(sep, ",")
    return [v.strip() for v in value.split(",") if v.strip()]


class PlanForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("机构"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("计划名称"), max_length=120)
    notes = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CourseForm(forms.Form):
    code = forms.CharField(label=_("课程编号"), max_length=32)
    title = forms.CharField(label=_("课程名称"), max_length=120)
    hours = forms.DecimalField(label=_("学时"), max_digits=4, decimal_places=1)
    topics = forms.CharField(
        label=_("主题"), max_length=400, required=False, help_text=_("多个主题用逗号分隔")
    )
    rules = forms.CharField(
        label=_("讲授的制度依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    mandatory = forms.BooleanField(label=_("必修"), required=False)
    audience_roles = forms.MultipleChoiceField(
        label=_("适用角色"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_positions = forms.CharField(
        label=_("适用岗位"), max_length=400, required=False, help_text=_("多个岗位用逗号分隔")
    )
    audience_categories = forms.MultipleChoiceField(
        label=_("适用人员类别"),
        choices=StaffCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_hire_days = forms.IntegerField(
        label=_("新员工入职天数内"),
        min_value=1,
        max_value=366,
        required=False,
        help_text=_("填写后，入职不满该天数的员工也是适用对象"),
    )
    is_active = forms.BooleanField(label=_("在用"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["is_active"]

    def clean_topics(self) -> list[str]:
        return _items(self.cleaned_data.get("topics") or "")

    def clean_audience_positions(self) -> list[str]:
        return _items(self.cleaned_data.get("audience_positions") or "")

    @staticmethod
    def initial_for(course: Course) -> dict[str, Any]:
        return {
            "title": course.title,
            "hours": course.hours,
            "topics": "，".join(course.topics),
            "rules": course.rules,
            "mandatory": course.mandatory,
            "audience_roles": course.audience_roles,
            "audience_positions": "，".join(course.audience_positions),
            "audience_categories": course.audience_categories,
            "new_hire_days": course.new_hire_days,
            "is_active": course.is_active,
        }


LETTERS = "ABCDEFGH"


class QuestionForm(forms.Form):
    code = forms.CharField(label=_("题号"), max_length=32)
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    stem = forms.CharField(label=_("题干"), widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个选项，依次为A、B、C……；判断题不填"),
    )
    answer = forms.CharField(
        label=_("答案"),
        max_length=8,
        help_text=_("填写选项字母，如A或ACD；判断题A为正确、B为错误"),
    )
    topic = forms.CharField(label=_("主题"), max_length=40)
    explanation = forms.CharField(
        label=_("解析"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rule_article = forms.CharField(label=_("制度条款"), max_length=120, required=False)
    difficulty = forms.IntegerField(label=_("难度"), min_value=1, max_value=5, initial=2)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def clean_options(self) -> list[str]:
        return [
            line.strip()
            for line in (self.cleaned_data.get("options") or "").splitlines()
            if line.strip()
        ]

    def clean_answer(self) -> list[int]:
        letters = (self.cleaned_data.get("answer") or "").upper().replace(",", "").replace(" ", "")
        if not letters or any(c not in LETTERS for c in letters):
            raise forms.ValidationError(_("答案请填写选项字母，如A或ACD。"))
        return sorted({LETTERS.index(c) for c in letters})

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        return {
            "kind": question.kind,
            "stem": question.stem,
            "options": ""
            if question.kind == QuestionKind.TRUE_FALSE
            else "\n".join(question.options),
            "answer": "".join(LETTERS[i] for i in question.answer),
            "topic": question.topic,
            "explanation": question.explanation,
            "rule_article": question.rule_article,
            "difficulty": question.difficulty,
        }
