"""REST endpoints of the partner list (`/api/v1/partners/…`): parse, call one service, return.

Reads are branch-scoped through the selectors (a record outside the scope is a 404, exactly like
one that does not exist); writes go through the services, which check rights and transitions
(403, 409; a well-formed request a rule refuses is a 422 naming the field).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
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
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.partners import selectors, services
from xiaobao.partners.choices import (
    AdmissionDecision,
    Clause,
    Criterion,
    EvaluationResult,
    ExitStep,
    LinkRole,
    PartnerStatus,
    PartnerType,
)
from xiaobao.partners.models import (
    Agreement,
    Evaluation,
    Exit,
    Licence,
    Partner,
    PartnerComplaint,
)

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
LIST_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (400, 401, 403, 404)}
TAG = ["合作机构"]


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs
    )


# --- serializers ----------------------------------------------------------------------------------


class PartnerLicenceOut(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = ["id", "name", "number", "issuer", "expires_on"]


class PartnerOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    allowed_units = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    business_lines = serializers.ListField(child=serializers.CharField())
    licences = PartnerLicenceOut(many=True, read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "credit_code",
            "type",
            "status",
            "business_lines",
            "unit",
            "department",
            "allowed_units",
            "admitted_on",
            "exited_on",
            "licences",
        ]


class PartnerIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    credit_code = serializers.CharField(max_length=30, help_text="18位统一社会信用代码（GB 32100）")
    type = serializers.ChoiceField(choices=PartnerType.choices)
    unit = _unit_field(help_text="管理机构代码")
    business_lines = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    allowed_units = _unit_field(many=True, required=False, default=list)


class PartnerTransitionIn(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[PartnerStatus.LISTED, PartnerStatus.WATCH, PartnerStatus.SUSPENDED]
    )
    reason = serializers.CharField(max_length=500)


class PartnerLicenceIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    number = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    issuer = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class AdmissionIn(serializers.Serializer):
    criteria = serializers.DictField(
        child=serializers.BooleanField(), help_text=f"准入条件：{', '.join(Criterion.values)}"
    )
    cp_opinion = serializers.CharField(max_length=2000)
    decision = serializers.ChoiceField(choices=AdmissionDecision.choices)
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class AdmissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.CharField()
    partner = PartnerOut()


class AgreementOut(serializers.ModelSerializer):
    clauses = serializers.ListField(child=serializers.CharField())
    missing_clauses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "partner",
            "number",
            "title",
            "starts_on",
            "ends_on",
            "clauses",
            "missing_clauses",
            "data_scope",
            "status",
            "exception_reason",
            "review_ref",
            "review_result",
            "review_conclusion",
        ]


class AgreementIn(serializers.Serializer):
    number = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=200)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    clauses = serializers.ListField(
        child=serializers.ChoiceField(choices=Clause.choices), required=False, default=list
    )
    data_scope = serializers.CharField(required=False, default="", allow_blank=True)


class AgreementSignIn(serializers.Serializer):
    exception_reason = serializers.CharField(required=False, default="", allow_blank=True)


class AgreementReviewIn(serializers.Serializer):
    document = serializers.FileField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, default="", allow_blank=True)


class AgreementReviewOut(serializers.Serializer):
    review = serializers.CharField(help_text="消保审查编号")
    status = serializers.CharField()


class PartnerReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PartnerLinkOut(serializers.ModelSerializer):
    registry_no = serializers.CharField(source="complaint.registry_no")
    received_at = serializers.DateTimeField(source="complaint.received_at")
    unit = serializers.CharField(source="complaint.unit.code")
    complaint_status = serializers.CharField(source="complaint.status")

    class Meta:
        model = PartnerComplaint
        fields = [
            "id",
            "partner",
            "complaint",
            "registry_no",
            "received_at",
            "unit",
            "complaint_status",
            "role",
            "note",
            "outside_allowance",
        ]


class PartnerLinkIn(serializers.Serializer):
    registry_no = serializers.CharField(max_length=20)
    role = serializers.ChoiceField(choices=LinkRole.choices)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class EvaluationIn(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    customers_served = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    cooperation_timely = serializers.BooleanField(required=False, default=True)
    inspection_score = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True, default=None
    )
    regulator_penalties = serializers.IntegerField(min_value=0, required=False, default=0)
    public_opinion_events = serializers.IntegerField(min_value=0, required=False, default=0)
    contract_breaches = serializers.IntegerField(min_value=0, required=False, default=0)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class EvaluationOut(serializers.ModelSerializer):
    linked_complaints = serializers.SerializerMethodField()
    complaint_rate = serializers.SerializerMethodField(help_text="万人投诉率")

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "partner",
            "period_start",
            "period_end",
            "status",
            "customers_served",
            "complaints",
            "complaints_upheld",
            "complaint_rate",
            "cooperation_timely",
            "inspection_score",
            "regulator_penalties",
            "public_opinion_events",
            "contract_breaches",
            "result",
            "note",
            "linked_complaints",
        ]

    def get_linked_complaints(self, obj: Evaluation) -> list[dict[str, Any]]:
        links = selectors.linked_complaints(obj.partner, obj.period_start, obj.period_end)
        return PartnerLinkOut(links, many=True).data

    def get_complaint_rate(self, obj: Evaluation) -> str | None:
        value = selectors.evaluation_rate(obj)
        return None if value is None else str(value)


class EvaluationConcludeIn(serializers.Serializer):
    result = serializers.ChoiceField(choices=EvaluationResult.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class ExitStartIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    planned_on = serializers.DateField()


class ExitOut(serializers.ModelSerializer):
    confirmations = serializers.SerializerMethodField()
    unconfirmed = serializers.SerializerMethodField()

    class Meta:
        model = Exit
        fields = [
            "id",
            "partner",
            "reason",
            "planned_on",
            "status",
            "started_at",
            "completed_at",
            "confirmations",
            "unconfirmed",
        ]

    def get_confirmations(self, obj: Exit) -> list[dict[str, Any]]:
        return [
            {
                "step": c.step,
                "note": c.note,
                "confirmed_by": str(c.confirmed_by),
                "confirmed_at": c.confirmed_at.isoformat(),
            }
            for c in obj.confirmations.select_related("confirmed_by")
        ]

    def get_unconfirmed(self, obj: Exit) -> list[str]:
        done = set(obj.confirmations.values_list("step", flat=True))
        return [s for s in ExitStep.values if s not in done]


class ExitConfirmIn(serializers.Serializer):
    step = serializers.ChoiceField(choices=ExitStep.choices)
    note = serializers.CharField(max_length=2000)
    file = serializers.FileField(required=False, allow_null=True, default=None)


# --- viewsets -------------------------------------------------------------------------------------


class ByName(CursorPagination):
    ordering = ("name", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="合作机构名单（本机构管理或可使用的机构）",
        responses={200: PartnerOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="合作机构详情", responses={200: PartnerOut, **READ_ERRORS}, tags=TAG
    ),
)
class PartnerViewSet(viewsets.GenericViewSet):
    """Partners owned in the caller's subtree or allowed to its unit; writes need the owner."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "partners.view_partner"
    serializer_class = PartnerOut
    pagination_class = ByName
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Partner]:
        found = selectors.partners_for(self.request.user).prefetch_related(
            "allowed_units", "licences"
        )
        status = self.request.query_params.get("status")
        if status in PartnerStatus.values:
            found = found.filter(status=status)
        kind = self.request.query_params.get("type")
        if kind in PartnerType.values:
            found = found.filter(type=kind)
        return found

    def _owned(self, pk: Any) -> Partner:
        return get_visible_or_404(self.request.user, Partner.objects.all(), pk=pk)

    def _out(self, partner: Partner, status: int = 200) -> Response:
        fresh = Partner.objects.prefetch_related("allowed_units", "licences").get(pk=partner.pk)
        return Response(PartnerOut(fresh).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PartnerOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(PartnerOut(self.get_object()).data)

    @extend_schema(
        summary="登记合作机构（拟准入）",
        request=PartnerIn,
        responses={201: PartnerOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(PartnerIn, request))
        partner = services.partner_create(actor=request.user, data=services.PartnerData(**v))
        return self._out(partner, status=201)

    @extend_schema(
        summary="准入审查（七项准入条件与消保审查意见）",
        request=AdmissionIn,
        responses={201: AdmissionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def admission(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        admission = services.admission_decide(
            actor=request.user, partner=partner, **_valid(AdmissionIn, request)
        )
        partner.refresh_from_db()
        body = {
            "id": admission.pk,
            "decision": admission.decision,
            "partner": PartnerOut(partner).data,
        }
        return Response(body, status=201)

    @extend_schema(
        summary="在册、观察、暂停之间变更状态（须说明原因）",
        request=PartnerTransitionIn,
        responses={200: PartnerOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def transition(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        v = _valid(PartnerTransitionIn, request)
        return self._out(services.partner_transition(actor=request.user, partner=partner, **v))

    @extend_schema(
        summary="登记证照",
        request=PartnerLicenceIn,
        responses={201: PartnerLicenceOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def licences(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        licence = services.licence_add(
            actor=request.user, partner=partner, **_valid(PartnerLicenceIn, request)
        )
        return Response(PartnerLicenceOut(licence).data, status=201)

    @extend_schema(
        summary="起草合作协议（含消保条款清单）",
        request=AgreementIn,
        responses={201: AgreementOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def agreements(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        data = services.AgreementData(**_valid(AgreementIn, request))
        agreement = services.agreement_create(actor=request.user, partner=partner, data=data)
        return Response(AgreementOut(agreement).data, status=201)

    @extend_schema(
        summary="开始定期评价（投诉件数取自投诉台账）",
        request=EvaluationIn,
        responses={201: EvaluationOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def evaluations(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        data = services.EvaluationData(**_valid(EvaluationIn, request))
        evaluation = services.evaluation_create(actor=request.user, partner=partner, data=data)
        return Response(EvaluationOut(evaluation).data, status=201)

    @extend_schema(
        summary="发起退出（新业务随即暂停）",
        request=ExitStartIn,
        responses={201: ExitOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="exit", pagination_class=None)
    def exit(self, request: Request, pk: Any = None) -> Response:
        partner = self._owned(pk)
        exit = services.exit_start(
            actor=request.user, partner=partner, **_valid(ExitStartIn, request)
        )
        return Response(ExitOut(exit).data, status=201)

    @extend_schema(
        methods=["get"],
        summary="涉及该机构的投诉（本人管辖范围内的案件）",
        responses={200: PartnerLinkOut(many=True), **READ_ERRORS},
        tags=TAG,
    )
    @extend_schema(
        methods=["post"],
        summary="关联投诉（涉及合作机构）",
        request=PartnerLinkIn,
        responses={201: PartnerLinkOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def complaints(self, request: Request, pk: Any = None) -> Response:
        from xiaobao.complaints.models import Complaint

        partner = self.get_object()
        if request.method == "GET":
            links = visible_to(
                request.user, PartnerComplaint.objects.filter(partner=partner)
            ).select_related("complaint", "complaint__unit")
            return Response(PartnerLinkOut(links, many=True).data)
        v = _valid(PartnerLinkIn, request)
        complaint = visible_to(
            request.user, Complaint.objects.filter(registry_no=v["registry_no"].strip())
        ).first()
        if complaint is None:
            raise NotFound("未找到该台账编号的投诉。")
        link = services.complaint_link(
            actor=request.user, partner=partner, complaint=complaint, role=v["role"], note=v["note"]
        )
        return Response(PartnerLinkOut(link).data, status=201)


@extend_schema_view(
    retrieve=extend_schema(
        summary="合作协议详情", responses={200: AgreementOut, **READ_ERRORS}, tags=TAG
    ),
)
class AgreementViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "partners.view_agreement"
    serializer_class = AgreementOut
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Agreement]:
        return visible_to(self.request.user, Agreement.objects.select_related("partner"))

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(AgreementOut(self.get_object()).data)

    @extend_schema(
        summary="登记签署（缺少消保条款须由审批人说明理由）",
        request=AgreementSignIn,
        responses={200: AgreementOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: Any = None) -> Response:
        agreement = services.agreement_sign(
            actor=request.user, agreement=self.get_object(), **_valid(AgreementSignIn, request)
        )
        return Response(AgreementOut(agreement).data)

    @extend_schema(
        summary="提交消保审查（送审文件可选）；结论出具后记录在协议上",
        request={"multipart/form-data": AgreementReviewIn},
        responses={201: AgreementReviewOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def review(self, request: Request, pk: Any = None) -> Response:
        v = _valid(AgreementReviewIn, request)
        review = services.agreement_submit_review(
            actor=request.user,
            agreement=self.get_object(),
            documents=[v["document"]] if v["document"] else [],
            summary=v["summary"],
        )
        return Response({"review": review.number, "status": review.status}, status=201)

    @extend_schema(
        summary="终止协议",
        request=PartnerReasonIn,
        responses={200: AgreementOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: Any = None) -> Response:
        agreement = services.agreement_terminate(
            actor=request.user, agreement=self.get_object(), **_valid(PartnerReasonIn, request)
        )
        return Response(AgreementOut(agreement).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="评价详情（含评价期内涉及该机构的投诉）",
        responses={200: EvaluationOut, **READ_ERRORS},
        tags=TAG,
    ),
)
class EvaluationViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "partners.view_evaluation"
    serializer_class = EvaluationOut
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Evaluation]:
        return visible_to(self.request.user, Evaluation.objects.select_related("partner"))

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(EvaluationOut(self.get_object()).data)

    @extend_schema(
        summary="评价定论（投诉件数再次取自台账；结论变更机构状态）",
        request=EvaluationConcludeIn,
        responses={200: EvaluationOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, pk: Any = None) -> Response:
        evaluation = services.evaluation_conclude(
            actor=request.user,
            evaluation=self.get_object(),
            **_valid(EvaluationConcludeIn, request),
        )
        return Response(EvaluationOut(evaluation).data)


@extend_schema_view(
    retrieve=extend_schema(summary="退出进度", responses={200: ExitOut, **READ_ERRORS}, tags=TAG),
)
class ExitViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "partners.view_exit"
    serializer_class = ExitOut
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Exit]:
        return visible_to(self.request.user, Exit.objects.select_related("partner"))

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ExitOut(self.get_object()).data)

    @extend_schema(
        summary="确认退出事项（须上传证明材料）",
        request={"multipart/form-data": ExitConfirmIn},
        responses={200: ExitOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        exit = self.get_object()
        v = _valid(ExitConfirmIn, request)
        services.exit_confirm(
            actor=request.user,
            exit=exit,
            step=v["step"],
            note=v["note"],
            evidence=[v["file"]] if v["file"] else [],
        )
        return Response(ExitOut(exit).data)

    @extend_schema(
        summary="完成退出（每一事项均须已确认）",
        request=None,
        responses={200: ExitOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        exit = services.exit_complete(actor=request.user, exit=self.get_object())
        return Response(ExitOut(exit).data)
