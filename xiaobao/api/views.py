"""REST endpoints: each parses its input, calls exactly one service, and returns the case.

Reads go through the complaint selectors (branch scope: a case outside it is a 404, exactly like
one that does not exist); writes go through the lifecycle services, which check rights again.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from xiaobao.api import serializers as s
from xiaobao.api.errors import ERROR_RESPONSES, ErrorSerializer
from xiaobao.api.schema import RegistryFilterBackend
from xiaobao.api.services import IDEMPOTENCY_KEY_MAX, idempotent, request_fingerprint
from xiaobao.complaints import selectors, services
from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.lib.errors import PermissionDeniedError
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.scope import visible_to

ERRORS = ERROR_RESPONSES
# A read has no body to reject and no transition to refuse.
READ_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (401, 403, 404)}
# A listing refuses a filter value it cannot parse (`?is_active=maybe`) with a 400.
LIST_ERRORS: dict[int, Any] = {code: ErrorSerializer for code in (400, 401, 403)}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
    OpenApiParameter.HEADER,
    required=False,
    description="重试安全：同一键、同一请求体只登记一次并返回首次的响应；同一键、不同请求体返回 422。",
)


class ReadPermission(BasePermission):
    """Reads need the view's model permission; writes are checked by the services themselves."""

    message = "您没有查看该资源的权限。"

    def has_permission(self, request: Request, view: Any) -> bool:
        perm = getattr(view, "read_permission", None)
        if request.method in SAFE_METHODS and perm:
            return bool(request.user.has_perm(perm))
        return True


class RegistryPagination(CursorPagination):
    """Keyset pages: stable while cases are being registered, and no COUNT over the registry."""

    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "翻页游标无效。"


def _json_ready(data: Any) -> Any:
    """What the client will receive, as plain JSON (storable for idempotent replays)."""
    return json.loads(JSONRenderer().render(data))


def _load(pk: int) -> Complaint:
    return (
        Complaint.objects.select_related(
            "unit",
            "complained_unit",
            "intake_channel",
            "handler",
            "complained_staff",
            "business_channel",
            "business_category",
            "cause",
            "level",
            "review_of",
            "merged_into",
            "decision",
            "notice",
        )
        .prefetch_related("complainants", "demands", "tags", "extensions", "follow_ups", "reviews")
        .get(pk=pk)
    )


def lifecycle(
    path: str, request: type[drf_serializers.Serializer], summary: str, status: int = 200
) -> Callable[[Callable[..., Response]], Any]:
    """A POST sub-resource of a case that calls one lifecycle service."""

    def wrap(fn: Callable[..., Response]) -> Any:
        fn = action(
            detail=True, methods=["post"], url_path=path, pagination_class=None, filter_backends=[]
        )(fn)
        return extend_schema(
            summary=summary,
            request=request,
            responses={status: s.ComplaintDetail, **ERRORS},
            tags=["投诉办理"],
        )(fn)

    return wrap


@extend_schema_view(
    list=extend_schema(
        summary="投诉台账（按机构范围，游标分页）",
        # 404: a cursor that is not one of ours.
        responses={200: s.ComplaintSummary(many=True), **LIST_ERRORS, 404: ErrorSerializer},
        tags=["投诉"],
    ),
    retrieve=extend_schema(
        summary="投诉详情（个人信息已脱敏）",
        responses={200: s.ComplaintDetail, **READ_ERRORS},
        tags=["投诉"],
    ),
)
class ComplaintViewSet(viewsets.GenericViewSet):
    """Complaints in the caller's branch scope."""

    permission_classes = [IsAuthenticated, ReadPermission]
    read_permission = "complaints.view_complaint"
    serializer_class = s.ComplaintSummary
    filter_backends = [RegistryFilterBackend]
    filterset_class = RegistryFilter
    pagination_class = RegistryPagination
    lookup_value_regex = r"\d+"

    # Each action's input, so that the browsable API offers the right form for it.
    inputs: dict[str, type[drf_serializers.Serializer]] = {
        "create": s.ComplaintCreateIn,
        "reveal": s.RevealIn,
        "text_reveal": s.TextRevealIn,
        "person_lookup": s.PersonLookupIn,
        "accept": s.HandlerIn,
        "assign": s.AssignIn,
        "transfer": s.TransferIn,
        "legal_hold": s.LegalHoldIn,
        "classify": s.ClassifyIn,
        "pause": s.PauseIn,
        "resume": s.ResumeIn,
        "new_facts": s.NewFactsIn,
        "extension_request": s.ExtensionRequestIn,
        "extension_approve": s.ExtensionApproveIn,
        "extension_reject": s.ExtensionRejectIn,
        "decide": s.DecideIn,
        "notify": s.NotifyIn,
        "close": s.CloseIn,
        "withdraw": s.WithdrawIn,
        "decline": s.DeclineIn,
        "merge": s.MergeIn,
        "flag_major": s.FlagMajorIn,
        "review": s.ReviewIn,
        "follow_up": s.FollowUpIn,
        "letter": s.LetterIn,
    }

    # The permission each case action needs at least (handle_complaint when not listed).
    action_perms: dict[str, str] = {
        "reveal": "",  # the reveal service refuses with its own message and logs the attempt
        "text_reveal": "",
        "assign": "complaints.assign_complaint",
        "transfer": "complaints.assign_complaint",
        "legal_hold": "complaints.set_legal_hold",
        "flag_major": "complaints.flag_major",
        "review": "complaints.add_complaint",
        "extension_approve": "complaints.approve_extension_30",
        "extension_reject": "complaints.approve_extension_30",
    }

    def get_queryset(self) -> QuerySet[Complaint]:
        return selectors.complaint_list(user=self.request.user)

    def get_serializer_class(self) -> type[drf_serializers.Serializer]:
        return self.inputs.get(self.action or "", s.ComplaintSummary)

    # --- helpers ---------------------------------------------------------------------------------

    def _case(self, pk: Any) -> Complaint:
        return selectors.complaint_get(user=self.request.user, pk=pk)

    def _input(self, cls: type[drf_serializers.Serializer], request: Request) -> dict[str, Any]:
        return s.validated(cls, request.data)

    def _begin(
        self, request: Request, pk: Any, cls: type[drf_serializers.Serializer]
    ) -> tuple[Complaint, dict[str, Any]]:
        complaint = self._case(pk)  # 404 before 400: an unseen case reveals nothing
        # 403 before 400: a caller who may not act at all is refused whatever they sent (the
        # service checks again, with the case's unit).
        perm = self.action_perms.get(self.action or "", "complaints.handle_complaint")
        if perm and not request.user.has_perm(perm):
            raise PermissionDeniedError("您没有执行此操作的权限。")
        return complaint, self._input(cls, request)

    def _detail(self, complaint: Complaint) -> Any:
        return s.ComplaintDetail(_load(complaint.pk)).data

    def _respond(self, complaint: Complaint, status: int = 200) -> Response:
        return Response(self._detail(complaint), status=status)

    @staticmethod
    def _staff(username: str | None, field: str = "handler") -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).select_related("unit").first()
        if user is None:
            raise ValidationError({field: [f"找不到用户名为“{username}”的在职员工。"]})
        return user

    # --- registry --------------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ComplaintSummary(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return self._respond(self._case(pk))

    @extend_schema(
        summary="登记投诉",
        request=s.ComplaintCreateIn,
        responses={201: s.ComplaintDetail, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
        tags=["投诉"],
    )
    def create(self, request: Request) -> Response:
        def register() -> tuple[int, Any]:
            d = self._input(s.ComplaintCreateIn, request)
            complaint = services.complaint_register(
                actor=request.user,
                unit=d["unit"],
                received_at=d["received_at"],
                intake_channel=d["intake_channel"],
                title=d["title"],
                narrative=d["narrative"],
                complainants=[services.ComplainantData(**c) for c in d["complainants"]],
                complained_unit=d["complained_unit"],
                complained_staff=self._staff(d["complained_staff"], "complained_staff"),
                complained_staff_name=d["complained_staff_name"],
                demands=d["demands"],
                demand_text=d["demand_text"],
                amount=d["amount"],
                business_channel=d["business_channel"],
                business_category=d["business_category"],
                cause=d["cause"],
                level=d["level"],
                tags=d["tags"],
                external_ref=d["external_ref"],
                referrer_received_on=d["referrer_received_on"],
                group_size=d["group_size"],
                handler=self._staff(d["handler"]),
            )
            # Built from what the service just wrote (its relations filled in), not read back
            # through the detail's wide join.
            return 201, _json_ready(s.represent(s.ComplaintDetail, complaint))

        key = request.headers.get("Idempotency-Key")
        if key is None:
            status, body = register()
            return Response(body, status=status)
        stored = idempotent(
            owner=request.user,
            key=key,
            endpoint="complaints.create",
            fingerprint=request_fingerprint(
                method="POST", endpoint="complaints.create", body=request.data
            ),
            create=register,
        )
        response = Response(stored.body, status=stored.status)
        if stored.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        summary="处理过程（事件）",
        responses={200: s.EventOut(many=True), **READ_ERRORS},
        tags=["投诉"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, pk: Any = None) -> Response:
        complaint = self._case(pk)
        return Response(
            s.EventOut(selectors.complaint_timeline(complaint=complaint), many=True).data
        )

    @extend_schema(
        summary="查看完整个人信息（须说明理由，留痕）",
        request=s.RevealIn,
        responses={200: s.RevealOut, **ERRORS},
        tags=["投诉"],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"complainants/(?P<complainant_pk>\d+)/reveal",
        pagination_class=None,
        filter_backends=[],
    )
    def reveal(self, request: Request, pk: Any = None, complainant_pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.RevealIn)
        person = complaint.complainants.filter(pk=complainant_pk).first()
        if person is None:
            raise NotFound
        value = services.complainant_reveal(
            actor=request.user,
            complainant=person,
            field=d["field"],
            reason=d["reason"],
        )
        return Response({"field": d["field"], "value": value})

    @extend_schema(
        summary="查看含个人信息的原文（标题、投诉内容、诉求、处理记录；须说明理由，留痕）",
        request=s.TextRevealIn,
        responses={200: s.RevealOut, **ERRORS},
        tags=["投诉"],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="text-reveal",
        pagination_class=None,
        filter_backends=[],
    )
    def text_reveal(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.TextRevealIn)
        value = services.complaint_text_reveal(
            actor=request.user,
            complaint=complaint,
            field=d["field"],
            event=d.get("event"),
            reason=d["reason"],
        )
        return Response({"field": d["field"], "value": value})

    @extend_schema(
        summary="按投诉人查找：提交电话或证件号，换取列表用的 person_token（号码不进入网址）",
        request=s.PersonLookupIn,
        responses={200: s.PersonLookupOut, **ERRORS},
        tags=["投诉"],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="person-lookup",
        pagination_class=None,
        filter_backends=[],
        parser_classes=[JSONParser],
    )
    def person_lookup(self, request: Request) -> Response:
        from xiaobao.privacy.lookup import TOKEN_SECONDS, person_lookup_token_create

        d = self._input(s.PersonLookupIn, request)
        token = person_lookup_token_create(user=request.user, value=d["person"])
        return Response({"person_token": token, "expires_in": TOKEN_SECONDS})

    # --- lifecycle -------------------------------------------------------------------------------

    @lifecycle("accept", s.HandlerIn, "受理（指定处理人，默认本人）")
    def accept(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.HandlerIn)
        services.complaint_accept(
            actor=request.user,
            complaint=complaint,
            handler=self._staff(d["handler"]),
        )
        return self._respond(complaint)

    @lifecycle("assign", s.AssignIn, "分派处理人")
    def assign(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.AssignIn)
        handler = self._staff(d["handler"])
        assert handler is not None
        services.complaint_assign(
            actor=request.user,
            complaint=complaint,
            handler=handler,
            reason=d["reason"],
        )
        return self._respond(complaint)

    @lifecycle("transfer", s.TransferIn, "移交其他机构（期限不变，处理人清空）")
    def transfer(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.TransferIn)
        services.complaint_transfer(
            actor=request.user, complaint=complaint, to_unit=d["to_unit"], reason=d["reason"]
        )
        # The receiving unit is in the caller's scope, so the case stays visible to the caller.
        return self._respond(complaint)

    @lifecycle("legal-hold", s.LegalHoldIn, "设置或解除诉讼/争议保全（保全期间不匿名化）")
    def legal_hold(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.LegalHoldIn)
        services.complaint_set_legal_hold(
            actor=request.user, complaint=complaint, hold=d["hold"], reason=d["reason"]
        )
        return self._respond(complaint)

    @lifecycle("classify", s.ClassifyIn, "分类（只修改提交的字段）")
    def classify(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.ClassifyIn)
        services.complaint_classify(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("pause", s.PauseIn, "中止计时（鉴定、检测、评估、调解）")
    def pause(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.PauseIn)
        services.complaint_pause(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("resume", s.ResumeIn, "恢复计时")
    def resume(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.ResumeIn)
        services.complaint_resume(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("new-facts", s.NewFactsIn, "补充新事实或新材料（重新起算期限）")
    def new_facts(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.NewFactsIn)
        services.complaint_add_new_facts(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("extension-request", s.ExtensionRequestIn, "申请延期至30日或60日", status=201)
    def extension_request(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.ExtensionRequestIn)
        services.extension_request(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint, status=201)

    def _extension(self, complaint: Complaint, extension_pk: Any) -> Any:
        extension = complaint.extensions.filter(pk=extension_pk).first()
        if extension is None:
            raise NotFound
        return extension

    @lifecycle(r"extensions/(?P<extension_pk>\d+)/approve", s.ExtensionApproveIn, "批准延期")
    def extension_approve(
        self, request: Request, pk: Any = None, extension_pk: Any = None
    ) -> Response:
        complaint, d = self._begin(request, pk, s.ExtensionApproveIn)
        services.extension_approve(
            actor=request.user,
            extension=self._extension(complaint, extension_pk),
            **d,
        )
        return self._respond(complaint)

    @lifecycle(r"extensions/(?P<extension_pk>\d+)/reject", s.ExtensionRejectIn, "驳回延期")
    def extension_reject(
        self, request: Request, pk: Any = None, extension_pk: Any = None
    ) -> Response:
        complaint, d = self._begin(request, pk, s.ExtensionRejectIn)
        services.extension_reject(
            actor=request.user,
            extension=self._extension(complaint, extension_pk),
            note=d["note"],
        )
        return self._respond(complaint)

    @lifecycle("decide", s.DecideIn, "作出处理决定")
    def decide(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.DecideIn)
        services.complaint_decide(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("notify", s.NotifyIn, "记录处理决定已告知投诉人")
    def notify(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.NotifyIn)
        services.complaint_notify(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @extend_schema(
        summary="生成答复函（Word，可另附 PDF；Base64）与短信文本",
        request=s.LetterIn,
        responses={201: s.LetterOut, **ERRORS},
        tags=["投诉办理"],
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def letter(self, request: Request, pk: Any = None) -> Response:
        complaint = self._case(pk)
        data = self._input(s.LetterIn, request)
        generated = services.complaint_letter_generate(
            actor=request.user, complaint=complaint, pdf=bool(data.get("pdf"))
        )
        return Response(
            {
                "ref": generated.ref,
                "sha256": generated.sha256,
                "sms": generated.sms,
                "docx_base64": base64.b64encode(generated.docx).decode(),
                "pdf_base64": base64.b64encode(generated.pdf).decode() if generated.pdf else None,
            },
            status=201,
        )

    @lifecycle("close", s.CloseIn, "办结（原因分析与整改任务）")
    def close(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.CloseIn)
        tasks = []
        for i, r in enumerate(d["rectifications"]):
            department = Department.objects.filter(pk=r["department"], is_active=True).first()
            if department is None:
                raise ValidationError(
                    {f"rectifications.{i}.department": ["整改部门不存在或已停用。"]}
                )
            tasks.append(services.RectificationData(department, r["description"], r["due_date"]))
        services.complaint_close(
            actor=request.user,
            complaint=complaint,
            root_cause=d["root_cause"],
            at_fault=d["at_fault"],
            rectifications=tasks,
        )
        return self._respond(complaint)

    @lifecycle("withdraw", s.WithdrawIn, "撤诉")
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.WithdrawIn)
        services.complaint_withdraw(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("decline", s.DeclineIn, "不予受理")
    def decline(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.DeclineIn)
        services.complaint_decline(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("merge", s.MergeIn, "合并到另一件投诉")
    def merge(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.MergeIn)
        into = selectors.complaint_list(user=request.user).filter(registry_no=d["into"]).first()
        if into is None:
            raise ValidationError({"into": [f"找不到台账编号为“{d['into']}”的投诉。"]})
        services.complaint_merge(
            actor=request.user,
            complaint=complaint,
            into=into,
            new_facts=d["new_facts"],
            note=d["note"],
        )
        return self._respond(complaint)

    @lifecycle("flag-major", s.FlagMajorIn, "认定重大投诉（并逐级上报）")
    def flag_major(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.FlagMajorIn)
        services.complaint_flag_major(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint)

    @lifecycle("review", s.ReviewIn, "申请核查（返回新登记的核查案件）", status=201)
    def review(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.ReviewIn)
        review = services.review_request(actor=request.user, complaint=complaint, **d)
        # The review belongs to the upper level, possibly outside the caller's scope: the caller
        # still learns its number, which it needs to refer to it.
        return self._respond(review, status=201)

    @lifecycle("follow-up", s.FollowUpIn, "记录回访", status=201)
    def follow_up(self, request: Request, pk: Any = None) -> Response:
        complaint, d = self._begin(request, pk, s.FollowUpIn)
        services.follow_up_record(actor=request.user, complaint=complaint, **d)
        return self._respond(complaint, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="分类代码",
        responses={200: s.TaxonomyTermOut(many=True), **LIST_ERRORS},
        tags=["配置"],
    ),
    retrieve=extend_schema(
        summary="分类代码详情", responses={200: s.TaxonomyTermOut, **READ_ERRORS}, tags=["配置"]
    ),
)
class TaxonomyViewSet(viewsets.ReadOnlyModelViewSet):
    """The classification codes (configuration, the same for everybody)."""

    queryset = TaxonomyTerm.objects.select_related("parent").order_by("axis", "sort_order", "code")
    serializer_class = s.TaxonomyTermOut
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["axis", "is_active"]


@extend_schema_view(
    list=extend_schema(
        summary="机构（本机构及下级）",
        responses={200: s.UnitOut(many=True), **LIST_ERRORS},
        tags=["配置"],
    ),
    retrieve=extend_schema(
        summary="机构详情", responses={200: s.UnitOut, **READ_ERRORS}, tags=["配置"]
    ),
)
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Units in the caller's subtree."""

    serializer_class = s.UnitOut
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self) -> QuerySet[Unit]:
        return visible_to(self.request.user, Unit.objects.select_related("parent")).order_by("path")


# --- documentation (offline) ---------------------------------------------------------------------


@login_required
def docs(request: HttpRequest) -> HttpResponse:
    """The schema rendered as a plain page: no CDN and no JavaScript, so it works offline."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = ("get", "post", "put", "patch", "delete")
    tags: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in methods:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            tags.setdefault((op.get("tags") or ["其他"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or op.get("operationId", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "request": body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    components = schema.get("components", {}).get("schemas", {})
    return render(
        request,
        "api/docs.html",
        {"info": schema.get("info", {}), "tags": tags, "components": components},
    )
