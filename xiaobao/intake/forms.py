"""The wizard's forms: upload, then one settings form (sheet, header row, columns, defaults, the
institution's own words, mode). Labels speak of these controls, never of command-line flags."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.intake.fields import FIELD_SPECS, FIELDS, GUESSES
from xiaobao.intake.reading import ALL_SHEETS, Table
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import visible_to

AXES = {
    "channel": Axis.INTAKE_CHANNEL,
    "business_channel": Axis.BUSINESS_CHANNEL,
    "business_category": Axis.BUSINESS_CATEGORY,
    "cause": Axis.CAUSE,
    "level": Axis.LEVEL,
}
MODES = [
    ("all", _("全部行无误才导入（有一行出错则一行也不导入）")),
    ("partial", _("导入无误的行，其余行列入问题报告")),
]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("导入文件（.csv 或 .xlsx）"))


def _targets(name: str, user: User) -> list[tuple[str, str]]:
    if name == "unit":
        units = visible_to(user, Unit.objects.filter(is_active=True)).order_by("code")
        return [(u.code, f"{u.name}（{u.code}）") for u in units]
    if name == "complained_staff_name":
        staff = visible_to(user, User.objects.filter(is_active=True)).order_by("username")
        return [(u.username, f"{u.display_name or u.username}（{u.username}）") for u in staff]
    terms = TaxonomyTerm.objects.filter(axis=AXES[name], is_active=True).order_by("code")
    return [(t.code, f"{t.name}（{t.code}）") for t in terms]


class SettingsForm(forms.Form):
    """Everything one run needs; `initial` comes from the run, a saved profile or the headers."""

    def __init__(
        self,
        *args: Any,
        table: Table,
        user: User,
        initial_settings: dict[str, Any],
        words: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.words = words
        headers = table.headers
        saved_map = initial_settings.get("mapping") or {}
        if len(table.sheet_names) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                label=_("工作表"),
                choices=[
                    *((s, s) for s in table.sheet_names),
                    (ALL_SHEETS, _("全部工作表（表头相同，如每年一张）")),
                ],
                initial=initial_settings.get("sheet") or table.sheet,
                required=False,
            )
        self.fields["header_row"] = forms.TypedChoiceField(
            label=_("表头所在行"),
            coerce=int,
            choices=[(n, f"{n}: {preview}") for n, preview in table.candidates()],
            initial=table.header_row,
            help_text=_("自动识别为第一行像表头的行；文件上方有标题行时可在这里改选。"),
        )
        columns = [("", _("—— 不导入 ——")), *((h, h) for h in headers if h)]
        for spec in FIELD_SPECS:
            guess = saved_map.get(spec.name, "")
            if guess not in headers:
                guess = next((h for h in GUESSES.get(spec.name, ()) if h in headers), "")
            if spec.name in headers:
                guess = spec.name
            self.fields[f"map_{spec.name}"] = forms.ChoiceField(
                label=spec.label,
                choices=columns,
                required=False,
                initial=guess,
                help_text=spec.help,
            )
        self.fields["channel"] = forms.ChoiceField(
            label=_("缺省投诉渠道（文件中没有渠道列或为空时）"),
            required=False,
            choices=[("", _("—— 以文件为准 ——")), *_targets("channel", user)],
            initial=initial_settings.get("channel", ""),
        )
        self.fields["unit"] = forms.ChoiceField(
            label=_("缺省责任机构（文件中没有机构列或为空时）"),
            required=False,
            choices=[("", _("—— 以文件为准 ——")), *_targets("unit", user)],
            initial=initial_settings.get("unit", ""),
        )
        saved_values = initial_settings.get("values") or {}
        for index, (name, word) in enumerate(words):
            self.fields[f"value_{index}"] = forms.ChoiceField(
                label=f"{FIELDS[name].label.split('（')[0]}：{word}",
                required=False,
                choices=[("", _("—— 不对应 ——")), *_targets(name, user)],
                initial=saved_values.get(name, {}).get(word, ""),
            )
        self.fields["mode"] = forms.ChoiceField(
            label=_("导入方式"),
            choices=MODES,
            widget=forms.RadioSelect,
            initial="partial" if initial_settings.get("partial") else "all",
        )
        self.fields["strict"] = forms.BooleanField(
            label=_("严格模式（有警告的行也视为有错）"),
            required=False,
            initial=bool(initial_settings.get("strict")),
        )
        self.fields["profile_name"] = forms.CharField(
            label=_("保存为导入方案（可选，填写名称，如“杭州12345转办单”）"),
            required=False,
            max_length=100,
            initial=initial_settings.get("profile_name", ""),
        )

    def field_rows(self) -> list[Any]:
        return [self[f"map_{spec.name}"] for spec in FIELD_SPECS]

    def value_rows(self) -> list[Any]:
        return [self[f"value_{i}"] for i in range(len(self.words))]

    def settings(self) -> dict[str, Any]:
        """The run's options (and a profile's settings) from the cleaned form."""
        data = self.cleaned_data
        values: dict[str, dict[str, str]] = {}
        for index, (name, word) in enumerate(self.words):
            if data.get(f"value_{index}"):
                values.setdefault(name, {})[word] = data[f"value_{index}"]
        return {
            "mapping": {
                spec.name: data[f"map_{spec.name}"]
                for spec in FIELD_SPECS
                if data.get(f"map_{spec.name}")
            },
            "channel": data.get("channel") or "",
            "unit": data.get("unit") or "",
            "sheet": data.get("sheet") or "",
            "header_row": data.get("header_row"),
            "values": values,
            "partial": data.get("mode") == "partial",
            "strict": bool(data.get("strict")),
        }
