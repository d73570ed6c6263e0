"""API representations: inputs are parsed here, services decide; outputs never carry raw PI.

Personal data leaves the API only masked (structured fields) or redacted (free text). The one way
to see a value in full is the reveal endpoint, which calls `complainant_reveal` with a reason.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xiaobao.complaints.choices import (
    DECIDABLE_OUTCOMES,
    ComplainantRole,
    IdType,
    MajorReason,
    NoticeMethod,
    PauseReason,
    Route,
    Satisfaction,
)
from xiaobao.complaints.models import Complaint, ComplaintEvent, TaxonomyTerm
from xiaobao.complaints.services import DeclineGround
from xiaobao.complaints.transitions import ACTION_LABELS, allowed_actions
from xiaobao.deadlines.engine import TZ
from xiaobao.lib import memo
from xiaobao.organisation.models import Unit
from xiaobao.privacy.choices import FIELD_LABELS, TEXT_FIELD_LABELS
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.redaction import redact
from xiaobao.privacy.sealing import is_sealed, sealed_fields

# DRF deep-copies every declared field, nested serializers included, for each serializer it
# makes: for the case detail and the intake form a few milliseconds of every request. Their fields
# keep no state between calls (validation results live on the root serializer, reset below),
# so each thread builds them once. Only for serializers used without context.
_built = threading.local()


def _reused(cls: type[serializers.Serializer]) -> serializers.Serializer:
    kept: dict[type, serializers.Serializer] = _built.__dict__.setdefault("serializers", {})
    ser = kept.get(cls)
    if ser is None:
        ser = kept[cls] = cls()
    return ser


def represent(cls: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """`cls(instance).data`, with the fields built once per thread."""
    return dict(_reused(cls).to_representation(instance))


def validated(cls: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """`cls(data=data)`'s validated data, or its ValidationError, with the fields built once
    per thread."""
    ser = _reused(cls)
    ser.initial_data = data
    try:
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)
    finally:
        for state in ("initial_data", "_validated_data", "_errors", "_data"):
            ser.__dict__.pop(state, None)


# Internal action name → the URL segment of its endpoint (what `allowed_actions` reports).
ACTION_PATHS = {
    "accept": "accept",
    "assign": "assign",
    "transfer": "transfer",
    "classify": "classify",
    "pause": "pause",
    "resume": "resume",
    "add_new_facts": "new-facts",
    "extension_request": "extension-request",
    "decide": "decide",
    "notify": "notify",
    "close": "close",
    "withdraw": "withdraw",
    "decline": "decline",
    "merge": "merge",
    "flag_major": "flag-major",
    "review_request": "review",
    "follow_up": "follow-up",
    "legal_hold": "legal-hold",
}


def redact_data(value: Any) -> Any:
    """Redact every string inside event data (notes may quote a phone or ID number)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    return value


class RedactedText(serializers.CharField):
    """Free text with ID, phone, card and e-mail numbers masked."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return redact(str(value or ""))


class Masked(serializers.CharField):
    """A personal field shown with the standard mask (domain.md: ID 6+4, phone 3+4 …)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        text = str(value or "")
        return mask_name(text) if self.kind == "name" else mask(self.kind, text)


class TermRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class UnitRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class UserRef(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()


class ComplainantOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    role = serializers.CharField()
    name = Masked("name")
    id_type = serializers.CharField()
    id_number = Masked("id_number")
    phone = Masked("phone")
    email = Masked("email")
    address = Masked("address")
    card_number = Masked("card")
    legal_representative = Masked("name")
    represents = Masked("name")
    is_representative = serializers.BooleanField()


class DecisionOut(serializers.Serializer):
    outcome = serializers.CharField()
    outcome_label = serializers.CharField(source="get_outcome_display")
    verified_facts = RedactedText()
    basis = RedactedText()
    reasons = RedactedText()
    text = RedactedText()
    compensation = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    routes = serializers.ListField(child=serializers.CharField())
    decided_at = serializers.DateTimeField()


class NoticeOut(serializers.Serializer):
    method = serializers.CharField()
    given_at = serializers.DateTimeField()
    evidence = RedactedText()


class ExtensionOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    target_days = serializers.IntegerField()
    reason = RedactedText()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = RedactedText()


class FollowUpOut(serializers.Serializer):
    result = serializers.CharField()
    method = serializers.CharField()
    comments = RedactedText()
    made_at = serializers.DateTimeField()


def _term(term: TaxonomyTerm | None) -> dict[str, str] | None:
    return {"code": term.code, "name": term.name} if term is not None else None


class ComplaintSummary(serializers.Serializer):
    """A registry row."""

    id = serializers.IntegerField(source="pk")
    registry_no = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    received_at = serializers.DateTimeField()
    intake_channel = serializers.SerializerMethodField()
    external_ref = serializers.CharField()
    unit = UnitRef()
    handler = UserRef(allow_null=True)
    title = RedactedText()
    level = serializers.SerializerMethodField()
    is_major = serializers.BooleanField()
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    timely = serializers.BooleanField(allow_null=True)

    @extend_schema_field(TermRef)
    def get_intake_channel(self, obj: Complaint) -> dict[str, str] | None:
        return _term(obj.intake_channel)

    @extend_schema_field(TermRef)
    def get_level(self, obj: Complaint) -> dict[str, str] | None:
        return _term(obj.level)


class ComplaintDetail(ComplaintSummary):
    """The whole case, personal data masked and free text redacted."""

    referrer_received_on = serializers.DateField(allow_null=True)
    complained_unit = UnitRef()
    complained_staff = UserRef(allow_null=True)
    complained_staff_name = serializers.CharField()
    recusal_unchecked = serializers.BooleanField(
        help_text="被投诉人员仅有姓名、未关联员工账号，无法自动执行回避检查"
    )
    narrative = RedactedText()
    demand_text = RedactedText()
    sealed_fields = serializers.SerializerMethodField(
        help_text="含个人信息、已脱敏显示的内容（title/narrative/demand_text）；原文须调用 "
        "text-reveal 接口并说明理由"
    )
    demands = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    business_channel = serializers.SerializerMethodField()
    business_category = serializers.SerializerMethodField()
    cause = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    group_size = serializers.IntegerField()
    major_reason = serializers.CharField()
    allowed_days = serializers.IntegerField()
    legal_hold = serializers.BooleanField()
    clock_restarted_at = serializers.DateTimeField(allow_null=True)
    review_of = serializers.CharField(source="review_of.registry_no", allow_null=True)
    merged_into = serializers.CharField(source="merged_into.registry_no", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    notified_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = RedactedText()
    root_cause = RedactedText()
    at_fault = serializers.BooleanField(allow_null=True)
    complainants = ComplainantOut(many=True)
    decision = serializers.SerializerMethodField()
    notice = serializers.SerializerMethodField()
    extensions = ExtensionOut(many=True)
    follow_ups = FollowUpOut(many=True)
    reviews = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_sealed_fields(self, obj: Complaint) -> list[str]:
        return sealed_fields(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_demands(self, obj: Complaint) -> list[str]:
        return sorted(t.code for t in obj.demands.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, obj: Complaint) -> list[str]:
        return sorted(t.code for t in obj.tags.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reviews(self, obj: Complaint) -> list[str]:
        return [r.registry_no for r in obj.reviews.all()]

    @extend_schema_field(TermRef)
    def get_business_channel(self, obj: Complaint) -> dict[str, str] | None:
        return _term(obj.business_channel)

    @extend_schema_field(TermRef)
    def get_business_category(self, obj: Complaint) -> dict[str, str] | None:
        return _term(obj.business_category)

    @extend_schema_field(TermRef)
    def get_cause(self, obj: Complaint) -> dict[str, str] | None:
        return _term(obj.cause)

    @extend_schema_field(DecisionOut(allow_null=True))
    def get_decision(self, obj: Complaint) -> dict[str, Any] | None:
        # A missing one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
        decision = getattr(obj, "decision", None)
        return DecisionOut(decision).data if decision is not None else None

    @extend_schema_field(NoticeOut(allow_null=True))
    def get_notice(self, obj: Complaint) -> dict[str, Any] | None:
        notice = getattr(obj, "notice", None)
        return NoticeOut(notice).data if notice is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Complaint) -> list[str]:
        return [ACTION_PATHS[a] for a in allowed_actions(obj.status) if a in ACTION_PATHS]


class EventOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = RedactedText()
    reason_sealed = serializers.SerializerMethodField(
        help_text="说明含个人信息、已脱敏显示；原文须调用 text-reveal 接口（field=event_reason）"
    )
    data = serializers.SerializerMethodField()

    def get_reason_sealed(self, obj: ComplaintEvent) -> bool:
        return bool(obj.sealed_text) and is_sealed(obj, "reason")

    def get_action_label(self, obj: ComplaintEvent) -> str:
        return ACTION_LABELS.get(obj.action, obj.action)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, obj: ComplaintEvent) -> Any:
        return redact_data(obj.data)


class TaxonomyTermOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TaxonomyTerm
        fields = ["id", "axis", "code", "name", "name_en", "parent", "is_active", "sort_order"]


class UnitOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "short_name", "kind", "parent", "depth", "is_active"]


# --- inputs --------------------------------------------------------------------------------------


# Nothing in the register happened before 2000: an earlier moment is a typing error (the year 8
# was accepted, and before 1901 Asia/Shanghai's offset is not whole minutes, so the API could not
# even write such a moment back out as an RFC 3339 date-time).
EARLIEST = datetime(2000, 1, 1, tzinfo=TZ)


class Moment(serializers.DateTimeField):
    """A moment in a case's life, not before 2000 (the services check it is not in the future)."""

    default_error_messages = {"too_early": "时间不能早于2000年1月1日。"}

    def to_internal_value(self, value: Any) -> datetime:
        moment = super().to_internal_value(value)
        if moment < EARLIEST:
            self.fail("too_early")
        return moment


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


class ComplainantIn(serializers.Serializer):
    role = serializers.ChoiceField(ComplainantRole.choices, default=ComplainantRole.SELF)
    name = serializers.CharField(max_length=100)
    id_type = serializers.ChoiceField(IdType.choices, default=IdType.RESIDENT_ID)
    id_number = _text(max_length=40)
    phone = _text(max_length=30)
    email = _text(max_length=254)
    address = _text(max_length=200)
    card_number = _text(max_length=30)
    legal_representative = _text(max_length=50)
    represents = _text(max_length=100)
    is_representative = serializers.BooleanField(default=False)


def _active_units() -> dict[str, Unit]:
    # A few hundred rows: one read per process and unit-tree version beats one per create.
    return {u.code: u for u in Unit.objects.filter(is_active=True)}


class UnitCode(serializers.SlugRelatedField):
    """An active unit by its code, from the process's copy of the unit tree (`lib.memo`); a
    code not in it is looked up as before, so unknown codes get the same errors."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            units = memo.remembered("active_units", _active_units, stamp=memo.UNITS)
            if data in units:
                return units[data]
        return super().to_internal_value(data)


class ComplaintCreateIn(serializers.Serializer):
    """All intake fields (Art. 13–14); taxonomy fields take codes (see /taxonomies/)."""

    unit = UnitCode(help_text="责任机构代码")
    received_at = Moment(default=timezone.now, help_text="接收时间，默认当前时间")
    intake_channel = serializers.CharField(max_length=40, help_text="投诉渠道代码，如 HOTLINE")
    external_ref = _text(max_length=64, help_text="转办编号（转办渠道必填）")
    referrer_received_on = serializers.DateField(required=False, allow_null=True, default=None)
    complained_unit = UnitCode(
        required=False,
        allow_null=True,
        default=None,
        help_text="被投诉机构代码，默认同责任机构",
    )
    complained_staff = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="被投诉员工的用户名（工号）；处理人不得为其本人（回避）",
    )
    complained_staff_name = _text(
        max_length=50, help_text="无法确定员工账号时填写姓名（此时无法自动执行回避检查）"
    )
    title = serializers.CharField(max_length=120)
    narrative = serializers.CharField()
    demands = serializers.ListField(child=serializers.CharField(max_length=40), default=list)
    demand_text = _text()
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, default=None
    )
    business_channel = serializers.CharField(required=False, allow_null=True, default=None)
    business_category = serializers.CharField(required=False, allow_null=True, default=None)
    cause = serializers.CharField(required=False, allow_null=True, default=None)
    level = serializers.CharField(default="NORMAL")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), default=list)
    group_size = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    handler = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="处理人用户名"
    )
    complainants = ComplainantIn(many=True, allow_empty=False)


class HandlerIn(serializers.Serializer):
    handler = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="处理人用户名，默认本人"
    )


class AssignIn(serializers.Serializer):
    handler = serializers.CharField(help_text="处理人用户名")
    reason = _text()


class TransferIn(serializers.Serializer):
    to_unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.filter(is_active=True),
        help_text="接收机构代码（须在您的管辖范围内）",
    )
    reason = serializers.CharField(help_text="移交原因")


class LegalHoldIn(serializers.Serializer):
    hold = serializers.BooleanField(help_text="true 设置保全，false 解除保全")
    reason = serializers.CharField(max_length=200)


class ClassifyIn(serializers.Serializer):
    """Only the fields sent are changed."""

    business_channel = serializers.CharField(required=False)
    business_category = serializers.CharField(required=False)
    cause = serializers.CharField(required=False)
    level = serializers.CharField(required=False)
    demands = serializers.ListField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class PauseIn(serializers.Serializer):
    reason = serializers.ChoiceField(PauseReason.choices)
    told_by = serializers.ChoiceField(NoticeMethod.choices, help_text="告知投诉人中止计时的方式")
    note = _text()
    started_at = Moment(required=False, allow_null=True, default=None)


class ResumeIn(serializers.Serializer):
    ended_at = Moment(required=False, allow_null=True, default=None)
    note = _text()


class NewFactsIn(serializers.Serializer):
    received_at = Moment(help_text="新材料接收时间")
    description = serializers.CharField()


class ExtensionRequestIn(serializers.Serializer):
    target_days = serializers.IntegerField(help_text="延期至（日）：30 或 60")
    reason = serializers.CharField()


class ExtensionApproveIn(serializers.Serializer):
    note = _text()
    told_by = serializers.ChoiceField(
        NoticeMethod.choices, required=False, allow_blank=True, default=""
    )
    told_at = Moment(required=False, allow_null=True, default=None)


class ExtensionRejectIn(serializers.Serializer):
    note = serializers.CharField()


class DecideIn(serializers.Serializer):
    verified_facts = serializers.CharField()
    outcome = serializers.ChoiceField(DECIDABLE_OUTCOMES)
    basis = serializers.CharField()
    reasons = serializers.CharField()
    routes = serializers.ListField(child=serializers.ChoiceField(Route.choices), allow_empty=False)
    compensation = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, default=None
    )
    text = _text()
    decided_at = Moment(
        required=False,
        allow_null=True,
        default=None,
        help_text="实际作出决定的时间（可早于录入时间，不早于受理，回溯不超过设定天数）",
    )


class NotifyIn(serializers.Serializer):
    method = serializers.ChoiceField(NoticeMethod.choices)
    given_at = Moment(help_text="实际告知的时间（可早于录入时间）；按此判断是否按时答复")
    evidence = _text(help_text="告知凭证；use_letter 为 true 时可补充挂号信单号等")
    use_letter = serializers.BooleanField(
        default=False, help_text="以系统生成并已寄出/发送的答复函作为告知凭证"
    )


class RectificationIn(serializers.Serializer):
    department = serializers.IntegerField(help_text="整改部门 ID")
    description = serializers.CharField()
    due_date = serializers.DateField()


class CloseIn(serializers.Serializer):
    root_cause = serializers.CharField()
    at_fault = serializers.BooleanField()
    rectifications = RectificationIn(many=True, required=False, default=list)


class WithdrawIn(serializers.Serializer):
    received_at = Moment(help_text="收到撤诉的时间")
    note = _text()


class DeclineIn(serializers.Serializer):
    ground = serializers.ChoiceField(list(DeclineGround.labels.items()))
    reason = serializers.CharField()
    told_by = serializers.ChoiceField(NoticeMethod.choices)


class MergeIn(serializers.Serializer):
    into = serializers.CharField(help_text="并入的投诉台账编号")
    new_facts = serializers.BooleanField(default=False)
    note = _text()


class FlagMajorIn(serializers.Serializer):
    reason = serializers.ChoiceField(MajorReason.choices)
    note = serializers.CharField()


class ReviewIn(serializers.Serializer):
    requested_at = Moment()
    narrative = serializers.CharField()
    intake_channel = serializers.CharField(default="LETTER")


class FollowUpIn(serializers.Serializer):
    result = serializers.ChoiceField(Satisfaction.choices)
    method = serializers.ChoiceField(NoticeMethod.choices)
    comments = _text()
    made_at = Moment(required=False, allow_null=True, default=None)


class RevealIn(serializers.Serializer):
    field = serializers.ChoiceField([(k, str(v)) for k, v in FIELD_LABELS.items()])
    reason = serializers.CharField(help_text="查看理由（至少4个字），将记入查看日志")


class TextRevealIn(serializers.Serializer):
    field = serializers.ChoiceField([(k, str(v)) for k, v in TEXT_FIELD_LABELS.items()])
    event = serializers.IntegerField(
        required=False, allow_null=True, help_text="field=event_reason 时：处理记录（事件）编号"
    )
    reason = serializers.CharField(help_text="查看理由（至少4个字），将记入查看日志")


class RevealOut(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class LetterIn(serializers.Serializer):
    pdf = serializers.BooleanField(required=False, default=False, help_text="同时生成 PDF 版本")


class LetterOut(serializers.Serializer):
    ref = serializers.CharField(help_text="答复函编号，告知时可作为凭证（use_letter）")
    sha256 = serializers.CharField()
    sms = serializers.CharField(help_text="短信文本")
    docx_base64 = serializers.CharField(help_text="Word 文件（Base64）")
    pdf_base64 = serializers.CharField(allow_null=True, help_text="PDF 文件（Base64；请求 pdf 时）")


class PersonLookupIn(serializers.Serializer):
    person = serializers.CharField(max_length=40, help_text="投诉人的联系电话或证件号码")


class PersonLookupOut(serializers.Serializer):
    person_token = serializers.CharField(help_text="用于列表的 person_token 参数；仅本人可用")
    expires_in = serializers.IntegerField(help_text="有效秒数")
