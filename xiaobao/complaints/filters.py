"""The registry's filters, shared by the workbench list, its Excel export and the REST API."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from typing import Any, cast

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import OPEN_STATUSES, Axis, Kind, Status
from xiaobao.complaints.models import Complainant, Complaint, TaxonomyTerm, name_index_for
from xiaobao.lib import memo
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit


def _terms(axis: Axis) -> Any:
    return lambda request: TaxonomyTerm.objects.filter(axis=axis)


# --- taxonomy choices, cached per process --------------------------------------------------------
# The registry page (and every API list call) offers every taxonomy as a filter. Loading them is
# six queries plus one per sub-category label, and rendering about a hundred options through
# Django's widget templates costs more than the page's own query. Both depend only on the
# taxonomy, so they are kept per process under the taxonomy stamp (`lib.memo`), which every
# write of a term bumps: an edit made in any process is seen by the next request in every other
# process. The other choice widgets (status, kind, deadline, major) have fixed choices and are
# kept the same way.

_LOCK = threading.Lock()
_WIDGETS: OrderedDict[tuple[Any, ...], SafeString] = OrderedDict()
_WIDGET_CACHE_SIZE = 512
_SET_CHOICES = cast(Any, vars(forms.ChoiceField)["choices"]).fset


def taxonomy_stamp() -> str | None:
    """Changes whenever a term is written; None (nothing is cached) without a stamp row."""
    return memo.version(memo.TAXONOMY)


def term_choices(stamp: str | None) -> dict[str, list[tuple[str, str]]]:
    """(code, label) of every term (retired ones too: old cases carry them), by axis."""

    def read() -> dict[str, list[tuple[str, str]]]:
        by_axis: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for term in TaxonomyTerm.objects.select_related("parent"):
            by_axis[term.axis].append((term.code, str(term)))
        return dict(by_axis)

    if stamp is None:
        return read()
    return memo.remembered(("term_choices", get_language()), read, stamp=memo.TAXONOMY)


class _CachedRender:
    """Renders once per (taxonomy stamp, language, name, value, attrs); the HTML is then reused.
    Only for inputs, and for choice widgets whose choices are fixed or follow the taxonomy."""

    stamp: str | None = None

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        parent = cast(Any, super())
        if isinstance(value, list | tuple):
            if len(value) > 3:
                return cast(SafeString, parent.render(name, value, attrs, renderer))
            selected: Any = tuple(sorted(str(v) for v in value))
        else:
            selected = ("", str(value)) if value is not None else None
        if self.stamp is None:
            return cast(SafeString, parent.render(name, value, attrs, renderer))
        attrs_key = tuple(sorted((attrs or {}).items()))
        key = (type(self), self.stamp, get_language(), name, selected, attrs_key)
        html = _WIDGETS.get(key)
        if html is None:
            html = cast(SafeString, parent.render(name, value, attrs, renderer))
            with _LOCK:
                _WIDGETS[key] = html
                while len(_WIDGETS) > _WIDGET_CACHE_SIZE:
                    _WIDGETS.popitem(last=False)
        return html


class _CachedSelectMultiple(_CachedRender, forms.SelectMultiple):
    pass


class _CachedSelect(_CachedRender, forms.Select):
    pass


class _CachedNullBooleanSelect(_CachedRender, forms.NullBooleanSelect):
    pass


class _CachedTextInput(_CachedRender, forms.TextInput):
    pass


class _CachedDateInput(_CachedRender, forms.DateInput):
    pass


class _CachedHiddenInput(_CachedRender, forms.HiddenInput):
    pass


_FORM_CLASSES: dict[type[Any], type[forms.Form]] = {}
_CACHED: dict[type[Any], Any] = {
    forms.SelectMultiple: _CachedSelectMultiple,
    forms.Select: _CachedSelect,
    forms.NullBooleanSelect: _CachedNullBooleanSelect,
    forms.TextInput: _CachedTextInput,
    forms.DateInput: _CachedDateInput,
    forms.HiddenInput: _CachedHiddenInput,
}


class RegistryFilter(django_filters.FilterSet):
    """Filters over cases already restricted to the user's scope (by the selector)."""

    # Filters on the case's own columns never repeat a case: no DISTINCT (django-filter's
    # default for multiple choices), which would sort every match before the first page.
    status = django_filters.MultipleChoiceFilter(
        label=_("状态"), choices=Status.choices, distinct=False
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Kind.choices)
    intake_channel = django_filters.ModelMultipleChoiceFilter(
        label=_("投诉渠道"),
        field_name="intake_channel__code",
        to_field_name="code",
        queryset=_terms(Axis.INTAKE_CHANNEL),
        distinct=False,
    )
    business_channel = django_filters.ModelMultipleChoiceFilter(
        label=_("业务办理渠道"),
        field_name="business_channel__code",
        to_field_name="code",
        queryset=_terms(Axis.BUSINESS_CHANNEL),
        distinct=False,
    )
    business_category = django_filters.ModelMultipleChoiceFilter(
        label=_("业务类别"),
        method="filter_category",
        to_field_name="code",
        queryset=_terms(Axis.BUSINESS_CATEGORY),
        distinct=False,
    )
    cause = django_filters.ModelMultipleChoiceFilter(
        label=_("投诉原因"),
        field_name="cause__code",
        to_field_name="code",
        queryset=_terms(Axis.CAUSE),
        distinct=False,
    )
    level = django_filters.ModelMultipleChoiceFilter(
        label=_("处理级别"),
        field_name="level__code",
        to_field_name="code",
        queryset=_terms(Axis.LEVEL),
        distinct=False,
    )
    # Many-to-many and person filters select case ids in a subquery, so no case repeats either.
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("标签"),
        method="filter_tag",
        to_field_name="code",
        queryset=_terms(Axis.TAG),
        distinct=False,
    )
    unit = django_filters.CharFilter(
        label=_("机构（含下级）"),
        method="filter_unit",
        widget=forms.TextInput(attrs={"list": "unit-options", "autocomplete": "off"}),
        help_text=_("机构名称或代码，如：杭州分行"),
    )
    handler = django_filters.CharFilter(
        label=_("处理人"),
        method="filter_handler",
        widget=forms.TextInput(attrs={"list": "handler-options", "autocomplete": "off"}),
        help_text=_("姓名或登录名，如：张磊"),
    )
    # Day bounds become datetime ranges so the index on received_at is used (a __date lookup
    # is computed per row, in Python on SQLite).
    received_from = django_filters.DateFilter(label=_("接收日期起"), method="filter_received_from")
    received_to = django_filters.DateFilter(label=_("接收日期止"), method="filter_received_to")
    due = django_filters.ChoiceFilter(
        label=_("期限"),
        method="filter_due",
        choices=[("overdue", _("已超期")), ("soon", _("3日内到期")), ("open", _("未办结"))],
    )
    major = django_filters.BooleanFilter(label=_("重大投诉"), field_name="is_major")
    q = django_filters.CharFilter(
        label=_("编号/标题/投诉人"),
        method="filter_text",
        help_text=_(
            "台账编号、转办编号、标题或投诉人姓名（精确）；按电话、证件号查找请用“按投诉人查找”"
        ),
    )
    # A phone or ID number never travels in a URL: it is posted once for a token (privacy.lookup).
    person_token = django_filters.CharFilter(
        label=_("投诉人查找"), method="filter_person", widget=forms.HiddenInput
    )

    class Meta:
        model = Complaint
        fields: list[str] = []

    AXES = {
        "intake_channel": Axis.INTAKE_CHANNEL,
        "business_channel": Axis.BUSINESS_CHANNEL,
        "business_category": Axis.BUSINESS_CATEGORY,
        "cause": Axis.CAUSE,
        "level": Axis.LEVEL,
        "tag": Axis.TAG,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stamp = taxonomy_stamp()
        choices = term_choices(stamp)
        for name, field in self.form.fields.items():
            cached = _CACHED.get(type(field.widget))
            if cached is None:
                continue
            widget = cached(attrs=field.widget.attrs)
            widget.stamp = stamp
            widget.is_required = field.widget.is_required
            if name in self.AXES:
                field.widget = widget
                # Plain choices replace the model iterator for rendering (django-filter's own
                # setter expects an iterator, hence Django's); validating a submitted value
                # still asks the database (one query, only when that filter is used).
                _SET_CHOICES(field, choices.get(self.AXES[name], []))
            else:
                for attr in ("choices", "format"):
                    if hasattr(field.widget, attr):
                        setattr(widget, attr, getattr(field.widget, attr))
                field.widget = widget

    def get_form_class(self) -> type[forms.Form]:
        # django-filter builds a new form class (eighteen fields, a metaclass) for every
        # instance; its fields depend on nothing of the request (the taxonomy querysets ignore
        # it), and each form instance copies them, so one class serves every request.
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES[type(self)] = super().get_form_class()
        return form_class

    def filter_queryset(self, queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
        # An unused filter is skipped here, as each filter would skip it: an unused taxonomy
        # filter's value is an empty queryset, which django-filter's own test for emptiness
        # compiles to SQL (six per request, a tenth of the page's CPU).
        for name, value in self.form.cleaned_data.items():
            if value in EMPTY_VALUES or (isinstance(value, QuerySet) and value.query.is_empty()):
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_category(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        if not value:
            return queryset
        # A top-level category matches its sub-categories too.
        return queryset.filter(
            Q(business_category__in=value) | Q(business_category__parent__in=value)
        )

    def filter_unit(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """A unit (and everything under it) by code or by name; a part of a name (杭州) takes
        every unit whose name contains it."""
        value = value.strip()
        if not value:
            return queryset
        units = list(Unit.objects.filter(code=value).values_list("path", flat=True)) or list(
            Unit.objects.filter(name=value).values_list("path", flat=True)
        )
        if not units:
            units = list(Unit.objects.filter(name__icontains=value).values_list("path", flat=True))
        if not units:
            return queryset.none()
        # A unit inside another found unit adds nothing.
        tops = [p for p in units if not any(p != q and p.startswith(q) for q in units)]
        match = Q()
        for path in tops:
            match |= Q(unit__path__startswith=path)
        return queryset.filter(match)

    def filter_handler(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """The handler by login name or by name (张磊)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(handler__username=value) | Q(handler__display_name__iexact=value))

    def filter_due(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        from datetime import timedelta

        open_cases = queryset.filter(status__in=OPEN_STATUSES)
        moment = now()
        if value == "overdue":
            return open_cases.filter(due_at__lte=moment)
        if value == "soon":
            return open_cases.filter(due_at__gt=moment, due_at__lte=moment + timedelta(days=3))
        return open_cases

    def filter_text(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """Registry or reference number, or title, containing `value`; or a complainant whose
        whole name it is. On PostgreSQL the containment goes through the character-pair index
        of migration complaints 0009 (a superset, checked exactly by the icontains), and the
        named people's cases are read first, so every branch of the OR is an index scan."""
        value = value.strip()
        if not value:
            return queryset
        text = Q(registry_no__icontains=value) | Q(external_ref__icontains=value)
        text |= Q(title__icontains=value)
        if connection.vendor == "postgresql":
            text &= Q(_TextGrams(value))
        named = list(_named(value).values_list("complaint_id", flat=True))
        return queryset.filter(text | Q(pk__in=named)) if named else queryset.filter(text)

    def filter_person(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """Every case of one person, found through the keyed hashes: nothing is decrypted."""
        from xiaobao.privacy.lookup import person_lookup_hashes

        value = value.strip()
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        hashes = person_lookup_hashes(user=user, token=value)
        if hashes is None:
            return queryset.none()  # expired or someone else's token: nothing, not everything
        match = Q(pk__in=[])
        if hashes["phone"]:
            match |= Q(phone_hash=hashes["phone"])
        if hashes["id_number"]:
            match |= Q(id_number_hash=hashes["id_number"])
        people = Complainant.objects.filter(match)
        return queryset.filter(pk__in=people.values("complaint_id"))

    def filter_tag(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        if not value:
            return queryset
        tagged = Complaint.tags.through.objects.filter(taxonomyterm__in=value)
        return queryset.filter(pk__in=tagged.values("complaint_id"))

    def filter_received_from(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        return queryset.filter(received_at__gte=_day_start(value))

    def filter_received_to(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        from datetime import timedelta

        return queryset.filter(received_at__lt=_day_start(value + timedelta(days=1)))


class _TextGrams(RawSQL):
    """The case's number, reference and title hold every character and character pair of
    `value` (PostgreSQL; the expression is the one indexed by complaint_text_grams_gin)."""

    def __init__(self, value: str) -> None:
        super().__init__(
            "xiaobao_grams(complaints_complaint.title || ' ' || complaints_complaint.registry_no"
            " || ' ' || complaints_complaint.external_ref) @> xiaobao_grams(%s)",
            [value],
            output_field=BooleanField(),
        )


def _named(value: str) -> QuerySet[Complainant]:
    """Complainants whose whole name is `value`, by keyed hash only (phone and ID numbers are
    looked up by a posted token instead, so they never appear in a URL)."""
    index = name_index_for(value)
    return Complainant.objects.filter(name_index=index) if index else Complainant.objects.none()


def _day_start(day: Any) -> Any:
    """Midnight at the start of `day` in the institution's time zone (Asia/Shanghai)."""
    from datetime import datetime, time

    from django.utils import timezone

    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())
