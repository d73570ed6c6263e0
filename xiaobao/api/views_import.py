"""The staff page for bulk import: upload, map columns, preview (a dry run), import, report.

Mounted by the complaints URLconf at /complaints/import/ (see the report of issue 6). The page is
a thin edge over `xiaobao.complaints.importing`: it stores the upload under MEDIA_ROOT/imports
with a server-chosen name, and every run goes through the same importer as the command.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.importing import (
    FIELD_SPECS,
    REQUIRED,
    ImportFileError,
    Table,
    import_complaints,
)
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to

SESSION_KEY = "complaint_import"
ALLOWED = (".csv", ".txt", ".tsv", ".xlsx")
PREVIEW_ROWS = 20
MAX_BYTES = 50 * 1024 * 1024

# Column titles commonly used by referral lists and ledgers, to pre-fill the mapping.
GUESSES: dict[str, tuple[str, ...]] = {
    "external_ref": ("工单编号", "工单号", "转办编号", "编号", "留言编号", "投诉编号", "单号"),
    "title": ("标题", "主题", "留言主题", "投诉标题", "事项"),
    "narrative": ("内容", "诉求内容", "留言详情", "投诉内容", "详情", "事实与理由", "问题描述"),
    "received_at": ("受理时间", "接收时间", "留言时间", "登记时间", "来电时间", "日期", "时间"),
    "complainant_name": ("姓名", "来电人", "投诉人", "留言用户", "客户姓名", "联系人"),
    "complainant_phone": ("电话", "联系电话", "手机", "手机号", "来电号码"),
    "complainant_address": ("地址", "联系地址"),
    "unit": ("承办机构", "责任机构", "机构", "网点", "承办单位"),
    "channel": ("渠道", "来源", "投诉渠道"),
    "decision_text": ("答复内容", "处理结果说明", "办理结果", "回复内容"),
    "decided_at": ("办结时间", "答复时间", "决定时间"),
    "outcome": ("处理结果", "是否成立"),
}


def _dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class UploadForm(forms.Form):
    file = forms.FileField(label="导入文件（.csv 或 .xlsx）")
    sheet = forms.CharField(label="工作表（可选，默认第一个）", required=False, max_length=100)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED:
            raise forms.ValidationError("只支持 .csv 和 .xlsx 文件（旧版 .xls 请先另存为 .xlsx）。")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"文件超过{MAX_BYTES // 1024 // 1024}MB，请用命令行导入。")
        return upload


class MappingForm(forms.Form):
    """One select per field, listing the file's columns; plus the run's options."""

    def __init__(self, *args: Any, headers: list[str], user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—— 不导入 ——"), *((h, h) for h in headers if h)]
        for spec in FIELD_SPECS:
            guess = next((h for h in GUESSES.get(spec.name, ()) if h in headers), "")
            if spec.name in headers:
                guess = spec.name
            self.fields[f"map_{spec.name}"] = forms.ChoiceField(
                label=f"{spec.label}（{spec.name}）",
                choices=choices,
                required=False,
                initial=guess,
                help_text=spec.help,
            )
        self.fields["channel"] = forms.ChoiceField(
            label="缺省投诉渠道",
            required=False,
            choices=[("", "—— 以文件为准 ——")]
            + [
                (t.code, t.name)
                for t in TaxonomyTerm.objects.filter(axis=Axis.INTAKE_CHANNEL, is_active=True)
            ],
        )
        self.fields["unit"] = forms.ChoiceField(
            label="缺省责任机构",
            required=False,
            choices=[("", "—— 以文件为准 ——")]
            + [(u.code, u.name) for u in visible_to(user, Unit.objects.filter(is_active=True))],
        )
        self.fields["strict"] = forms.BooleanField(
            label="严格模式（警告也视为错误）", required=False
        )

    def mapping(self) -> dict[str, str]:
        return {
            spec.name: self.cleaned_data[f"map_{spec.name}"]
            for spec in FIELD_SPECS
            if self.cleaned_data.get(f"map_{spec.name}")
        }

    def field_rows(self) -> list[Any]:
        return [self[f"map_{spec.name}"] for spec in FIELD_SPECS]


def _upload(request: HttpRequest) -> dict[str, str] | None:
    state = request.session.get(SESSION_KEY)
    if not state or not (_dir() / state["stored"]).is_file():
        return None
    return dict(state)


def _write_report(result: Any) -> str:
    name = f"{uuid.uuid4().hex}-report.csv"
    with (_dir() / name).open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(result.report_rows())
    return name


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
def import_page(request: HttpRequest) -> HttpResponse:
    step = request.POST.get("step", "")
    context: dict[str, Any] = {"required": REQUIRED}
    if request.method == "POST" and step == "upload":
        upload_form = UploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            stored = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
            with (_dir() / stored).open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            request.session[SESSION_KEY] = {
                "stored": stored,
                "name": Path(upload.name).name[:200],
                "sheet": upload_form.cleaned_data["sheet"],
            }
            return redirect(request.path)
        return render(request, "api/import.html", {**context, "upload_form": upload_form})

    state = _upload(request)
    if state is None or request.GET.get("restart"):
        request.session.pop(SESSION_KEY, None)
        return render(request, "api/import.html", {**context, "upload_form": UploadForm()})

    path = _dir() / state["stored"]
    try:
        table = Table(path, state.get("sheet") or None)
    except ImportFileError as exc:
        request.session.pop(SESSION_KEY, None)
        retry = UploadForm()
        retry.add_error(None, str(exc))
        return render(request, "api/import.html", {**context, "upload_form": retry})
    user = request.user
    form = MappingForm(request.POST or None, headers=table.headers, user=user)
    context |= {"form": form, "upload": state, "headers": table.headers}
    if request.method == "POST" and step in ("preview", "import") and form.is_valid():
        try:
            result = import_complaints(
                actor=user,  # type: ignore[arg-type]
                path=path,
                mapping=form.mapping(),
                channel=form.cleaned_data["channel"] or None,
                unit=form.cleaned_data["unit"] or None,
                dry_run=step == "preview",
                strict=form.cleaned_data["strict"],
                sheet=state.get("sheet") or None,
                preview=PREVIEW_ROWS,
                source_name=state["name"],
            )
        except ImportFileError as exc:
            form.add_error(None, str(exc))
        else:
            report = (
                _write_report(result)
                if (result.errors or result.warnings or result.duplicates)
                else ""
            )
            request.session[SESSION_KEY] = {**state, "report": report}
            context |= {"result": result, "issues": result.issues()[:500], "report": report}
            if result.committed:
                path.unlink(missing_ok=True)
                request.session[SESSION_KEY] = {"stored": "", "name": "", "report": report}
                context["done"] = True
    return render(request, "api/import.html", context)


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
def import_report(request: HttpRequest) -> HttpResponseBase:
    """The last run's problems as CSV (opens in Excel: UTF-8 with BOM)."""
    state = request.session.get(SESSION_KEY) or {}
    name = state.get("report") or ""
    path = _dir() / name
    if not name or not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename="导入问题报告.csv",
        content_type="text/csv; charset=utf-8",
    )
