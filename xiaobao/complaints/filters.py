"""The registry's filters, shared by the workbench list, its Excel export and the REST API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import OPEN_STATUSES, Axis, Kind, Status
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit


def _terms(axis: Axis) -> Any:
    return lambda request: TaxonomyTerm.objects.filter(axis=axis)


class RegistryFilter(django_filters.FilterSet):
    """Filters over cases already restricted to the user's scope (by the selector)."""

    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=Status.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Kind.choices)
    intake_channel = django_filters.ModelMultipleChoiceFilter(
        label=_("投诉渠道"),
        field_name="intake_channel__code",
        to_field_name="code",
        queryset=_terms(Axis.INTAKE_CHANNEL),
    )
    business_channel = django_filters.ModelMultipleChoiceFilter(
        label=_("业务办理渠道"),
        field_name="business_channel__code",
        to_field_name="code",
        queryset=_terms(Axis.BUSINESS_CHANNEL),
    )
    business_category = django_filters.ModelMultipleChoiceFilter(
        label=_("业务类别"),
        method="filter_category",
        to_field_name="code",
        queryset=_terms(Axis.BUSINESS_CATEGORY),
    )
    cause = django_filters.ModelMultipleChoiceFilter(
        label=_("投诉原因"),
        field_name="cause__code",
        to_field_name="code",
        queryset=_terms(Axis.CAUSE),
    )
    level = django_filters.ModelMultipleChoiceFilter(
        label=_("处理级别"),
        field_name="level__code",
        to_field_name="code",
        queryset=_terms(Axis.LEVEL),
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("标签"), field_name="tags__code", to_field_name="code", queryset=_terms(Axis.TAG)
    )
    unit = django_filters.CharFilter(label=_("机构（含下级）"), method="filter_unit")
    handler = django_filters.CharFilter(label=_("处理人"), field_name="handler__username")
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
    q = django_filters.CharFilter(label=_("编号/标题"), method="filter_text")
    person = django_filters.CharFilter(label=_("投诉人电话或证件号"), method="filter_person")

    class Meta:
        model = Complaint
        fields: list[str] = []

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
        unit = Unit.objects.filter(code=value).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(unit__path__startswith=unit.path)

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
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(registry_no__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(title__icontains=value)
        )

    def filter_person(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """Every case of one person, found through the keyed hashes: nothing is decrypted."""
        from xiaobao.privacy.crypto import blind_index

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(complainants__phone_hash=blind_index(value, kind="phone"))
            | Q(complainants__id_number_hash=blind_index(value, kind="id_number"))
        ).distinct()

    def filter_received_from(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        return queryset.filter(received_at__gte=_day_start(value))

    def filter_received_to(
        self, queryset: QuerySet[Complaint], name: str, value: Any
    ) -> QuerySet[Complaint]:
        from datetime import timedelta

        return queryset.filter(received_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day: Any) -> Any:
    """Midnight at the start of `day` in the institution's time zone (Asia/Shanghai)."""
    from datetime import datetime, time

    from django.utils import timezone

    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())
