"""REST endpoints of pre-review and suitability (`/api/v1/products/…`).

Reads are branch-scoped through the selectors (a record outside the scope is a 404, exactly like
one that does not exist); writes go through the services, which check rights and transitions
again (403, 409; invalid input 400/422 naming the field). No endpoint returns or stores a customer's
name or ID number: customers are known by the keyed hash `customer_key`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.views import ReadPermission
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404
from xiaobao.products import selectors, services
from xiaobao.products.choices import (
    AgeBand,
    Channel,
    CheckAnswer,
    Conclusion,
    Decision,
    Grade,
    InvestorType,
    ObjectType,
    OpinionKind,
    ProductKind,
    RiskClass,
    SelfCheck,
    Severity,
)
from xiaobao.products.choices import Response as Answer
from xiaobao.products.models import (
    LaunchRegistration,
    Opinion,
    Product,
    Review,
    ReviewDocument,
    SaleCheck,
)

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
LIST_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (400, 401, 403, 404)}
TAG = ["消保审查与适当性"]


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs
    )


def _product_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all(), **kwargs)


# --- serializers ----------------------------------------------------------------------------------


class DocumentOut(serializers.ModelSerializer):
    class Meta:
        model = ReviewDocument
        fields = ["id", "version", "name", "sha256", "uploaded_at"]


class OpinionOut(serializers.ModelSerializer):
    class Meta:
        model = Opinion
        fields = [
            "id",
            "number",
            "location",
            "issue",
            "basis",
            "kind",
            "severity",
            "issued_at",
            "response",
            "response_reason",
            "response_approver",
            "responded_at",
            "escalated",
            "decision",
            "decision_note",
            "decided_at",
        ]


class LaunchOut(serializers.ModelSerializer):
    class Meta:
        model = LaunchRegistration
        fields = ["id", "launched_on", "sha256", "file_name", "matches", "registered_at"]


class ReviewOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject_type = serializers.SerializerMethodField()
    documents = DocumentOut(many=True, read_only=True)
    opinions = OpinionOut(many=True, read_only=True)
    launches = LaunchOut(many=True, read_only=True)
    self_check = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Review
        fields = [
            "id",
            "number",
            "object_type",
            "title",
            "unit",
            "department",
            "product",
            "subject_type",
            "subject_id",
            "summary",
            "planned_launch",
            "self_check",
            "status",
            "submitted_at",
            "reviewer",
            "due_on",
            "conclusion",
            "conclusion_note",
            "concluded_at",
            "turnaround_days",
            "approved_sha256",
            "documents",
            "opinions",
            "launches",
        ]

    def get_subject_type(self, obj: Review) -> str:
        return obj.subject_type.model_class()._meta.label_lower if obj.subject_type else ""  # type: ignore[union-attr]


class DocumentIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="文件的 SHA-256（64位十六进制）"
    )


class ProductReviewIn(serializers.Serializer):
    object_type = serializers.ChoiceField(choices=ObjectType.choices)
    title = serializers.CharField(max_length=200)
    unit = _unit_field()
    product = _product_field(required=False, allow_null=True, default=None)
    planned_launch = serializers.DateField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    self_check = serializers.DictField(
        child=serializers.ChoiceField(choices=CheckAnswer.choices),
        required=False,
        default=dict,
        help_text="自查清单：" + "、".join(f"{c.value}={c.label}" for c in SelfCheck),
    )
    documents = DocumentIn(many=True, required=False, default=list)


class FileIn(serializers.Serializer):
    file = serializers.FileField()


class OpinionIn(serializers.Serializer):
    location = serializers.CharField(max_length=200)
    issue = serializers.CharField(max_length=5000)
    basis = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=OpinionKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)


class OpinionAnswerIn(serializers.Serializer):
    opinion = serializers.IntegerField()
    response = serializers.ChoiceField(choices=Answer.choices)
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    approver = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )


class OpinionDecideIn(serializers.Serializer):
    opinion = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    note = serializers.CharField(max_length=5000)


class ConcludeIn(serializers.Serializer):
    conclusion = serializers.ChoiceField(choices=Conclusion.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)


class LaunchIn(serializers.Serializer):
    launched_on = serializers.DateField()
    file = serializers.FileField(
        required=False, default=None, help_text="上线版本文件（或填 sha256）"
    )
    sha256 = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)


class ProductOut(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "issuer",
            "issuer_grade",
            "seller_grade",
            "effective_grade",
            "target_class",
            "status",
            "launched_on",
        ]


class ProductIn(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    issuer = serializers.CharField(max_length=120)
    issuer_grade = serializers.ChoiceField(choices=Grade.choices)
    seller_grade = serializers.ChoiceField(choices=Grade.choices)
    target_class = serializers.ChoiceField(choices=RiskClass.choices)


class RegradeIn(serializers.Serializer):
    issuer_grade = serializers.ChoiceField(choices=Grade.choices)
    seller_grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=300)


class ProfileIn(serializers.Serializer):
    customer_id = serializers.CharField(
        max_length=40, write_only=True, help_text="证件号码，只用于计算密钥哈希，不保存"
    )
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    questionnaire_version = serializers.CharField(max_length=20)
    unit = _unit_field()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.COUNTER)
    age_band = serializers.ChoiceField(choices=AgeBand.choices)
    investor_type = serializers.ChoiceField(
        choices=InvestorType.choices, default=InvestorType.ORDINARY
    )
    assessed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ProfileOut(serializers.Serializer):
    id = serializers.IntegerField()
    customer_key = serializers.CharField()
    risk_class = serializers.CharField()
    assessed_at = serializers.DateTimeField()
    expires_on = serializers.DateField()
    attempt = serializers.IntegerField()


class SaleCheckIn(serializers.Serializer):
    product = _product_field()
    customer_id = serializers.CharField(
        max_length=40, help_text="证件号码，只用于计算密钥哈希，不保存"
    )
    unit = _unit_field()
    seller = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    seller_qualification = serializers.CharField(
        max_length=40, required=False, default="", allow_blank=True
    )
    dual_recording_ref = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )
    external_ref = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )


class SaleCheckOut(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    seller = serializers.SlugRelatedField(slug_field="username", read_only=True)
    flags = serializers.ListField(child=serializers.CharField())
    messages = serializers.SerializerMethodField()

    class Meta:
        model = SaleCheck
        fields = [
            "id",
            "product",
            "customer_key",
            "unit",
            "seller",
            "checked_at",
            "product_grade",
            "customer_class",
            "result",
            "flags",
            "messages",
            "dual_recording_ref",
            "elderly",
            "source",
            "external_ref",
        ]

    def get_messages(self, obj: SaleCheck) -> list[str]:
        return obj.flag_labels()


class LinkIn(serializers.Serializer):
    registry_no = serializers.CharField(max_length=20, help_text="投诉台账编号")


class LinkOut(serializers.Serializer):
    product = serializers.CharField()
    registry_no = serializers.CharField()
    received_at = serializers.DateTimeField()


class ProductsImportOut(serializers.Serializer):
    imported = serializers.IntegerField()
    blocked = serializers.IntegerField()
    warned = serializers.IntegerField()


# --- viewsets -------------------------------------------------------------------------------------


class NewestFirst(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"


class ReviewPages(NewestFirst):
    ordering = ("-submitted_at", "-id")


class ProductPages(NewestFirst):
    ordering = ("code",)


class CheckPages(NewestFirst):
    ordering = ("-checked_at", "-id")


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser


@extend_schema_view(
    list=extend_schema(
        summary="消保审查（本机构及下级送审的事项）",
        responses={200: ReviewOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="消保审查详情（文件版本、意见与答复、上线登记）",
        responses={200: ReviewOut, **READ_ERRORS},
        tags=TAG,
    ),
)
class ReviewViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "products.view_review"
    serializer_class = ReviewOut
    pagination_class = ReviewPages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.reviews_for(self.request.user).prefetch_related(
            "documents", "opinions", "launches"
        )

    def _own(self, pk: Any) -> Review:
        return get_visible_or_404(
            self.request.user, selectors.reviews_for(self.request.user), pk=pk
        )

    def _out(self, review: Review, status: int = 200) -> Response:
        return Response(ReviewOut(self.get_queryset().get(pk=review.pk)).data, status=status)

    def _opinion(self, review: Review, pk: int) -> Opinion:
        opinion = review.opinions.filter(pk=pk).first()
        if opinion is None:
            raise NotFound("该审查没有这条意见。")
        return opinion

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReviewOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ReviewOut(self.get_object()).data)

    @extend_schema(
        summary="送审（自动按对象类型分派审查人，按工作日计算审查期限）",
        request=ProductReviewIn,
        responses={201: ReviewOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = dict(_valid(ProductReviewIn, request).validated_data)
        v["documents"] = [dict(d) for d in v["documents"]]
        review = services.review_submit(actor=request.user, **v)
        return self._out(review, status=201)

    @extend_schema(
        summary="上传送审文件的新版本",
        request={"multipart/form-data": FileIn},
        responses={201: DocumentOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], pagination_class=None)
    def documents(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        upload = _valid(FileIn, request).validated_data["file"]
        doc = services.review_add_document(actor=request.user, review=review, document=upload)
        return Response(DocumentOut(doc).data, status=201)

    @extend_schema(
        summary="出具审查意见（必须采纳或建议采纳）",
        request=OpinionIn,
        responses={201: OpinionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def opinions(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        v = _valid(OpinionIn, request).validated_data
        opinion = services.opinion_issue(actor=request.user, review=review, **v)
        return Response(OpinionOut(opinion).data, status=201)

    @extend_schema(
        summary="答复一条意见（不采纳必须采纳的意见即升级至分管行领导）",
        request=OpinionAnswerIn,
        responses={200: OpinionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def answer(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        v = dict(_valid(OpinionAnswerIn, request).validated_data)
        opinion = self._opinion(review, v.pop("opinion"))
        opinion = services.opinion_answer(actor=request.user, opinion=opinion, **v)
        return Response(OpinionOut(opinion).data)

    @extend_schema(
        summary="分管行领导决定升级的意见（维持或同意不采纳）",
        request=OpinionDecideIn,
        responses={200: OpinionOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def decide(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        v = dict(_valid(OpinionDecideIn, request).validated_data)
        opinion = self._opinion(review, v.pop("opinion"))
        opinion = services.opinion_decide(actor=request.user, opinion=opinion, **v)
        return Response(OpinionOut(opinion).data)

    @extend_schema(
        summary="出具审查结论（最新版本为审定版本）",
        request=ConcludeIn,
        responses={200: ReviewOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def conclude(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        v = _valid(ConcludeIn, request).validated_data
        return self._out(services.review_conclude(actor=request.user, review=review, **v))

    @extend_schema(
        summary="登记上线（上线版本哈希须与审定版本一致，不一致即告警，matches=false）",
        request={"multipart/form-data": LaunchIn, "application/json": LaunchIn},
        responses={201: LaunchOut, **ERRORS},
        tags=TAG,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, JSONParser],
        pagination_class=None,
    )
    def launch(self, request: Request, pk: Any = None) -> Response:
        review = self._own(pk)
        v = _valid(LaunchIn, request).validated_data
        registration = services.review_register_launch(
            actor=request.user,
            review=review,
            launched_on=v["launched_on"],
            upload=v["file"],
            sha256=v["sha256"],
        )
        return Response(LaunchOut(registration).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="产品库（发行方评级、本行评级与有效评级）",
        responses={200: ProductOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="产品详情", responses={200: ProductOut, **READ_ERRORS}, tags=TAG
    ),
)
class ProductViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "products.view_product"
    serializer_class = ProductOut
    pagination_class = ProductPages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_for(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProductOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ProductOut(self.get_object()).data)

    @extend_schema(
        summary="登记产品（有效评级取两者孰高）",
        request=ProductIn,
        responses={201: ProductOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(ProductIn, request).validated_data
        product = services.product_register(actor=request.user, data=services.ProductData(**v))
        return Response(ProductOut(product).data, status=201)

    @extend_schema(
        summary="调整风险等级（上调时生成持有客户的重新告知）",
        request=RegradeIn,
        responses={200: ProductOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def regrade(self, request: Request, pk: Any = None) -> Response:
        product = self.get_object()
        v = _valid(RegradeIn, request).validated_data
        services.product_regrade(actor=request.user, product=product, **v)
        product.refresh_from_db()
        return Response(ProductOut(product).data)

    @extend_schema(
        summary="将投诉关联到产品（按台账编号，限本人管辖范围内的投诉）",
        request=LinkIn,
        responses={201: LinkOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def complaints(self, request: Request, pk: Any = None) -> Response:
        from xiaobao.complaints.models import Complaint
        from xiaobao.organisation.scope import visible_to

        product = self.get_object()
        number = _valid(LinkIn, request).validated_data["registry_no"].strip()
        complaint = visible_to(request.user, Complaint.objects.filter(registry_no=number)).first()
        if complaint is None:
            raise NotFound("台账编号不存在或不在您的管辖范围内。")
        link = services.product_link_complaint(
            actor=request.user, product=product, complaint=complaint
        )
        body = {"product": product.code, "registry_no": number, "received_at": link.received_at}
        return Response(LinkOut(body).data, status=201)


class RiskProfileViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = ProfileOut
    pagination_class = None

    @extend_schema(
        summary="记录客户风险测评（仅保存证件号码的密钥哈希）",
        request=ProfileIn,
        responses={201: ProfileOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(ProfileIn, request).validated_data
        profile = services.profile_record(actor=request.user, **v)
        return Response(ProfileOut(profile).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="适当性校验与导入的销售记录（本机构及下级）",
        responses={200: SaleCheckOut(many=True), **LIST_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="适当性校验详情", responses={200: SaleCheckOut, **READ_ERRORS}, tags=TAG
    ),
)
class SaleCheckViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "products.view_salecheck"
    serializer_class = SaleCheckOut
    pagination_class = CheckPages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[SaleCheck]:
        return selectors.sale_checks_for(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SaleCheckOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(SaleCheckOut(self.get_object()).data)

    @extend_schema(
        summary="销售前适当性校验：matched 匹配 / warned 提示后确认 / blocked 拦截，并留痕",
        request=SaleCheckIn,
        responses={201: SaleCheckOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(SaleCheckIn, request).validated_data
        check = services.sale_check(actor=request.user, **v)
        return Response(SaleCheckOut(check).data, status=201)

    @extend_schema(
        summary="批量导入销售记录（CSV，逐笔做适当性核查；任一行有误则整批不导入）",
        request={"multipart/form-data": FileIn},
        responses={201: ProductsImportOut, **ERRORS},
        tags=TAG,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
        pagination_class=None,
    )
    def import_sales(self, request: Request) -> Response:
        upload = _valid(FileIn, request).validated_data["file"]
        checks = services.sales_import(actor=request.user, upload=upload)
        body = {
            "imported": len(checks),
            "blocked": sum(1 for c in checks if c.result == "blocked"),
            "warned": sum(1 for c in checks if c.result == "warned"),
        }
        return Response(body, status=201)
