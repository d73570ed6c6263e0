"""The staff import wizard: upload, choose sheet/header/columns/words/mode, check, import, report.

Thin edges over `services` (runs) and `importing` (the work, done by the job worker). Mounted by
the complaints URLconf at /complaints/import/.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiaobao.intake import services
from xiaobao.intake.fields import FIELDS, VALUE_MAPPED
from xiaobao.intake.forms import SettingsForm, UploadForm
from xiaobao.intake.importing import MappingError
from xiaobao.intake.models import ImportProfile, ImportRun, RunStatus
from xiaobao.intake.reading import ImportFileError, Table
from xiaobao.intake.results import ImportResult
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.scope import get_visible_or_404, visible_to

TEMPLATE = "intake/import.html"
RESULT_ISSUES = 500  # shown on the page; the report has all of them


def _guard() -> Any:
    def wrap(view: Any) -> Any:
        return login_required(
            permission_required("complaints.add_complaint", raise_exception=True)(view)
        )

    return wrap


@_guard()
def import_page(request: HttpRequest) -> HttpResponse:
    """Step 1: upload (and the user's recent imports)."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.import_run_upload(
                actor=request.user,  # type: ignore[arg-type]
                name=upload.name,
                chunks=upload.chunks(),
                size=upload.size,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("complaints:import_run", pk=run.pk)
    recent = visible_to(request.user, ImportRun.objects.filter(created_by=request.user.pk))[:10]
    return render(request, TEMPLATE, {"upload_form": form, "recent": recent})


def _words(run: ImportRun, initial: dict[str, Any]) -> list[tuple[str, str]]:
    """Words of the institution to offer for mapping: last check's unknown ones, then saved ones."""
    found: dict[tuple[str, str], None] = {}
    unknown = (run.result or {}).get("unknown") or {}
    saved = initial.get("values") or {}
    for name in VALUE_MAPPED:
        for word in [*unknown.get(name, []), *saved.get(name, {})]:
            found[(name, word)] = None
    return list(found)


def _profile_for(request: HttpRequest, table: Table) -> ImportProfile | None:
    """The saved profile whose columns this file has (the newest such), to fill in the form."""
    profiles = visible_to(request.user, ImportProfile.objects.order_by("-updated_at"))
    headers = set(table.headers)
    for profile in profiles[:50]:
        columns = set((profile.settings.get("mapping") or {}).values())
        if columns and columns <= headers:
            return profile
    return None


@_guard()
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(request.user, ImportRun.objects.select_related("unit"), pk=pk)
    user: Any = request.user
    context: dict[str, Any] = {"run": run}
    if run.result:
        result = ImportResult.from_json(run.result)
        context |= {"result": result, "issues": result.issues()[:RESULT_ISSUES]}
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return render(request, TEMPLATE, {**context, "progress": services.progress_of(run)})
    if run.status not in (RunStatus.UPLOADED, RunStatus.CHECKED):
        return render(request, TEMPLATE, context)
    if request.method == "POST" and request.POST.get("step") == "abandon":
        services.import_run_abandon(actor=user, run=run)
        return redirect("complaints:import")

    options = run.options
    try:
        table = Table(
            services.upload_path(run), options.get("sheet") or None, options.get("header_row")
        )
    except ImportFileError as exc:
        run = services.import_run_unreadable(run=run, why=str(exc))
        return render(request, TEMPLATE, {**context, "run": run})

    profile: ImportProfile | None = None
    if request.method == "POST" and request.POST.get("step") == "profile":
        profile = get_visible_or_404(
            user, ImportProfile.objects.all(), pk=request.POST.get("profile") or 0
        )
        services.import_run_configure(
            actor=user, run=run, options={**profile.settings, "profile_name": profile.name}
        )
        return redirect("complaints:import_run", pk=run.pk)
    if not options.get("mapping"):
        profile = _profile_for(request, table)
    initial = options if options.get("mapping") else (profile.settings if profile else {})
    if profile is not None and not options.get("mapping"):
        initial = {**initial, "profile_name": profile.name}
    form = SettingsForm(
        request.POST or None,
        table=table,
        user=user,
        initial_settings=initial,
        words=_words(run, initial),
    )
    step = request.POST.get("step", "")
    if request.method == "POST" and form.is_valid():
        chosen = form.settings()
        if step == "reload" or (
            chosen["header_row"] != table.header_row
            or (chosen["sheet"] or table.sheet) != (options.get("sheet") or table.sheet)
        ):
            # Another sheet or header row: other columns, so the mapping starts again.
            services.import_run_configure(
                actor=user,
                run=run,
                options={
                    "sheet": chosen["sheet"],
                    "header_row": chosen["header_row"],
                    "mapping": {},
                },
            )
            return redirect("complaints:import_run", pk=run.pk)
        if step in ("preview", "import"):
            try:
                if form.cleaned_data["profile_name"]:
                    services.import_profile_save(
                        actor=user, name=form.cleaned_data["profile_name"], values=chosen
                    )
                _check_mapping(table, chosen, user)
                services.import_run_start(
                    actor=user, run=run, options=chosen, dry_run=step == "preview"
                )
            except MappingError as exc:
                form.add_error(None, _wizard_message(exc))
            except (ImportFileError, DomainError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                return redirect("complaints:import_run", pk=run.pk)
    profiles = visible_to(user, ImportProfile.objects.all())
    return render(
        request,
        TEMPLATE,
        {**context, "form": form, "table": table, "profiles": profiles, "profile": profile},
    )


def _check_mapping(table: Table, chosen: dict[str, Any], user: Any) -> None:
    """The mapping problems that stop a run before its first row, found while the user waits."""
    from xiaobao.intake.importing import Importer

    Importer(
        actor=user,
        table=table,
        mapping=chosen["mapping"],
        channel=chosen["channel"] or None,
        unit=chosen["unit"] or None,
        source_name="",
        values=chosen["values"],
    )


def _wizard_message(exc: MappingError) -> str:
    """The wizard's words for a missing field: its own controls, not the command's flags."""
    hints = []
    for name in exc.missing:
        label = FIELDS[name].label.split("（")[0]
        if name == "unit":
            hints.append(_("在“%(label)s”一栏选择列，或选择缺省责任机构") % {"label": label})
        elif name == "channel":
            hints.append(_("在“%(label)s”一栏选择列，或选择缺省投诉渠道") % {"label": label})
        else:
            hints.append(_("在“%(label)s”一栏选择文件中的列") % {"label": label})
    return f"{exc} " + _("请%(hints)s。") % {"hints": "；".join(hints)}


@_guard()
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's problems as CSV (opens in Excel: UTF-8 with BOM)."""
    run = get_visible_or_404(request.user, ImportRun.objects.all(), pk=pk)
    if not run.result:
        raise Http404
    result = ImportResult.from_json(run.result)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%97%AE%E9%A2%98%E6%8A%A5%E5%91%8A.csv"
    )
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    csv.writer(response).writerows(result.report_rows())
    return response
