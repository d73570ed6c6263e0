"""Input of the registration helpers: unsaved text (and identifiers) from the registration form.

Nothing here is stored; the limits only keep a stray paste from tying up the classifier.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to

MAX_TITLE_CHARS = 200
MAX_NARRATIVE_CHARS = 20_000


class DraftTextForm(forms.Form):
    """The title and narrative being typed; either may be empty."""

    title = forms.CharField(
        label=_("投诉标题"),
        required=False,
        max_length=MAX_TITLE_CHARS,
        error_messages={"max_length": _("投诉标题过长（最多%(limit_value)d字）。")},
    )
    narrative = forms.CharField(
        label=_("投诉事实与理由"),
        required=False,
        max_length=MAX_NARRATIVE_CHARS,
        error_messages={"max_length": _("投诉事实与理由过长（最多%(limit_value)d字）。")},
    )

    @property
    def has_text(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("title") or data.get("narrative"))


class DuplicateCheckForm(DraftTextForm):
    """…plus the complainant's identifiers and the unit the case is for (id or code)."""

    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    unit = forms.CharField(label=_("责任机构"), required=False, max_length=64)
    amount = forms.DecimalField(
        label=_("涉及金额（元）"), required=False, max_digits=16, decimal_places=2, min_value=0
    )
    business_category = forms.ModelChoiceField(
        label=_("业务类别"),
        required=False,
        queryset=TaxonomyTerm.objects.filter(axis=Axis.BUSINESS_CATEGORY),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data["unit"]
        if not value:
            return None
        units = visible_to(self.user, Unit.objects.filter(is_active=True))
        by_id = value.isdigit() and len(value) <= 18  # the form's select sends the unit's id
        unit = units.filter(pk=int(value)).first() if by_id else None
        unit = unit or units.filter(code=value).first()
        if unit is None:
            raise forms.ValidationError(_("责任机构不存在或不在您的管辖范围内。"))
        return unit

    @property
    def has_input(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return self.has_text or bool(data.get("id_number") or data.get("phone"))
