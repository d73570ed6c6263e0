"""REST endpoints of outreach (`/api/v1/outreach/…`): parse, call one service, return the record.

Reads are branch-scoped through the selectors (a record outside the scope is a 404, exactly like
one that does not exist); writes go through the services, which check rights and transitions
again (403, 409; invalid input 400/422 naming the field).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.views import ReadPermission
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, unit_in_scope
from xiaobao.outreach import report_form, selectors, services
from xiaobao.outreach.choices import (
    ActivityForm,
    CampaignKind,
    CampaignStatus,
    CountingMethod,
    KeyGroup,
)
from xiaobao.outreach.models import Activity, Campaign, Material, Topic

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
LIST_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (400, 401, 403, 404)}
TAG = ["宣传教育"]


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs
    )


def _topic_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Topic.objects.filter(is_active=True), many=True, **kwargs
    )


# --- serializers ----------------------------------------------------------------------------------


class CampaignOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    required_topics = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    key_groups = serializers.ListField(child=serializers.CharField())
    report_columns = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "unit",
            "notice_issuer",
            "notice_no",
            "starts_on",
            "ends_on",
            "report_deadline",
            "theme",
            "key_groups",
            "required_topics",
            "report_columns",
        ]


class CampaignIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=CampaignKind.choices)
    unit = _unit_field()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    report_deadline = serializers.DateField()
    theme = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    notice_issuer = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    notice_no = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    key_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=KeyGroup.choices), required=False, default=list
    )
    required_topics = _topic_field(required=False, default=list)
    report_columns = serializers.ListField(
        child=serializers.ChoiceField(choices=list(report_form.columns())),
        required=False,
        default=None,
        help_text="报表栏目；不填则按活动类型使用预置报表",
    )


class AdvanceIn(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[CampaignStatus.PUBLISHED, CampaignStatus.REPORTING, CampaignStatus.LOCKED]
    )


class TotalsOut(serializers.Serializer):
    unit = serializers.CharField()
    figures = serializers.DictField(child=serializers.IntegerField())
    non_reporters = serializers.ListField(child=serializers.CharField())


class MaterialLine(serializers.Serializer):
    material = serializers.PrimaryKeyRelatedField(queryset=Material.objects.all())
    quantity = serializers.IntegerField(min_value=1)


class ActivityOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    co_units = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    topics = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    key_groups = serializers.ListField(child=serializers.CharField())
    audience_by_group = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    evidence_count = serializers.SerializerMethodField()
    is_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "campaign",
            "unit",
            "co_units",
            "title",
            "form",
            "online",
            "starts_at",
            "ends_at",
            "place",
            "division_code",
            "topics",
            "key_groups",
            "staff_count",
            "audience_count",
            "counting_method",
            "audience_by_group",
            "materials",
            "sms_sent",
            "posts",
            "reads",
            "media_reports",
            "consultations",
            "narrative",
            "no_marketing",
            "status",
            "submitted_at",
            "is_late",
            "return_reason",
            "evidence_count",
        ]

    def get_audience_by_group(self, obj: Activity) -> dict[str, int]:
        return {a.group: a.count for a in obj.audiences.all()}

    def get_materials(self, obj: Activity) -> list[dict[str, int]]:
        return [{"material": m.material_id, "quantity": m.quantity} for m in obj.materials.all()]

    def get_evidence_count(self, obj: Activity) -> int:
        from xiaobao.evidence.selectors import evidence_for

        return evidence_for(obj).count()


class ActivityIn(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True, default=None
    )
    unit = _unit_field()
    co_units = _unit_field(many=True, required=False, default=list)
    title = serializers.CharField(max_length=120)
    form = serializers.ChoiceField(choices=ActivityForm.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    division_code = serializers.CharField(
        max_length=12, required=False, default="", allow_blank=True
    )
    topics = _topic_field(required=False, default=list)
    key_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=KeyGroup.choices), required=False, default=list
    )
    staff_count = serializers.IntegerField(min_value=0, max_value=10**7, default=0)
    audience_count = serializers.IntegerField(min_value=0, max_value=10**8, default=0)
    counting_method = serializers.ChoiceField(
        choices=[("", "—"), *CountingMethod.choices], required=False, default=""
    )
    audience_by_group = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=10**8), required=False, default=dict
    )
    materials = MaterialLine(many=True, required=False, default=list)
    sms_sent = serializers.IntegerField(min_value=0, max_value=10**8, default=0)
    posts = serializers.IntegerField(min_value=0, max_value=10**7, default=0)
    reads = serializers.IntegerField(min_value=0, max_value=2 * 10**9, default=0)
    media_reports = serializers.IntegerField(min_value=0, max_value=10**6, default=0)
    consultations = serializers.IntegerField(min_value=0, max_value=10**7, default=0)
    narrative = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    no_marketing = serializers.BooleanField(default=False)

    def data_object(self) -> services.ActivityData:
        v = dict(self.validated_data)
        materials: dict[Material, int] = {}
        for line in v.pop("materials"):
            materials[line["material"]] = materials.get(line["material"], 0) + line["quantity"]
        return services.ActivityData(materials=materials, **v)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class EvidenceIn(serializers.Serializer):
    file = serializers.FileField()
    label = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class SpotComplaintIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    narrative = serializers.CharField(max_length=5000)
    complainant_name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SpotComplaintOut(serializers.Serializer):
    complaint = serializers.IntegerField()
    registry_no = serializers.CharField()


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    reused_elsewhere = serializers.BooleanField()


# --- viewsets -------------------------------------------------------------------------------------


class NewestFirst(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"


class CampaignPages(NewestFirst):
    ordering = ("-starts_on", "-id")


class ActivityPages(NewestFirst):
    ordering = ("-starts_at", "-id")


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser


@extend_schema_view(
    list=extend_schema(
        summary="宣传活动方案（覆盖本机构或本机构下级的方案）",
        responses={200: CampaignOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="宣传活动方案详情", responses={200: CampaignOut, **READ_ERRORS}, tags=TAG
    ),
)
class CampaignViewSet(viewsets.GenericViewSet):
    """Campaigns whose scope covers the caller's unit or lies inside the caller's subtree."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "outreach.view_campaign"
    serializer_class = CampaignOut
    pagination_class = CampaignPages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaigns_for(self.request.user).prefetch_related("required_topics")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CampaignOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(CampaignOut(self.get_object()).data)

    @extend_schema(
        summary="新建宣传活动方案（草稿）",
        request=CampaignIn,
        responses={201: CampaignOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(CampaignIn, request).validated_data)
        v["required_topics"] = list(v["required_topics"])
        campaign = services.campaign_create(actor=request.user, data=services.CampaignData(**v))
        return Response(CampaignOut(campaign).data, status=201)

    @extend_schema(
        summary="发布、开始报送或锁定方案",
        request=AdvanceIn,
        responses={200: CampaignOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def advance(self, request: Request, pk: Any = None) -> Response:
        campaign = self.get_object()
        to = _valid(AdvanceIn, request).validated_data["to"]
        campaign = services.campaign_advance(actor=request.user, campaign=campaign, to=to)
        return Response(CampaignOut(campaign).data)

    @extend_schema(
        summary="方案合计（已审核活动之和）与尚未报送的网点",
        parameters=[
            OpenApiParameter("unit", str, description="机构代码；默认为本人机构与方案范围的交集")
        ],
        responses={200: TotalsOut, **READ_ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def totals(self, request: Request, pk: Any = None) -> Response:
        campaign = self.get_object()
        root = selectors.narrower(campaign.unit, request.user.unit)
        unit = root
        code = request.query_params.get("unit")
        if code:
            unit = Unit.objects.filter(code=code).first()
            if (
                unit is None
                or root is None
                or not unit_in_scope(request.user, unit)
                or not unit.path.startswith(root.path)
            ):
                raise NotFound
        if unit is None:
            raise NotFound
        return Response(
            {
                "unit": unit.code,
                "figures": selectors.campaign_figures(campaign, unit),
                "non_reporters": [u.code for u in selectors.non_reporters(campaign, unit)],
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="宣传活动（本机构范围内牵头或协办的活动）",
        responses={200: ActivityOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="宣传活动详情", responses={200: ActivityOut, **READ_ERRORS}, tags=TAG
    ),
)
class ActivityViewSet(viewsets.GenericViewSet):
    """Activities led in the caller's subtree, and joint activities it co-hosts."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "outreach.view_activity"
    serializer_class = ActivityOut
    pagination_class = ActivityPages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.activities_for(self.request.user).prefetch_related(
            "co_units", "topics", "audiences", "materials"
        )

    def _own(self, pk: Any) -> Activity:
        """Writes need the lead unit in scope; a co-host sees the activity but cannot change it."""
        return get_visible_or_404(self.request.user, Activity.objects.all(), pk=pk)

    def _out(self, activity: Activity, status: int = 200) -> Response:
        return Response(ActivityOut(self.get_queryset().get(pk=activity.pk)).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ActivityOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ActivityOut(self.get_object()).data)

    @extend_schema(
        summary="记录宣传活动（草稿）",
        request=ActivityIn,
        responses={201: ActivityOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        data = _valid(ActivityIn, request).data_object()
        activity = services.activity_create(actor=request.user, data=data)
        return self._out(activity, status=201)

    @extend_schema(
        summary="上传照片、截图或平台导出数据",
        request={"multipart/form-data": EvidenceIn},
        responses={201: EvidenceOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], pagination_class=None)
    def evidence(self, request: Request, pk: Any = None) -> Response:
        from xiaobao.evidence.selectors import reused_elsewhere

        activity = self._own(pk)
        v = _valid(EvidenceIn, request).validated_data
        kept = services.activity_add_evidence(
            actor=request.user, activity=activity, upload=v["file"], label=v["label"]
        )
        reused = reused_elsewhere([kept])
        body = {
            "id": kept.pk,
            "original_name": kept.original_name,
            "sha256": kept.sha256,
            "reused_elsewhere": bool(reused.get(kept.pk)),
        }
        return Response(body, status=201)

    @extend_schema(
        summary="登记现场受理的投诉（经投诉登记流程，柜面/现场渠道）并关联到活动",
        request=SpotComplaintIn,
        responses={201: SpotComplaintOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def complaints(self, request: Request, pk: Any = None) -> Response:
        activity = self._own(pk)
        v = _valid(SpotComplaintIn, request).validated_data
        link = services.activity_link_complaint(actor=request.user, activity=activity, **v)
        body = {"complaint": link.complaint_id, "registry_no": link.complaint.registry_no}
        return Response(body, status=201)

    def _step(self, request: Request, pk: Any, service: str, reason: bool = False) -> Response:
        activity = self._own(pk)
        kwargs: dict[str, Any] = {"actor": request.user, "activity": activity}
        if reason:
            kwargs["reason"] = _valid(ReasonIn, request).validated_data["reason"]
        return self._out(getattr(services, service)(**kwargs))

    @extend_schema(
        summary="提交审核", request=None, responses={200: ActivityOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def submit(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "activity_submit")

    @extend_schema(
        summary="审核通过", request=None, responses={200: ActivityOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "activity_approve")

    @extend_schema(
        summary="退回（须说明原因）",
        request=ReasonIn,
        responses={200: ActivityOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="return", pagination_class=None)
    def send_back(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "activity_return", reason=True)

    @extend_schema(
        summary="重新打开（须说明原因）",
        request=ReasonIn,
        responses={200: ActivityOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def reopen(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "activity_reopen", reason=True)
