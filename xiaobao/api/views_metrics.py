"""The metric registry over the API: /api/v1/metrics/ and /api/v1/metrics/<key>/.

`?unit=` (a unit code in the caller's scope; 404 otherwise, like any record out of scope),
`?first=` and `?last=` (ISO dates, both included; default this year to date).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaobao.api.errors import ErrorSerializer
from xiaobao.api.views import READ_ERRORS, ReadPermission
from xiaobao.front.metrics_views import PERMISSION, Period, resolve
from xiaobao.lib import metrics
from xiaobao.lib.errors import DomainError


class MetricOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit_label = serializers.CharField()
    description = serializers.CharField()
    higher_is_better = serializers.BooleanField(allow_null=True)


class MetricValueOut(MetricOut):
    unit = serializers.CharField(help_text="机构代码")
    first = serializers.DateField()
    last = serializers.DateField()
    value = serializers.CharField(
        allow_null=True, help_text="数值（小数以字符串表示），无数据为 null"
    )
    drill = serializers.CharField(help_text="明细页面链接，无则为空")


PARAMS = [
    OpenApiParameter("unit", OpenApiTypes.STR, description="机构代码，默认为本人所属机构"),
    OpenApiParameter("first", OpenApiTypes.DATE, description="起始日期（含），默认本年1月1日"),
    OpenApiParameter("last", OpenApiTypes.DATE, description="截止日期（含），默认今天"),
]


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise DomainError("日期格式应为 YYYY-MM-DD。", code="invalid", field=name) from exc


def _period(request: Request) -> Period:
    first, last = _date(request, "first"), _date(request, "last")
    period = resolve(
        request.user, unit_code=request.query_params.get("unit") or None, first=first, last=last
    )
    if period.first > period.last:
        raise DomainError("截止日期不能早于起始日期。", code="invalid", field="last")
    return period


def _describe(m: metrics.Metric) -> dict[str, Any]:
    return {
        "key": m.key,
        "label": str(m.label),
        "unit_label": str(m.unit_label),
        "description": str(m.description),
        "higher_is_better": m.higher_is_better,
    }


def _number(value: metrics.Number) -> Any:
    return str(value) if isinstance(value, Decimal) else value


class MetricListView(APIView):
    """Every registered metric and its definition."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = PERMISSION

    @extend_schema(
        summary="指标库", responses={200: MetricOut(many=True), **READ_ERRORS}, tags=["指标"]
    )
    def get(self, request: Request) -> Response:
        return Response([_describe(m) for m in metrics.registry().values()])


class MetricValueView(APIView):
    """One metric's value for a unit in the caller's scope and a period."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = PERMISSION

    @extend_schema(
        summary="指标数值",
        parameters=PARAMS,
        responses={200: MetricValueOut, 400: ErrorSerializer, **READ_ERRORS},
        tags=["指标"],
    )
    def get(self, request: Request, key: str) -> Response:
        try:
            m = metrics.get(key)
        except metrics.UnknownMetricError:
            raise Http404 from None
        period = _period(request)
        kwargs: dict[str, Any] = {"unit": period.unit, "first": period.first, "last": period.last}
        return Response(
            {
                **_describe(m),
                "unit": period.unit.code,
                "first": period.first.isoformat(),
                "last": period.last.isoformat(),
                "value": _number(m.value(**kwargs)),
                "drill": m.drill_url(**kwargs),
            }
        )
