"""Forms of the staff workbench: they parse and validate input; services decide."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import (
    DECIDABLE_OUTCOMES,
    Axis,
    ComplainantRole,
    IdType,
    MajorReason,
    NoticeMethod,
    PauseReason,
    Route,
    Satisfaction,
)
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.complaints.services import DeclineGround
from xiaobao.organisation.models import Department, Unit, User
from xiaobao.organisation.scope import visible_to

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ALLOWED_UPLOADS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".txt": "text/plain",
}
# The first bytes of each allowed type, so a renamed executable is refused whatever its name says.
MAGIC = {
    ".pdf": [b"%PDF"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".png": [b"\x89PNG"],
    ".docx": [b"PK\x03\x04"],
    ".xlsx": [b"PK\x03\x04"],
    ".doc": [b"\xd0\xcf\x11\xe0"],
    ".xls": [b"\xd0\xcf\x11\xe0"],
    ".mp3": [b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"],
    ".wav": [b"RIFF"],
}


def _is_text(upload: Any) -> bool:
    """Plain text in an encoding Chinese offices use, with no NUL bytes (binary in disguise)."""
    sample = upload.read(1024 * 1024)
    upload.seek(0)
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # A multi-byte character may be cut at the sample's end: ignore a trailing fragment.
            sample.decode(encoding) if len(sample) < 1024 * 1024 else sample[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


class TermChoiceField(forms.ModelChoiceField):
    """A taxonomy picker: active codes only, sub-categories shown under their parent."""

    def __init__(self, axis: Axis, **kwargs: Any) -> None:
        qs = TaxonomyTerm.objects.filter(axis=axis, is_active=True).select_related("parent")
        super().__init__(queryset=qs.order_by("sort_order"), **kwargs)

    def label_from_instance(self, obj: TaxonomyTerm) -> str:
        return f"\u3000{obj.label}" if obj.parent_id else obj.label


class TermMultipleField(forms.ModelMultipleChoiceField):
    def __init__(self, axis: Axis, **kwargs: Any) -> None:
        qs = TaxonomyTerm.objects.filter(axis=axis, is_active=True).order_by("sort_order")
        super().__init__(queryset=qs, widget=forms.CheckboxSelectMultiple, **kwargs)


def _local_now() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class RegisterForm(forms.Form):
    """One form for counter and phone staff; referral fields appear for referral channels."""

    intake_channel = TermChoiceField(Axis.INTAKE_CHANNEL, label=_("投诉渠道"))
    received_at = forms.DateTimeField(label=_("接收时间"), widget=DATETIME)
    external_ref = forms.CharField(label=_("转办编号"), required=False, max_length=64)
    referrer_received_on = forms.DateField(label=_("转办方受理日期"), required=False, widget=DATE)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("责任机构"))
    complained_staff = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("被投诉人员"),
        required=False,
        help_text=_("从责任机构的员工中选择；处理人不得为被投诉人本人（回避）"),
    )
    complained_staff_name = forms.CharField(
        label=_("被投诉人员姓名（无法选择员工时填写）"),
        required=False,
        max_length=50,
        help_text=_("仅填写姓名时系统无法自动执行回避检查"),
    )
    title = forms.CharField(label=_("投诉标题"), max_length=120)
    narrative = forms.CharField(label=_("投诉事实与理由"), widget=forms.Textarea(attrs={"rows": 6}))
    demands = TermMultipleField(Axis.DEMAND, label=_("诉求"), required=False)
    demand_text = forms.CharField(
        label=_("诉求说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    amount = forms.DecimalField(
        label=_("涉及金额（元）"), required=False, min_value=0, decimal_places=2
    )
    # Known at intake (where the business was done) and required to decide: asked for here,
    # not discovered missing at decision time. Category and cause may wait for the classifier.
    business_channel = TermChoiceField(Axis.BUSINESS_CHANNEL, label=_("业务办理渠道"))
    business_category = TermChoiceField(Axis.BUSINESS_CATEGORY, label=_("业务类别"), required=False)
    cause = TermChoiceField(Axis.CAUSE, label=_("投诉原因"), required=False)
    level = TermChoiceField(Axis.LEVEL, label=_("处理级别"))
    tags = TermMultipleField(Axis.TAG, label=_("敏感标签"), required=False)
    group_size = forms.IntegerField(label=_("共同投诉人数"), min_value=1, initial=1)
    # The (first) complainant.
    role = forms.ChoiceField(label=_("投诉人身份"), choices=ComplainantRole.choices)
    name = forms.CharField(label=_("投诉人姓名/单位名称"), max_length=100)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices)
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    address = forms.CharField(label=_("联系地址"), required=False, max_length=200)
    represents = forms.CharField(label=_("代为投诉的消费者"), required=False, max_length=100)
    legal_representative = forms.CharField(label=_("法定代表人"), required=False, max_length=50)
    confirm_duplicate = forms.BooleanField(
        label=_("已确认不是重复投诉，继续登记"), required=False, widget=forms.CheckboxInput
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = cast(forms.ModelChoiceField, self.fields["unit"])
        unit_field.queryset = visible_to(user, Unit.objects.filter(is_active=True))
        self.fields["unit"].initial = user.unit_id
        staff = cast(forms.ModelChoiceField, self.fields["complained_staff"])
        staff.queryset = (
            visible_to(user, User.objects.filter(is_active=True))
            .select_related("unit")
            .order_by("unit__path", "username")
        )
        staff.label_from_instance = _staff_label  # type: ignore[method-assign,assignment]
        self.fields["received_at"].initial = _local_now()
        self.fields["level"].initial = TaxonomyTerm.objects.filter(
            axis=Axis.LEVEL, code="NORMAL"
        ).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        staff, unit = data.get("complained_staff"), data.get("unit")
        # The staff complained about work in the responsible unit or one of its units below.
        if staff is not None and unit is not None and not unit.contains(staff.unit):
            self.add_error("complained_staff", _("被投诉人员须为责任机构（含下属机构）的员工。"))
        return data


def _staff_label(user: User) -> str:
    return f"{user.display_name or user.username}（{user.username}，{user.unit.name}）"


class ClassifyForm(forms.Form):
    """Confirm or correct the classification; the corrected codes teach the next classifier."""

    business_channel = TermChoiceField(
        Axis.BUSINESS_CHANNEL, label=_("业务办理渠道"), required=False
    )
    business_category = TermChoiceField(Axis.BUSINESS_CATEGORY, label=_("业务类别"), required=False)
    cause = TermChoiceField(Axis.CAUSE, label=_("投诉原因"), required=False)
    level = TermChoiceField(Axis.LEVEL, label=_("处理级别"), required=False)


class DecisionForm(forms.Form):
    verified_facts = forms.CharField(label=_("核实情况"), widget=forms.Textarea(attrs={"rows": 3}))
    # No outcome chosen in advance: the handler decides it (a pre-set 诉求成立 was sent unread).
    outcome = forms.ChoiceField(
        label=_("处理结果"), choices=[("", "---------"), *DECIDABLE_OUTCOMES]
    )
    basis = forms.CharField(label=_("处理依据"), widget=forms.Textarea(attrs={"rows": 2}))
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    compensation = forms.DecimalField(label=_("补偿/赔偿金额（元）"), required=False, min_value=0)
    routes = forms.MultipleChoiceField(
        label=_("告知的救济途径"),
        choices=Route.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Route.REVIEW, Route.MEDIATION, Route.LITIGATION],
    )
    text = forms.CharField(
        label=_("答复内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    decided_at = forms.DateTimeField(
        label=_("决定时间"),
        required=False,
        widget=DATETIME,
        help_text=_("如决定已先行作出（如电话答复），填写实际时间；不早于受理时间"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_at"].initial = _local_now()


class NoticeForm(forms.Form):
    method = forms.ChoiceField(label=_("告知方式"), choices=NoticeMethod.choices)
    given_at = forms.DateTimeField(
        label=_("告知时间"), widget=DATETIME, help_text=_("实际告知的时间，可早于录入时间")
    )
    use_letter = forms.BooleanField(
        label=_("以系统生成的答复函为告知凭证（已寄出或已发送）"), required=False
    )
    evidence = forms.CharField(
        label=_("告知凭证"),
        max_length=500,
        required=False,
        help_text=_("挂号信单号、短信记录或录音编号"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_at"].initial = _local_now()


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("中止原因"), choices=PauseReason.choices)
    told_by = forms.ChoiceField(label=_("告知投诉人方式"), choices=NoticeMethod.choices)
    note = forms.CharField(label=_("说明"), required=False)


class ResumeForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False)


class NewFactsForm(forms.Form):
    received_at = forms.DateTimeField(label=_("新材料接收时间"), widget=DATETIME)
    description = forms.CharField(
        label=_("新事实或新材料"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = _local_now()


class ExtensionRequestForm(forms.Form):
    target_days = forms.TypedChoiceField(
        label=_("延期至"),
        coerce=int,
        choices=[(30, _("30日（复杂）")), (60, _("60日（特别复杂）"))],
    )
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批"), choices=[("approve", _("批准")), ("reject", _("驳回"))]
    )
    note = forms.CharField(label=_("审批意见"), required=False)
    told_by = forms.ChoiceField(
        label=_("告知投诉人方式（60日必填）"),
        choices=[("", "—"), *NoticeMethod.choices],
        required=False,
    )
    told_at = forms.DateTimeField(label=_("告知时间"), required=False, widget=DATETIME)


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(queryset=User.objects.none(), label=_("处理人"))
    reason = forms.CharField(label=_("说明"), required=False)

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Candidates: active staff whose unit lies on the path from head office to the case unit.
        ancestors = [int(seg) for seg in unit.path.strip("/").split("/") if seg]
        cast(forms.ModelChoiceField, self.fields["handler"]).queryset = User.objects.filter(
            is_active=True, unit_id__in=ancestors, groups__permissions__codename="handle_complaint"
        ).distinct()


class TransferForm(forms.Form):
    to_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("接收机构"))
    reason = forms.CharField(label=_("移交原因"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any active unit in the actor's scope other than the one that has the case now.
        cast(forms.ModelChoiceField, self.fields["to_unit"]).queryset = visible_to(
            user, Unit.objects.filter(is_active=True)
        ).exclude(pk=unit.pk)


class LegalHoldForm(forms.Form):
    hold = forms.TypedChoiceField(
        label=_("诉讼/争议保全"),
        coerce=lambda v: v == "set",
        choices=[("set", _("设置保全")), ("lift", _("解除保全"))],
    )
    reason = forms.CharField(label=_("原因"), max_length=200)


class CloseForm(forms.Form):
    root_cause = forms.CharField(label=_("原因分析"), widget=forms.Textarea(attrs={"rows": 3}))
    at_fault = forms.BooleanField(label=_("产品或流程存在问题，需要整改"), required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True), label=_("整改部门"), required=False
    )
    rectification = forms.CharField(
        label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rectification_due = forms.DateField(label=_("整改期限"), required=False, widget=DATE)


class WithdrawForm(forms.Form):
    received_at = forms.DateTimeField(label=_("撤诉申请收到时间"), widget=DATETIME)
    note = forms.CharField(label=_("说明"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = _local_now()


class DeclineForm(forms.Form):
    ground = forms.ChoiceField(label=_("不予受理理由"), choices=list(DeclineGround.labels.items()))
    reason = forms.CharField(label=_("具体说明"))
    told_by = forms.ChoiceField(label=_("告知方式"), choices=NoticeMethod.choices)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("并入的投诉编号"), max_length=20)
    new_facts = forms.BooleanField(label=_("含新事实（重新起算期限）"), required=False)
    note = forms.CharField(label=_("说明"), required=False)


class MajorForm(forms.Form):
    reason = forms.ChoiceField(label=_("认定原因"), choices=MajorReason.choices)
    note = forms.CharField(label=_("情况说明"))


class ReviewForm(forms.Form):
    requested_at = forms.DateTimeField(label=_("核查申请收到时间"), widget=DATETIME)
    narrative = forms.CharField(
        label=_("申请核查的事实与理由"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requested_at"].initial = _local_now()


class FollowUpForm(forms.Form):
    result = forms.ChoiceField(label=_("回访结果"), choices=Satisfaction.choices)
    method = forms.ChoiceField(
        label=_("回访方式"), choices=NoticeMethod.choices, initial=NoticeMethod.PHONE
    )
    comments = forms.CharField(label=_("客户意见"), required=False)


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[
            ("phone", _("联系电话")),
            ("id_number", _("证件号码")),
            ("address", _("联系地址")),
            ("email", _("电子邮箱")),
            ("card_number", _("银行卡号")),
            ("name", _("姓名")),
        ]
    )
    complainant = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("查看理由"), max_length=200)


class TextRevealForm(forms.Form):
    """Which free text to show as typed: "title", "narrative", "demand_text" or "event:<id>"."""

    target = forms.RegexField(
        regex=r"^(title|narrative|demand_text|event:[0-9]{1,12})$",
        label=_("内容"),
        error_messages={"invalid": _("请选择要查看原文的内容。")},
    )
    reason = forms.CharField(label=_("查看理由"), max_length=200)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))
    description = forms.CharField(label=_("说明"), required=False, max_length=200)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        from pathlib import PurePath

        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in ALLOWED_UPLOADS:
            allowed = "、".join(sorted(s.lstrip(".") for s in ALLOWED_UPLOADS))
            raise ValidationError(
                _("不支持的文件类型“%(s)s”，仅允许：%(a)s。"),
                params={"s": suffix or _("无扩展名"), "a": allowed},
            )
        limit = settings.XIAOBAO_ATTACHMENT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("文件过大（%(size).1f MB），上限为 %(limit)d MB。"),
                params={"size": upload.size / 1048576, "limit": limit // 1048576},
            )
        head = upload.read(8)
        upload.seek(0)
        if suffix == ".txt" and not _is_text(upload):
            raise ValidationError(_("“.txt”文件须为纯文本（UTF-8 或 GB18030 编码）。"))
        if suffix in MAGIC and not any(head.startswith(m) for m in MAGIC[suffix]):
            raise ValidationError(
                _("文件内容与扩展名“%(s)s”不符，请检查后重新上传。"), params={"s": suffix}
            )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        self.cleaned_data["sha256"] = digest.hexdigest()
        self.cleaned_data["content_type"] = ALLOWED_UPLOADS[suffix]
        return upload


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
