"""REST endpoints for plans and tasks (`/api/v1/plans/`, `/api/v1/tasks/`): branch-scoped reads,
the plan transitions (submit, approve, return, start, close) and the task actions (progress,
submit, accept, return, update, milestones), each calling one service.

Evidence files are uploaded on the task page; the API reports progress as text and percentage.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api.views import ERRORS, LIST_ERRORS, READ_ERRORS, ReadPermission
from xiaobao.lib.errors import DomainError, lazy_text
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.scope import visible_to
from xiaobao.plans import selectors, services
from xiaobao.plans.models import Measure, Plan, Task, TaskMilestone

CODE = {"slug_field": "code", "read_only": True}


class MeasureOut(serializers.ModelSerializer):
    lead_department = serializers.CharField(
        source="lead_department.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Measure
        fields = ["id", "number", "heading", "text", "lead_department", "element"]


class PlanOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(**CODE)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    measures = MeasureOut(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "year",
            "unit",
            "title",
            "basis",
            "goals",
            "status",
            "parent",
            "copied_from",
            "approved_by",
            "approved_at",
            "closed_at",
            "measures",
        ]


class MilestoneOut(serializers.ModelSerializer):
    class Meta:
        model = TaskMilestone
        fields = ["id", "title", "due_date", "done_at"]


class TaskOut(serializers.ModelSerializer):
    issuing_unit = serializers.SlugRelatedField(**CODE)
    owner_unit = serializers.SlugRelatedField(**CODE)
    owner_department = serializers.CharField(
        source="owner_department.name", read_only=True, allow_null=True, default=None
    )
    responsible = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    co_units = serializers.SlugRelatedField(many=True, **CODE)
    co_departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    milestones = MilestoneOut(many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "source_kind",
            "source_label",
            "source_url",
            "plan",
            "measure",
            "issuing_unit",
            "owner_unit",
            "owner_department",
            "responsible",
            "co_units",
            "co_departments",
            "start_date",
            "due_date",
            "progress_pct",
            "target_metric",
            "target_comparator",
            "target_value",
            "submitted_at",
            "completed_at",
            "completion_note",
            "carried_over_from",
            "year_end_result",
            "year_end_reason",
            "milestones",
        ]


class ProgressIn(serializers.Serializer):
    pct = serializers.IntegerField(min_value=0, max_value=100, help_text="进度（%）")
    text = serializers.CharField(max_length=2000, help_text="进展情况")


class SubmitIn(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="完成情况")


class AcceptIn(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ReturnIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="退回理由")


class PlanEmptyIn(serializers.Serializer):
    pass


class PlanApproveIn(serializers.Serializer):
    note = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, help_text="审批说明"
    )


class PlanYearEndIn(serializers.Serializer):
    task = serializers.IntegerField(help_text="任务编号")
    result = serializers.CharField(max_length=10, help_text="done / partly / not_done")
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class PlanCloseIn(serializers.Serializer):
    results = PlanYearEndIn(many=True, required=False, default=list, help_text="每项任务的年末评定")


class TaskUpdateIn(serializers.Serializer):
    due_date = serializers.DateField(help_text="完成期限")
    reason = serializers.CharField(max_length=2000, help_text="调整理由")
    owner_department = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="责任部门编号（须属于责任机构）"
    )
    responsible = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="责任人用户名"
    )
    co_units = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="协办机构代码"
    )
    co_departments = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="协办部门编号"
    )


class TaskMilestoneIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text="节点名称")
    due_date = serializers.DateField(help_text="节点期限")


class ById(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"


def plan_action(path: str, request: type[serializers.Serializer], summary: str) -> Any:
    def wrap(fn: Any) -> Any:
        fn = action(
            detail=True, methods=["post"], url_path=path, pagination_class=None, filter_backends=[]
        )(fn)
        return extend_schema(
            summary=summary,
            request=request,
            responses={200: PlanOut, **ERRORS},
            tags=["工作计划"],
        )(fn)

    return wrap


@extend_schema_view(
    list=extend_schema(
        summary="工作计划（按机构范围）",
        responses={200: PlanOut(many=True), **LIST_ERRORS, 404: READ_ERRORS[404]},
        tags=["工作计划"],
    ),
    retrieve=extend_schema(
        summary="工作计划详情（含措施）", responses={200: PlanOut, **READ_ERRORS}, tags=["工作计划"]
    ),
)
class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Plans in the caller's branch scope."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "plans.view_plan"
    serializer_class = PlanOut
    pagination_class = ById
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Plan]:
        return selectors.plans_visible(self.request.user).prefetch_related(
            "measures__lead_department"
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        inputs: dict[str, type[serializers.Serializer]] = {
            "submit": PlanEmptyIn,
            "start": PlanEmptyIn,
            "approve": PlanApproveIn,
            "return_": ReturnIn,
            "close": PlanCloseIn,
        }
        return inputs.get(self.action or "", PlanOut)

    def _run(
        self, request: Request, serializer: type[serializers.Serializer], call: Any
    ) -> Response:
        plan = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(plan, data.validated_data)
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(PlanOut(plan).data)

    @plan_action("submit", PlanEmptyIn, "提交审批（草稿或已退回的计划）")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request, PlanEmptyIn, lambda p, d: services.plan_submit(actor=request.user, plan=p)
        )

    @plan_action("approve", PlanApproveIn, "批准计划（须有审批权限）")
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            PlanApproveIn,
            lambda p, d: services.plan_approve(actor=request.user, plan=p, note=d["note"]),
        )

    @plan_action("return", ReturnIn, "退回修改（须说明理由）")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            ReturnIn,
            lambda p, d: services.plan_return(actor=request.user, plan=p, reason=d["reason"]),
        )

    @plan_action("start", PlanEmptyIn, "开始执行（已批准的计划）")
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request, PlanEmptyIn, lambda p, d: services.plan_start(actor=request.user, plan=p)
        )

    @plan_action("close", PlanCloseIn, "年末结束：每项任务评定完成 / 部分完成 / 未完成")
    def close(self, request: Request, pk: str | None = None) -> Response:
        def call(plan: Plan, d: dict[str, Any]) -> None:
            results = {
                r["task"]: services.YearEndResultData(r["result"], r["reason"])
                for r in d["results"]
            }
            services.plan_close(actor=request.user, plan=plan, results=results)

        return self._run(request, PlanCloseIn, call)


def task_action(path: str, request: type[serializers.Serializer], summary: str) -> Any:
    def wrap(fn: Any) -> Any:
        fn = action(
            detail=True, methods=["post"], url_path=path, pagination_class=None, filter_backends=[]
        )(fn)
        return extend_schema(
            summary=summary,
            request=request,
            responses={200: TaskOut, **ERRORS},
            tags=["督办任务"],
        )(fn)

    return wrap


@extend_schema_view(
    list=extend_schema(
        summary="督办任务（责任机构或督办机构在本机构范围内）",
        responses={200: TaskOut(many=True), **LIST_ERRORS, 404: READ_ERRORS[404]},
        tags=["督办任务"],
    ),
    retrieve=extend_schema(
        summary="督办任务详情", responses={200: TaskOut, **READ_ERRORS}, tags=["督办任务"]
    ),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Tasks whose owning or issuing unit lies in the caller's scope, whatever their source."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "plans.view_task"
    serializer_class = TaskOut
    pagination_class = ById
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Task]:
        return selectors.tasks_visible(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        inputs: dict[str, type[serializers.Serializer]] = {
            "progress": ProgressIn,
            "submit": SubmitIn,
            "accept": AcceptIn,
            "return_": ReturnIn,
            "update_": TaskUpdateIn,
            "milestone": TaskMilestoneIn,
        }
        return inputs.get(self.action or "", TaskOut)

    def _run(
        self, request: Request, serializer: type[serializers.Serializer], call: Any
    ) -> Response:
        task = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(task, data.validated_data)
        task.refresh_from_db()
        return Response(TaskOut(task).data)

    @task_action("progress", ProgressIn, "报送进展")
    def progress(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            ProgressIn,
            lambda t, d: services.task_progress_add(
                actor=request.user, task=t, pct=d["pct"], text=d["text"]
            ),
        )

    @task_action("submit", SubmitIn, "完成并提交验收")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            SubmitIn,
            lambda t, d: services.task_submit(actor=request.user, task=t, note=d["note"]),
        )

    @task_action("accept", AcceptIn, "验收通过（督办机构）")
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            AcceptIn,
            lambda t, d: services.task_accept(actor=request.user, task=t, note=d["note"]),
        )

    @task_action("return", ReturnIn, "退回重办（督办机构，须说明理由）")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            ReturnIn,
            lambda t, d: services.task_return(actor=request.user, task=t, reason=d["reason"]),
        )

    @task_action("update", TaskUpdateIn, "调整期限、责任部门、责任人与协办（督办机构，须说明理由）")
    def update_(self, request: Request, pk: str | None = None) -> Response:
        def call(task: Task, d: dict[str, Any]) -> None:
            visible_units = visible_to(request.user, Unit.objects.all())
            visible_departments = visible_to(request.user, Department.objects.all())

            def one(qs: Any, field: str, label: str, **lookup: Any) -> Any:
                found = qs.filter(**lookup).first()
                if found is None:
                    raise DomainError(
                        "%(label)s不存在或不在您的管辖范围内。",
                        params={"label": lazy_text(label)},
                        field=field,
                    )
                return found

            department = None
            if d["owner_department"]:
                department = one(
                    Department.objects.filter(unit=task.owner_unit),
                    "owner_department",
                    "责任部门",
                    pk=d["owner_department"],
                )
            responsible = None
            if d["responsible"]:
                responsible = one(
                    User.objects.filter(unit__path__startswith=task.owner_unit.path),
                    "responsible",
                    "责任人",
                    username=d["responsible"],
                )
            services.task_update(
                actor=request.user,
                task=task,
                due_date=d["due_date"],
                reason=d["reason"],
                owner_department=department,
                responsible=responsible,
                co_units=[
                    one(visible_units, "co_units", "协办机构", code=c) for c in d["co_units"]
                ],
                co_departments=[
                    one(visible_departments, "co_departments", "协办部门", pk=c)
                    for c in d["co_departments"]
                ],
            )

        return self._run(request, TaskUpdateIn, call)

    @task_action("milestones", TaskMilestoneIn, "新增任务节点（督办机构或责任部门）")
    def milestone(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            TaskMilestoneIn,
            lambda t, d: services.milestone_add(
                actor=request.user, task=t, title=d["title"], due_date=d["due_date"]
            ),
        )
