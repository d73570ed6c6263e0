"""REST endpoints of inspections (`/api/v1/inspections/…`): parse, call one service, answer.

Reads go through the selectors (branch scope; a vendor's inspector sees only its assigned visits);
writes through the services, which check rights and transitions (403, 409; bad input 400 naming
the field). A vendor's inspector never receives personal data: no staff names, no complaint link.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.views import ReadPermission
from xiaobao.evidence.selectors import evidence_for
from xiaobao.inspections import selectors, services
from xiaobao.inspections.choices import (
    AppealDecision,
    ExaminationStatus,
    Scenario,
    ScoringType,
    Severity,
    VisitKind,
)
from xiaobao.inspections.models import (
    Checklist,
    ChecklistItem,
    Examination,
    Finding,
    InspectionPlan,
    ServiceMeeting,
    Visit,
)
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import get_visible_or_404

ERRORS = ERROR_RESPONSES
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
TAG = ["服务检查"]


def _unit_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs
    )


def _user_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def _valid(cls: type[serializers.Serializer], request: Request) -> Any:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


class Pages(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)
    invalid_cursor_message = "翻页游标无效。"


# --- checklists -----------------------------------------------------------------------------------


class ItemSer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = [
            "section",
            "code",
            "text",
            "scoring_type",
            "points",
            "scale_max",
            "deduction",
            "severity",
            "red_line",
            "evidence_on_failure",
        ]
        extra_kwargs = {"scoring_type": {"choices": ScoringType.choices}}


class ChecklistOut(serializers.ModelSerializer):
    # Not "items": the offline docs page reads `properties.items` as a template lookup.
    checklist_items = ItemSer(source="items", many=True, read_only=True)

    class Meta:
        model = Checklist
        fields = ["id", "code", "version", "name", "status", "previous", "checklist_items"]


class ChecklistIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=120)
    previous = serializers.PrimaryKeyRelatedField(
        queryset=Checklist.objects.all(), required=False, allow_null=True, default=None
    )
    checklist_items = ItemSer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="检查清单（各版本）",
        responses={200: ChecklistOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="检查清单详情", responses={200: ChecklistOut, **READ_ERRORS}, tags=TAG
    ),
)
class ChecklistViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "inspections.view_checklist"
    serializer_class = ChecklistOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Checklist]:
        return selectors.checklists().prefetch_related("items")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChecklistOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ChecklistOut(self.get_object()).data)

    @extend_schema(
        summary="新建清单或新版本（草稿）",
        request=ChecklistIn,
        responses={201: ChecklistOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(ChecklistIn, request)
        items = [services.ItemData(**i) for i in v["checklist_items"]]
        made = services.checklist_create(
            actor=request.user, code=v["code"], name=v["name"], items=items, previous=v["previous"]
        )
        return Response(ChecklistOut(made).data, status=201)

    @extend_schema(
        summary="启用（停用上一版本）",
        request=None,
        responses={200: ChecklistOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def activate(self, request: Request, pk: Any = None) -> Response:
        return Response(
            ChecklistOut(
                services.checklist_activate(actor=request.user, checklist=self.get_object())
            ).data
        )


# --- plans ----------------------------------------------------------------------------------------


class InspectionPlanOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [
            "id",
            "name",
            "kind",
            "unit",
            "checklist",
            "starts_on",
            "ends_on",
            "visits_per_outlet",
            "window_days",
            "unannounced",
            "vendor_name",
        ]


class PlanIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=VisitKind.choices)
    unit = _unit_field()
    checklist = serializers.PrimaryKeyRelatedField(queryset=Checklist.objects.all())
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    visits_per_outlet = serializers.IntegerField(min_value=1, max_value=52, default=1)
    window_days = serializers.IntegerField(min_value=1, max_value=90, default=14)
    unannounced = serializers.BooleanField(default=True)
    vendor_name = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )


class ScheduleIn(serializers.Serializer):
    inspectors = _user_field(many=True)
    seed = serializers.IntegerField(required=False, allow_null=True, default=None)


class ScheduledOut(serializers.Serializer):
    visits = serializers.ListField(child=serializers.IntegerField(), help_text="排定的检查编号")


class ImportIn(serializers.Serializer):
    file = serializers.FileField()


class InspectionImportOut(serializers.Serializer):
    rows = serializers.IntegerField()
    visits = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


@extend_schema_view(
    list=extend_schema(
        summary="检查计划", responses={200: InspectionPlanOut(many=True), **READ_ERRORS}, tags=TAG
    ),
    retrieve=extend_schema(
        summary="检查计划详情", responses={200: InspectionPlanOut, **READ_ERRORS}, tags=TAG
    ),
)
class PlanViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "inspections.view_inspectionplan"
    serializer_class = InspectionPlanOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[InspectionPlan]:
        return selectors.plans_for(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InspectionPlanOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(InspectionPlanOut(self.get_object()).data)

    @extend_schema(
        summary="新建检查计划",
        request=PlanIn,
        responses={201: InspectionPlanOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        plan = services.plan_create(
            actor=request.user, data=services.PlanData(**_valid(PlanIn, request))
        )
        return Response(InspectionPlanOut(plan).data, status=201)

    @extend_schema(
        summary="按抽样规则排定检查（随机不公开窗口，检查人不查本机构）",
        request=ScheduleIn,
        responses={201: ScheduledOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def schedule(self, request: Request, pk: Any = None) -> Response:
        v = _valid(ScheduleIn, request)
        visits = services.plan_schedule(
            actor=request.user, plan=self.get_object(), inspectors=v["inspectors"], seed=v["seed"]
        )
        return Response({"visits": [v.pk for v in visits]}, status=201)

    @extend_schema(
        summary="导入第三方暗访结果工作簿（检查编号|项目代码|结果|说明；有错行则全部不导入）",
        request={"multipart/form-data": ImportIn},
        responses={200: InspectionImportOut, 400: InspectionImportOut, **READ_ERRORS},
        tags=TAG,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser],
        url_path="import",
        pagination_class=None,
    )
    def import_results(self, request: Request, pk: Any = None) -> Response:
        plan = self.get_object()
        upload = _valid(ImportIn, request)["file"]
        result = services.vendor_import(actor=request.user, plan=plan, workbook=upload)
        body = {
            "rows": result.rows,
            "visits": result.visits,
            "errors": [{"row": n, "message": m} for n, m in result.errors],
        }
        return Response(body, status=400 if result.errors else 200)


# --- visits ---------------------------------------------------------------------------------------


class InspectionResultOut(serializers.Serializer):
    code = serializers.CharField(source="item.code")
    text = serializers.CharField(source="item.text")
    value = serializers.CharField()
    note = serializers.CharField()
    overturned = serializers.BooleanField()


class VisitOut(serializers.ModelSerializer):
    """What anyone allowed to see the visit sees; no staff names, no complaint link."""

    outlet = serializers.SlugRelatedField(slug_field="code", read_only=True)
    results = serializers.SerializerMethodField()
    evidence_count = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "plan",
            "checklist",
            "kind",
            "scenario",
            "outlet",
            "window_start",
            "window_end",
            "visited_at",
            "status",
            "score",
            "red_line_failed",
            "summary",
            "test_complaint",
            "test_complaint_at",
            "test_complaint_keyword",
            "appeal_due",
            "results",
            "evidence_count",
        ]

    def get_results(self, obj: Visit) -> list[dict[str, Any]]:
        return list(InspectionResultOut(selectors.results_of(obj), many=True).data)

    def get_evidence_count(self, obj: Visit) -> int:
        return evidence_for(obj).count()


class VisitStaffOut(VisitOut):
    """The office's view: adds who inspected and reviewed, the appeal and the registry check."""

    inspector = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta(VisitOut.Meta):
        fields = [
            *VisitOut.Meta.fields,
            "inspector",
            "reviewed_by",
            "published_at",
            "appeal_text",
            "appeal_items",
            "appeal_decision",
            "appeal_reply",
            "return_reason",
            "test_complaint_result",
            "matched_complaint",
        ]


class VisitIn(serializers.Serializer):
    outlet = _unit_field()
    kind = serializers.ChoiceField(choices=VisitKind.choices)
    scenario = serializers.ChoiceField(choices=Scenario.choices)
    checklist = serializers.PrimaryKeyRelatedField(queryset=Checklist.objects.all())
    inspector = _user_field(required=False, allow_null=True, default=None)


class ResultIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    value = serializers.CharField(max_length=8)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class RecordIn(serializers.Serializer):
    results = ResultIn(many=True)
    visited_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    scenario = serializers.ChoiceField(
        choices=[("", "—"), *Scenario.choices], required=False, default=""
    )
    summary = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    test_complaint = serializers.BooleanField(default=False)
    test_complaint_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    test_complaint_keyword = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )


class InspectionAssignIn(serializers.Serializer):
    inspector = _user_field()


class InspectionReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class InspectionAppealIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    item_codes = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list
    )


class InspectionDecideIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=AppealDecision.choices)
    reply = serializers.CharField(max_length=2000)
    overturn = serializers.DictField(
        child=serializers.CharField(max_length=8), required=False, default=dict
    )


class InspectionEvidenceIn(serializers.Serializer):
    file = serializers.FileField()
    label = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class InspectionEvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField()


@extend_schema_view(
    list=extend_schema(
        summary="检查记录（本机构范围内，或指派给本人的）",
        responses={200: VisitStaffOut(many=True), **READ_ERRORS},
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="检查记录详情", responses={200: VisitStaffOut, **READ_ERRORS}, tags=TAG
    ),
)
class VisitViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = VisitStaffOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.visits_for(self.request.user)

    def _ser(self) -> type[VisitOut]:
        return VisitStaffOut if selectors.sees_all_in_scope(self.request.user) else VisitOut

    def _out(self, visit: Visit, status: int = 200) -> Response:
        return Response(self._ser()(self.get_queryset().get(pk=visit.pk)).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset().order_by("-id"))
        return self.get_paginated_response(self._ser()(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(self._ser()(self.get_object()).data)

    @extend_schema(
        summary="新建检查（检查人默认为本人）",
        request=VisitIn,
        responses={201: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        v = _valid(VisitIn, request)
        visit = services.visit_create(actor=request.user, **v)
        return self._out(visit, status=201)

    @extend_schema(
        summary="录入检查结果（得分由结果计算）",
        request=RecordIn,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def record(self, request: Request, pk: Any = None) -> Response:
        v = dict(_valid(RecordIn, request))
        results = {r["code"]: (r["value"], r["note"]) for r in v.pop("results")}
        visit = services.visit_record(
            actor=request.user,
            visit=self.get_object(),
            data=services.RecordData(results=results, **v),
        )
        return self._out(visit)

    @extend_schema(
        summary="上传现场照片",
        request={"multipart/form-data": InspectionEvidenceIn},
        responses={201: InspectionEvidenceOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], pagination_class=None)
    def evidence(self, request: Request, pk: Any = None) -> Response:
        v = _valid(InspectionEvidenceIn, request)
        kept = services.visit_add_evidence(
            actor=request.user, visit=self.get_object(), upload=v["file"], label=v["label"]
        )
        return Response(
            {"id": kept.pk, "original_name": kept.original_name, "sha256": kept.sha256}, status=201
        )

    def _step(
        self,
        request: Request,
        pk: Any,
        service: str,
        ser: type[serializers.Serializer] | None = None,
    ) -> Response:
        kwargs = dict(_valid(ser, request)) if ser else {}
        return self._out(
            getattr(services, service)(actor=request.user, visit=self.get_object(), **kwargs)
        )

    @extend_schema(
        summary="指派检查人",
        request=InspectionAssignIn,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def assign(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_assign", InspectionAssignIn)

    @extend_schema(
        summary="提交审核", request=None, responses={200: VisitStaffOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def submit(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_submit")

    @extend_schema(
        summary="退回检查人",
        request=InspectionReasonIn,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="return", pagination_class=None)
    def send_back(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_return", InspectionReasonIn)

    @extend_schema(
        summary="审核发布（开始申诉期）",
        request=None,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def publish(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_publish")

    @extend_schema(
        summary="网点申诉（申诉期内）",
        request=InspectionAppealIn,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def appeal(self, request: Request, pk: Any = None) -> Response:
        v = _valid(InspectionAppealIn, request)
        visit = services.visit_appeal(
            actor=request.user, visit=self.get_object(), reason=v["reason"], items=v["item_codes"]
        )
        return self._out(visit)

    @extend_schema(
        summary="答复申诉并定稿",
        request=InspectionDecideIn,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def decide(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_decide_appeal", InspectionDecideIn)

    @extend_schema(
        summary="申诉期满定稿", request=None, responses={200: VisitStaffOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def finalise(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_finalise")

    @extend_schema(
        summary="核对测试投诉是否按时登记",
        request=None,
        responses={200: VisitStaffOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="check-test-complaint", pagination_class=None)
    def check_test_complaint(self, request: Request, pk: Any = None) -> Response:
        return self._step(request, pk, "visit_check_test_complaint")


# --- findings -------------------------------------------------------------------------------------


class FindingOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    issuing_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    task_status = serializers.CharField(source="task.status", default=None, read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "source",
            "visit",
            "examination",
            "item_code",
            "unit",
            "issuing_unit",
            "title",
            "severity",
            "status",
            "repeat",
            "due_date",
            "task",
            "task_status",
            "penalty",
            "found_on",
            "closed_at",
            "common_issue",
        ]


class FindingSubmitIn(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
    files = serializers.ListField(
        child=serializers.FileField(), allow_empty=True, required=False, default=list
    )


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class ConfirmIn(serializers.Serializer):
    visit = serializers.PrimaryKeyRelatedField(
        queryset=Visit.objects.all(), required=False, allow_null=True, default=None
    )


@extend_schema_view(
    list=extend_schema(
        summary="检查发现问题", responses={200: FindingOut(many=True), **READ_ERRORS}, tags=TAG
    ),
    retrieve=extend_schema(
        summary="问题详情", responses={200: FindingOut, **READ_ERRORS}, tags=TAG
    ),
)
class FindingViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "inspections.view_finding"
    serializer_class = FindingOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Finding]:
        return selectors.findings_for(self.request.user)

    def _finding(self, pk: Any) -> Finding:
        return get_visible_or_404(self.request.user, Finding.objects.all(), pk=pk)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FindingOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(FindingOut(self.get_object()).data)

    def _out(self, finding: Finding) -> Response:
        return Response(FindingOut(Finding.objects.select_related("task").get(pk=finding.pk)).data)

    @extend_schema(
        summary="报送整改（须附证明材料）",
        request={"multipart/form-data": FindingSubmitIn},
        responses={200: FindingOut, **ERRORS},
        tags=TAG,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, JSONParser],
        pagination_class=None,
    )
    def submit(self, request: Request, pk: Any = None) -> Response:
        files = request.FILES.getlist("files")
        note = _valid(NoteIn, request)["note"]
        return self._out(
            services.finding_submit(
                actor=request.user, finding=self._finding(pk), note=note, files=files
            )
        )

    @extend_schema(
        summary="验收整改证据（通过后问题关闭）",
        request=NoteIn,
        responses={200: FindingOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def accept(self, request: Request, pk: Any = None) -> Response:
        note = _valid(NoteIn, request)["note"]
        return self._out(
            services.finding_accept(actor=request.user, finding=self._finding(pk), note=note)
        )

    @extend_schema(
        summary="退回整改",
        request=InspectionReasonIn,
        responses={200: FindingOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], url_path="return", pagination_class=None)
    def send_back(self, request: Request, pk: Any = None) -> Response:
        reason = _valid(InspectionReasonIn, request)["reason"]
        return self._out(
            services.finding_return(actor=request.user, finding=self._finding(pk), reason=reason)
        )

    @extend_schema(
        summary="复查确认", request=ConfirmIn, responses={200: FindingOut, **ERRORS}, tags=TAG
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def confirm(self, request: Request, pk: Any = None) -> Response:
        visit = _valid(ConfirmIn, request)["visit"]
        return self._out(
            services.finding_confirm(actor=request.user, finding=self._finding(pk), visit=visit)
        )


# --- examinations and meetings --------------------------------------------------------------------


class ExaminationOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    findings = FindingOut(many=True, read_only=True)

    class Meta:
        model = Examination
        fields = [
            "id",
            "regulator",
            "notice_no",
            "notice_date",
            "unit",
            "scope",
            "starts_on",
            "ends_on",
            "penalty_amount",
            "penalty_text",
            "report_back_due",
            "reported_at",
            "status",
            "findings",
        ]


class ExaminationIn(serializers.Serializer):
    regulator = serializers.CharField(max_length=100)
    notice_no = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    notice_date = serializers.DateField()
    unit = _unit_field()
    scope = serializers.CharField(max_length=5000)
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    report_back_due = serializers.DateField(required=False, allow_null=True, default=None)


class InspectionAdvanceIn(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[ExaminationStatus.ONSITE, ExaminationStatus.RECTIFYING, ExaminationStatus.CLOSED]
    )


class ExamFindingIn(serializers.Serializer):
    unit = _unit_field()
    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=Severity.choices)
    due_date = serializers.DateField()
    penalty = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    penalty_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )


class ReportIn(serializers.Serializer):
    file = serializers.FileField()


@extend_schema_view(
    list=extend_schema(
        summary="外部监管检查", responses={200: ExaminationOut(many=True), **READ_ERRORS}, tags=TAG
    ),
    retrieve=extend_schema(
        summary="监管检查详情", responses={200: ExaminationOut, **READ_ERRORS}, tags=TAG
    ),
)
class ExaminationViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "inspections.view_examination"
    serializer_class = ExaminationOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Examination]:
        return selectors.examinations_for(self.request.user).prefetch_related("findings")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ExaminationOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ExaminationOut(self.get_object()).data)

    def _out(self, exam: Examination, status: int = 200) -> Response:
        return Response(ExaminationOut(self.get_queryset().get(pk=exam.pk)).data, status=status)

    @extend_schema(
        summary="登记监管检查通知",
        request=ExaminationIn,
        responses={201: ExaminationOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        exam = services.examination_create(
            actor=request.user, data=services.ExaminationData(**_valid(ExaminationIn, request))
        )
        return self._out(exam, status=201)

    @extend_schema(
        summary="推进检查阶段",
        request=InspectionAdvanceIn,
        responses={200: ExaminationOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def advance(self, request: Request, pk: Any = None) -> Response:
        to = _valid(InspectionAdvanceIn, request)["to"]
        return self._out(
            services.examination_advance(actor=request.user, examination=self.get_object(), to=to)
        )

    @extend_schema(
        summary="登记检查发现问题（同时下达整改任务）",
        request=ExamFindingIn,
        responses={201: FindingOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def findings(self, request: Request, pk: Any = None) -> Response:
        v = _valid(ExamFindingIn, request)
        finding = services.examination_add_finding(
            actor=request.user, examination=self.get_object(), **v
        )
        return Response(FindingOut(finding).data, status=201)

    @extend_schema(
        summary="报送整改报告",
        request={"multipart/form-data": ReportIn},
        responses={200: ExaminationOut, **ERRORS},
        tags=TAG,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], pagination_class=None)
    def report(self, request: Request, pk: Any = None) -> Response:
        upload = _valid(ReportIn, request)["file"]
        return self._out(
            services.examination_report_back(
                actor=request.user, examination=self.get_object(), report=upload
            )
        )


class MeetingOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    present = serializers.SerializerMethodField()
    absent = serializers.SerializerMethodField()

    class Meta:
        model = ServiceMeeting
        fields = ["id", "unit", "held_on", "topic", "minutes", "present", "absent"]

    def get_present(self, obj: ServiceMeeting) -> list[str]:
        return [a.person.username for a in obj.attendance.all() if a.present]

    def get_absent(self, obj: ServiceMeeting) -> list[str]:
        return [a.person.username for a in obj.attendance.all() if not a.present]


class MeetingIn(serializers.Serializer):
    unit = _unit_field()
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    minutes = serializers.CharField(max_length=20000)
    present = _user_field(many=True)
    absent = _user_field(many=True, required=False, default=list)


@extend_schema_view(
    list=extend_schema(
        summary="每周服务例会", responses={200: MeetingOut(many=True), **READ_ERRORS}, tags=TAG
    ),
    retrieve=extend_schema(
        summary="例会纪要", responses={200: MeetingOut, **READ_ERRORS}, tags=TAG
    ),
)
class MeetingViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "inspections.view_servicemeeting"
    serializer_class = MeetingOut
    pagination_class = Pages
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ServiceMeeting]:
        return selectors.meetings_for(self.request.user).prefetch_related("attendance__person")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MeetingOut(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(MeetingOut(self.get_object()).data)

    @extend_schema(
        summary="登记例会纪要与出勤",
        request=MeetingIn,
        responses={201: MeetingOut, **ERRORS},
        tags=TAG,
    )
    def create(self, request: Request) -> Response:
        meeting = services.meeting_record(actor=request.user, **_valid(MeetingIn, request))
        return Response(MeetingOut(self.get_queryset().get(pk=meeting.pk)).data, status=201)
