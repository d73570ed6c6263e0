"""REST API of governance records: /api/v1/governance/meetings/ and /api/v1/governance/rules/.

Thin: serializers parse, one service per action, the shared handler maps domain errors (403
refused, 404 out of scope, 409 illegal transition, 400 bad input naming the field).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.views import ERRORS, READ_ERRORS, ReadPermission
from xiaobao.governance import selectors, services
from xiaobao.governance.choices import MeetingBody
from xiaobao.governance.models import InternalRule, Meeting, MeetingDecision
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import Department, Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to

TAG = ["消保治理"]


class GovernanceDecisionOut(serializers.ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MeetingDecision
        fields = ["number", "text", "task"]


class GovernanceMeetingOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    decisions = GovernanceDecisionOut(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "unit",
            "body",
            "title",
            "held_on",
            "attendees",
            "topics",
            "status",
            "decisions",
        ]


class GovernanceMeetingIn(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="机构代码；默认为本人所属机构")
    body = serializers.ChoiceField(choices=MeetingBody.choices)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    attendees = serializers.CharField()
    topics = serializers.CharField()


class GovernanceDecisionIn(serializers.Serializer):
    text = serializers.CharField()
    task_owner_unit = serializers.CharField(required=False, help_text="据此下达任务：责任机构代码")
    task_title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    task_due_date = serializers.DateField(required=False)


class GovernanceRuleOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = InternalRule
        fields = [
            "id",
            "unit",
            "title",
            "doc_number",
            "version",
            "owner_department",
            "effective_on",
            "next_review_on",
            "last_reviewed_on",
            "status",
            "previous",
            "review_overdue",
        ]

    def get_review_overdue(self, rule: InternalRule) -> bool:
        return rule.review_overdue(services.today())


class GovernanceRuleIn(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="机构代码；默认为本人所属机构")
    title = serializers.CharField(max_length=200)
    doc_number = serializers.CharField(max_length=80)
    version = serializers.CharField(max_length=20)
    owner_department = serializers.IntegerField(required=False)
    effective_on = serializers.DateField()
    next_review_on = serializers.DateField()


class GovernanceRuleReviseIn(serializers.Serializer):
    version = serializers.CharField(max_length=20)
    doc_number = serializers.CharField(max_length=80)
    effective_on = serializers.DateField()
    next_review_on = serializers.DateField()
    reason = serializers.CharField()


class GovernanceRuleReviewIn(serializers.Serializer):
    next_review_on = serializers.DateField()
    reason = serializers.CharField()


class GovernanceReasonIn(serializers.Serializer):
    reason = serializers.CharField()


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _unit(request: Request, code: str | None, field: str = "unit") -> Unit:
    if not code:
        return request.user.unit
    unit = visible_to(request.user, Unit.objects.all()).filter(code=code).first()
    if unit is None:
        raise DomainError("机构代码不存在或不在您的管辖范围内。", field=field)
    return unit


@extend_schema_view(
    list=extend_schema(
        summary="会议列表",
        responses={200: GovernanceMeetingOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="会议详情", responses={200: GovernanceMeetingOut, **READ_ERRORS}, tags=TAG
    ),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Meetings of the committee, the leading group and the office, in the caller's subtree."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "governance.view_meeting"
    lookup_value_regex = r"[0-9]+"
    serializer_class = GovernanceMeetingOut

    def get_queryset(self) -> QuerySet[Meeting]:
        return selectors.meetings(self.request.user).prefetch_related("decisions")

    @extend_schema(
        summary="登记会议",
        request=GovernanceMeetingIn,
        responses={201: GovernanceMeetingOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        d = _parse(GovernanceMeetingIn, request)
        meeting = services.meeting_create(
            actor=request.user, unit=_unit(request, d.pop("unit", None)), **d
        )
        return Response(GovernanceMeetingOut(meeting).data, status=201)

    @extend_schema(
        summary="记录决议（可据此下达督办任务）",
        request=GovernanceDecisionIn,
        responses={201: GovernanceMeetingOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def decisions(self, request: Request, pk: str) -> Response:
        meeting = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        d = _parse(GovernanceDecisionIn, request)
        task = None
        if d.get("task_owner_unit") or d.get("task_due_date"):
            task = services.DecisionTask(
                owner_unit=_unit(request, d.get("task_owner_unit"), "task_owner_unit"),
                title=d.get("task_title", ""),
                due_date=d.get("task_due_date"),
            )
        services.decision_add(actor=request.user, meeting=meeting, text=d["text"], task=task)
        return Response(
            GovernanceMeetingOut(self.get_queryset().get(pk=meeting.pk)).data, status=201
        )

    @extend_schema(
        summary="确认纪要", request=None, responses={200: GovernanceMeetingOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        meeting = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        services.meeting_confirm(actor=request.user, meeting=meeting)
        return Response(GovernanceMeetingOut(self.get_queryset().get(pk=meeting.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="制度列表（含历史版本；review_overdue 标出逾期未评估）",
        responses={200: GovernanceRuleOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="制度详情", responses={200: GovernanceRuleOut, **READ_ERRORS}, tags=TAG
    ),
)
class RuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The register of internal rules in the caller's subtree, every version kept."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "governance.view_internalrule"
    lookup_value_regex = r"[0-9]+"
    serializer_class = GovernanceRuleOut

    def get_queryset(self) -> QuerySet[InternalRule]:
        return selectors.rules(self.request.user)

    @extend_schema(
        summary="登记制度",
        request=GovernanceRuleIn,
        responses={201: GovernanceRuleOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        d = _parse(GovernanceRuleIn, request)
        unit = _unit(request, d.pop("unit", None))
        dept_id = d.pop("owner_department", None)
        dept = None
        if dept_id is not None:
            dept = Department.objects.filter(pk=dept_id, unit=unit).first()
            if dept is None:
                raise DomainError("归口部门须属于发文机构。", field="owner_department")
        rule = services.rule_register(actor=request.user, unit=unit, owner_department=dept, **d)
        return Response(GovernanceRuleOut(rule).data, status=201)

    @extend_schema(
        summary="发布新版本（原版本保留）",
        request=GovernanceRuleReviseIn,
        responses={201: GovernanceRuleOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str) -> Response:
        rule = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        new = services.rule_revise(
            actor=request.user, rule=rule, **_parse(GovernanceRuleReviseIn, request)
        )
        return Response(GovernanceRuleOut(new).data, status=201)

    @extend_schema(
        summary="记录评估",
        request=GovernanceRuleReviewIn,
        responses={200: GovernanceRuleOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        rule = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        rule = services.rule_review(
            actor=request.user, rule=rule, **_parse(GovernanceRuleReviewIn, request)
        )
        return Response(GovernanceRuleOut(rule).data)

    @extend_schema(
        summary="废止",
        request=GovernanceReasonIn,
        responses={200: GovernanceRuleOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def repeal(self, request: Request, pk: str) -> Response:
        rule = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        rule = services.rule_repeal(
            actor=request.user, rule=rule, **_parse(GovernanceReasonIn, request)
        )
        return Response(GovernanceRuleOut(rule).data)
