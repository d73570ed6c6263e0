"""REST endpoints of assessment (`/api/v1/assessment/…`): parse, call one service, return.

Reads are branch-scoped through the selectors (a run, score or appeal outside the scope is a 404);
writes go through the services, which check rights and transitions (403, 409; 422 naming the field).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.views import ReadPermission
from xiaobao.assessment import selectors, services
from xiaobao.assessment.choices import (
    AppealStatus,
    IndicatorKind,
    Normalisation,
    RunStatus,
    SchemeKind,
    SchemeStatus,
)
from xiaobao.assessment.models import Appeal, Element, Indicator, Result, Run, Scheme, Score
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import unit_in_scope, visible_to

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
TAG = ["考核评价"]


class ElementOut(serializers.ModelSerializer):
    class Meta:
        model = Element
        fields = ["id", "code", "name", "weight", "min_weight", "is_deduction", "scope_note"]


class IndicatorOut(serializers.ModelSerializer):
    element = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id", "code", "name", "element", "kind", "metric_key", "target", "zero_at",
            "weight", "per_event", "cap", "normalisation", "guidance",
        ]  # fmt: skip


class SchemeOut(serializers.ModelSerializer):
    elements = ElementOut(many=True, read_only=True)
    indicators = IndicatorOut(many=True, read_only=True)
    unit_kinds = serializers.ListField(child=serializers.CharField())
    bands = serializers.ListField(child=serializers.ListField())

    class Meta:
        model = Scheme
        fields = [
            "id", "code", "name", "year", "kind", "version", "status", "unit_kinds", "bands",
            "kpi_share", "basis", "is_example", "published_at", "elements", "indicators",
        ]  # fmt: skip


class SchemeIn(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=120)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    kind = serializers.ChoiceField(choices=SchemeKind.choices, default=SchemeKind.INTERNAL)
    unit_kinds = serializers.ListField(child=serializers.ChoiceField(choices=UnitKind.choices))
    bands = serializers.ListField(
        child=serializers.ListField(), default=[[90, "A"], [80, "B"], [70, "C"], [0, "D"]]
    )
    kpi_share = serializers.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    basis = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class IndicatorIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    element = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    metric_key = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    target = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    zero_at = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    weight = serializers.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    per_event = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )
    cap = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )
    normalisation = serializers.ChoiceField(
        choices=Normalisation.choices, default=Normalisation.NONE
    )
    guidance = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class AssessmentAdvanceIn(serializers.Serializer):
    to = serializers.CharField(max_length=16)
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class AssessmentResultOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    staff = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Result
        fields = ["unit", "staff", "total", "maximum", "percent", "rank", "grade", "vetoed"]


class ScoreOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    staff = serializers.SlugRelatedField(slug_field="username", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    element = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = [
            "id", "unit", "staff", "indicator", "element", "value", "basis", "points", "no_data", "note",
            "drill_url", "evidence",
        ]  # fmt: skip

    def get_element(self, obj: Score) -> str:
        element = obj.indicator.element
        return element.code if element is not None else ""

    def get_evidence(self, obj: Score) -> list[dict[str, str]]:
        return selectors.evidence_links(obj)


class RunOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    results = serializers.SerializerMethodField()
    staff_results = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id", "scheme", "unit", "label", "first", "last", "status", "appeal_until",
            "snapshot_at", "corrects", "correction_reason", "results", "staff_results",
        ]  # fmt: skip

    def get_results(self, obj: Run) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return list(AssessmentResultOut(selectors.results_for(user, obj), many=True).data)

    def get_staff_results(self, obj: Run) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return list(AssessmentResultOut(selectors.staff_results_for(user, obj), many=True).data)


class RunIn(serializers.Serializer):
    scheme = serializers.PrimaryKeyRelatedField(
        queryset=Scheme.objects.filter(status=SchemeStatus.PUBLISHED)
    )
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True)
    )
    label = serializers.CharField(max_length=60)
    first = serializers.DateField()
    last = serializers.DateField()


class ScoreIn(serializers.Serializer):
    score = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class AssessmentReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AppealOut(serializers.ModelSerializer):
    run = serializers.IntegerField(source="score.run_id", read_only=True)
    unit = serializers.CharField(source="score.unit.code", read_only=True)
    indicator = serializers.CharField(source="score.indicator.code", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id", "run", "score", "unit", "indicator", "reason", "requested_points", "status",
            "decision", "points_before", "points_after", "filed_at", "decided_at",
        ]  # fmt: skip


class AssessmentAppealIn(serializers.Serializer):
    score = serializers.IntegerField()
    reason = serializers.CharField(max_length=2000)
    requested_points = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )
    file = serializers.FileField(required=False, allow_null=True, default=None)


class AssessmentDecideIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    decision = serializers.CharField(max_length=2000)
    points = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="考核方案（含监管评价要素与指标）",
        responses={200: SchemeOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="考核方案详情", responses={200: SchemeOut, **READ_ERRORS}, tags=TAG
    ),
)
class SchemeViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "assessment.view_scheme"
    serializer_class = SchemeOut
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Scheme]:
        return selectors.schemes_for(self.request.user)

    def list(self, request: Request) -> Response:
        return Response(SchemeOut(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(SchemeOut(self.get_object()).data)

    @extend_schema(
        summary="新建考核方案（草稿）",
        request=SchemeIn,
        responses={201: SchemeOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(SchemeIn, request))
        scheme = services.scheme_create(actor=request.user, data=services.SchemeData(**v))
        return Response(SchemeOut(scheme).data, status=201)

    @extend_schema(
        summary="为草稿方案添加指标",
        request=IndicatorIn,
        responses={201: IndicatorOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def indicators(self, request: Request, pk: Any = None) -> Response:
        scheme = self.get_object()
        v = dict(_valid(IndicatorIn, request))
        code = v.pop("element")
        element = scheme.elements.filter(code=code).first() if code else None
        if code and element is None:
            raise ValidationError({"element": ["评价要素不属于本方案。"]})
        indicator = services.indicator_add(
            actor=request.user, scheme=scheme, data=services.IndicatorData(element=element, **v)
        )
        return Response(IndicatorOut(indicator).data, status=201)

    @extend_schema(
        summary="审批、发布或停用方案",
        request=AssessmentAdvanceIn,
        responses={200: SchemeOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: Any = None) -> Response:
        v = _valid(AssessmentAdvanceIn, request)
        scheme = services.scheme_advance(
            actor=request.user, scheme=self.get_object(), to=v["to"], reason=v["reason"]
        )
        return Response(SchemeOut(scheme).data)


@extend_schema_view(
    list=extend_schema(
        summary="考核期次（本机构为范围或本机构及下级被考核的）",
        parameters=[OpenApiParameter("status", str, enum=RunStatus.values)],
        responses={200: RunOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="考核期次与各机构结果", responses={200: RunOut, **READ_ERRORS}, tags=TAG
    ),
)
class RunViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "assessment.view_run"
    serializer_class = RunOut
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Run]:
        runs = selectors.runs_for(self.request.user).order_by("-last", "-id")
        status = self.request.query_params.get("status")
        return runs.filter(status=status) if status else runs

    def list(self, request: Request) -> Response:
        return Response(
            RunOut(self.get_queryset()[:200], many=True, context={"request": request}).data
        )

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(RunOut(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="开展考核：冻结取数并计算",
        request=RunIn,
        responses={201: RunOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(RunIn, request)
        if not unit_in_scope(request.user, v["unit"]):
            raise NotFound
        run = services.run_create(actor=request.user, **v)
        return Response(RunOut(run, context={"request": request}).data, status=201)

    @extend_schema(
        summary="各指标得分（含取数、明细链接与证据）",
        parameters=[OpenApiParameter("unit", str, description="机构代码")],
        responses={200: ScoreOut(many=True), **READ_ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["get"])
    def scores(self, request: Request, pk: Any = None) -> Response:
        scores = selectors.scores_for(request.user, self.get_object())
        code = request.query_params.get("unit")
        if code:
            scores = scores.filter(unit__code=code)
        return Response(ScoreOut(scores, many=True).data)

    @extend_schema(
        summary="录入人工评分", request=ScoreIn, responses={200: ScoreOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], url_path="manual-score")
    def manual_score(self, request: Request, pk: Any = None) -> Response:
        v = _valid(ScoreIn, request)
        score = (
            visible_to(request.user, self.get_object().scores.all()).filter(pk=v["score"]).first()
        )
        if score is None:
            raise NotFound
        score = services.score_set(
            actor=request.user, score=score, points=v["points"], note=v["note"]
        )
        return Response(ScoreOut(score).data)

    @extend_schema(
        summary="预览、开放申诉、定稿或锁定",
        request=AssessmentAdvanceIn,
        responses={200: RunOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: Any = None) -> Response:
        v = _valid(AssessmentAdvanceIn, request)
        run = services.run_advance(
            actor=request.user, run=self.get_object(), to=v["to"], reason=v["reason"]
        )
        return Response(RunOut(run, context={"request": request}).data)

    @extend_schema(
        summary="重新取数（仅限计算与录入阶段）",
        request=None,
        responses={200: RunOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: Any = None) -> Response:
        run = services.run_refresh(actor=request.user, run=self.get_object())
        return Response(RunOut(run, context={"request": request}).data)

    @extend_schema(
        summary="更正：以新期次重新取数，原期次不变",
        request=AssessmentReasonIn,
        responses={201: RunOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: Any = None) -> Response:
        v = _valid(AssessmentReasonIn, request)
        run = services.run_correct(actor=request.user, run=self.get_object(), reason=v["reason"])
        return Response(RunOut(run, context={"request": request}).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="考核申诉（本机构及下级）",
        responses={200: AppealOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="考核申诉详情", responses={200: AppealOut, **READ_ERRORS}, tags=TAG
    ),
)
class AppealViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "assessment.view_appeal"
    serializer_class = AppealOut
    pagination_class = None
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Appeal]:
        return selectors.appeals_for(self.request.user)

    def list(self, request: Request) -> Response:
        return Response(AppealOut(self.get_queryset()[:500], many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(AppealOut(self.get_object()).data)

    @extend_schema(
        summary="提出申诉（申诉期内，可附证据）",
        request=AssessmentAppealIn,
        responses={201: AppealOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(AssessmentAppealIn, request)
        from xiaobao.organisation.scope import visible_to

        score = visible_to(request.user, Score.objects.all()).filter(pk=v["score"]).first()
        if score is None:
            raise NotFound
        appeal = services.appeal_file(
            actor=request.user, score=score, reason=v["reason"],
            requested_points=v["requested_points"], upload=v["file"],
        )  # fmt: skip
        return Response(AppealOut(appeal).data, status=201)

    @extend_schema(
        summary="裁定申诉（成立时改变该项得分）",
        request=AssessmentDecideIn,
        responses={200: AppealOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        v = _valid(AssessmentDecideIn, request)
        appeal = services.appeal_decide(actor=request.user, appeal=self.get_object(), **v)
        return Response(AppealOut(appeal).data)


__all__ = ["AppealStatus"]
