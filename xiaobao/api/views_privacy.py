"""Personal-information requests through the API (PIPL access, copy, correction, deletion).

The same services as the pages: registering and answering are audited, each request has its
own clock (`due_date`), deletion of data still under retention becomes a restriction.
Personal data leaves only masked.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.views import ERRORS, LIST_ERRORS, READ_ERRORS, ReadPermission
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.privacy import services
from xiaobao.privacy.choices import RequestKind, RequestStatus
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.models import DataSubjectRequest


class RequestOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    unit = serializers.CharField(source="unit.code")
    kind = serializers.CharField()
    subject_name = serializers.SerializerMethodField()
    subject_phone = serializers.SerializerMethodField()
    details = serializers.CharField()
    received_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    status = serializers.CharField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)

    def get_subject_name(self, obj: DataSubjectRequest) -> str:
        return mask_name(obj.subject_name)

    def get_subject_phone(self, obj: DataSubjectRequest) -> str:
        return mask("phone", obj.subject_phone or "")


class RequestIn(serializers.Serializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), help_text="受理机构代码"
    )
    kind = serializers.ChoiceField(RequestKind.choices)
    subject_name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    details = serializers.CharField()
    received_at = serializers.DateTimeField()


class AnswerIn(serializers.Serializer):
    status = serializers.ChoiceField(
        [(v, label) for v, label in RequestStatus.choices if v != RequestStatus.OPEN]
    )
    answer = serializers.CharField()


@extend_schema_view(
    list=extend_schema(
        summary="个人信息权利请求（按机构范围）",
        responses={200: RequestOut(many=True), **LIST_ERRORS},
        tags=["个人信息"],
    ),
    retrieve=extend_schema(
        summary="个人信息权利请求详情",
        responses={200: RequestOut, **READ_ERRORS},
        tags=["个人信息"],
    ),
    create=extend_schema(
        summary="登记个人信息权利请求（单独计时）",
        request=RequestIn,
        responses={201: RequestOut, **ERRORS},
        tags=["个人信息"],
    ),
)
class DataSubjectRequestViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "privacy.view_datasubjectrequest"
    serializer_class = RequestOut
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[DataSubjectRequest]:
        qs = DataSubjectRequest.objects.select_related("unit").order_by("-received_at")
        return visible_to(self.request.user, qs)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {"create": RequestIn, "answer": AnswerIn}.get(self.action or "", RequestOut)

    def list(self, request: Request) -> Response:
        return Response(RequestOut(self.get_queryset()[:500], many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(
            RequestOut(get_visible_or_404(request.user, self.get_queryset(), pk=pk)).data
        )

    def create(self, request: Request) -> Response:
        data = RequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.dsr_register(actor=request.user, **data.validated_data)
        return Response(RequestOut(created).data, status=201)

    @extend_schema(
        summary="答复个人信息权利请求",
        request=AnswerIn,
        responses={200: RequestOut, **ERRORS},
        tags=["个人信息"],
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def answer(self, request: Request, pk: Any = None) -> Response:
        item = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        data = AnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        answered = services.dsr_answer(actor=request.user, request=item, **data.validated_data)
        return Response(RequestOut(answered).data)
