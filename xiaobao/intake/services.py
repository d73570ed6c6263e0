"""Imports from the web: an upload becomes an `ImportRun`, checked and imported in the background.

The request only stores the upload (under MEDIA_ROOT/imports, with a server-chosen name) and
queues a job; the job worker reads the file, writes its progress beside it (a small file: the
import is one transaction, so a row in the database would not be visible until it commits, and
SQLite would not even take the write), and keeps the result with the run. The upload is deleted
as soon as an import has run, failed or been abandoned; `import_runs_sweep` removes whatever an
interrupted worker or a closed browser tab left behind.

Every change of a run's status is checked against `models.TRANSITIONS`, made with a conditional
UPDATE (two workers never run one import twice) and written to the audit log.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiaobao.audit.services import audit_record
from xiaobao.intake.models import HOLDS_UPLOAD, TRANSITIONS, ImportProfile, ImportRun, RunStatus
from xiaobao.intake.reading import ImportFileError, limit
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.models import User

logger = logging.getLogger(__name__)
ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
JOB = "intake.run"


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(run: ImportRun) -> Path:
    return imports_dir() / run.stored


def _progress_path(run: ImportRun) -> Path:
    return imports_dir() / f"{run.stored}.progress"


def progress_of(run: ImportRun) -> int:
    """Rows read so far by the background run (0 before it starts)."""
    if run.status != RunStatus.RUNNING or not run.stored:
        return run.rows_done
    try:
        return int(json.loads(_progress_path(run).read_text())["rows"])
    except (OSError, ValueError, KeyError):
        return 0


def _write_progress(run: ImportRun, rows: int) -> None:
    path = _progress_path(run)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"rows": rows}))
    os.replace(temporary, path)


def _remove_files(run: ImportRun) -> None:
    if run.stored:
        for path in (upload_path(run), _progress_path(run)):
            path.unlink(missing_ok=True)


@transaction.atomic
def _move(run: ImportRun, to: str, *, actor: Any, why: str = "", **fields: Any) -> ImportRun:
    """Change the status if it still is what `run` says (a conditional UPDATE), and audit it."""
    was = run.status
    if to not in TRANSITIONS[was]:
        raise InvalidTransitionError(
            "导入处于“%(was)s”状态，不能改为“%(to)s”。",
            params={"was": RunStatus(was).label, "to": RunStatus(to).label},
        )
    changed = ImportRun.objects.filter(pk=run.pk, status=was).update(
        status=to, updated_at=timezone.now(), **fields
    )
    if changed != 1:
        raise InvalidTransitionError("该导入的状态刚刚已被改变，请刷新页面。")
    run.refresh_from_db()
    audit_record(
        actor=actor,
        action=f"import_{to}",
        obj=run,
        unit=run.unit,
        summary=f"{run.source_name}：{RunStatus(was).label} → {RunStatus(to).label}",
        data={"from": was, "to": to, "why": why, "dry_run": run.dry_run},
    )
    return run


def _check_actor(actor: User, run: ImportRun | None = None) -> None:
    if not actor.has_perm("complaints.add_complaint"):
        raise PermissionDeniedError("您没有批量导入投诉的权限。")
    if run is not None and run.created_by_id != actor.pk:
        raise PermissionDeniedError("只有上传该文件的人可以操作这次导入。")


@transaction.atomic
def import_run_upload(*, actor: User, name: str, chunks: Any, size: int) -> ImportRun:
    """Store an upload under a server-chosen name; the file is checked when the wizard opens it."""
    _check_actor(actor)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise DomainError(
            "只支持 .csv 和 .xlsx 文件（旧版 .xls 请先在 Excel 中另存为 .xlsx）。", field="file"
        )
    if size > limit("MAX_BYTES"):
        raise DomainError(
            "文件超过 %(megabytes)s MB，请拆分为多个文件后导入。",
            params={"megabytes": limit("MAX_BYTES") // 1024 // 1024},
            field="file",
        )
    stored = f"{uuid.uuid4().hex}{suffix}"
    path = imports_dir() / stored
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    run = ImportRun.objects.create(
        unit=actor.unit,
        created_by=actor,
        source_name=Path(name).name[:200],
        stored=stored,
        size=size,
    )
    audit_record(
        actor=actor,
        action="import_uploaded",
        obj=run,
        unit=run.unit,
        summary=f"{run.source_name}：已上传",
        data={"to": RunStatus.UPLOADED, "size": size},
    )
    return run


@transaction.atomic
def import_run_configure(*, actor: User, run: ImportRun, options: dict[str, Any]) -> ImportRun:
    """Remember the wizard's choices (sheet, header row, mapping …) before a run or a reload."""
    _check_actor(actor, run)
    if run.status not in (RunStatus.UPLOADED, RunStatus.CHECKED):
        raise InvalidTransitionError("导入正在进行或已结束，不能再修改设置。")
    run.options = {**run.options, **options}
    run.save(update_fields=["options", "updated_at"])
    return run


@transaction.atomic
def import_run_start(
    *, actor: User, run: ImportRun, options: dict[str, Any], dry_run: bool
) -> ImportRun:
    """Queue a check (`dry_run`) or the import itself; the job worker runs it."""
    from xiaobao.jobs.services import enqueue

    _check_actor(actor, run)
    run.options = {**run.options, **options}
    run.save(update_fields=["options", "updated_at"])
    run = _move(
        run,
        RunStatus.QUEUED,
        actor=actor,
        why="校验" if dry_run else "导入",
        dry_run=dry_run,
        error="",
    )
    enqueue(JOB, {"run": run.pk}, max_attempts=1)
    return run


@transaction.atomic
def import_run_abandon(*, actor: User, run: ImportRun, why: str = "用户放弃") -> ImportRun:
    _check_actor(actor, run)
    run = _move(run, RunStatus.ABANDONED, actor=actor, why=why, finished_at=timezone.now())
    _remove_files(run)
    return run


@transaction.atomic
def import_run_unreadable(*, run: ImportRun, why: str) -> ImportRun:
    """The wizard could not read the upload: the run fails with the reason, the file goes."""
    run = _move(run, RunStatus.FAILED, actor=None, why=why, error=why, finished_at=timezone.now())
    _remove_files(run)
    return run


def import_run_execute(*, run_id: int) -> ImportRun:
    """The job: claim the run, import (or check) the file, keep the result, delete the upload
    once it has been imported. Idempotent: a run that is not queued is left as it is."""
    from xiaobao.intake.importing import import_complaints

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run
    try:
        run = _move(run, RunStatus.RUNNING, actor=None, why="后台任务开始")
    except InvalidTransitionError:
        return ImportRun.objects.get(pk=run_id)  # another worker took it
    options = run.options
    claimed = run

    def finish(result: Any) -> None:
        """Inside the import's transaction: the run is done if and only if its cases commit."""
        _finish(claimed, result)

    try:
        result = import_complaints(
            actor=run.created_by,
            path=upload_path(run),
            mapping=options.get("mapping", {}),
            channel=options.get("channel") or None,
            unit=options.get("unit") or None,
            dry_run=run.dry_run,
            strict=bool(options.get("strict")),
            partial=bool(options.get("partial")),
            sheet=options.get("sheet") or None,
            header_row=options.get("header_row") or None,
            values=options.get("values") or {},
            preview=20,
            source_name=run.source_name,
            progress=lambda rows: _write_progress(run, rows),
            run=run.pk,
            finish=finish,
        )
    except ImportFileError as exc:
        run = _move(
            run, RunStatus.FAILED, actor=None, why=exc.source_message, error=exc.source_message,
            finished_at=timezone.now(),
        )  # fmt: skip
        _remove_files(run)
        return run
    except Exception as exc:  # never leave a run "running" with the upload on disk
        run = ImportRun.objects.get(pk=run.pk)  # as the rolled-back import left it
        message = f"导入时发生意外错误（{type(exc).__name__}），未导入任何数据。请联系系统管理员。"
        run = _move(
            run, RunStatus.FAILED, actor=None, why=repr(exc)[:500], error=message,
            finished_at=timezone.now(),
        )  # fmt: skip
        _remove_files(run)
        logger.exception("import run %s failed", run.pk)
        return run
    run = ImportRun.objects.get(pk=run.pk)
    if not result.committed:  # checked, or nothing imported: no case to keep in step with
        run = _finish(run, result)
    if run.dry_run:
        _progress_path(run).unlink(missing_ok=True)
    else:
        _remove_files(run)
    return run


def _finish(run: ImportRun, result: Any) -> ImportRun:
    return _move(
        run,
        RunStatus.CHECKED if run.dry_run else RunStatus.DONE,
        actor=None,
        why=f"登记 {result.created} 件，错误 {len(result.errors)} 处",
        result=result.to_json(),
        rows_done=result.rows,
        finished_at=None if run.dry_run else timezone.now(),
    )


def import_runs_sweep(*, now: Any = None) -> dict[str, int]:
    """Remove what imports left behind: uploads not touched for KEEP_UPLOAD_HOURS (abandoned),
    runs a dead worker left running (failed), and files in the upload folder that no run holds."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=limit("KEEP_UPLOAD_HOURS"))
    counts = {"abandoned": 0, "failed": 0, "files": 0}
    stale = ImportRun.objects.filter(status__in=HOLDS_UPLOAD, updated_at__lt=cutoff)
    for run in stale:
        with transaction.atomic():
            try:
                if run.status in (RunStatus.UPLOADED, RunStatus.CHECKED):
                    run = _move(
                        run, RunStatus.ABANDONED, actor=None, why="长时间未操作，已自动清理",
                        finished_at=now,
                    )  # fmt: skip
                    counts["abandoned"] += 1
                else:
                    run = _move(
                        run, RunStatus.FAILED, actor=None, why="后台任务中断",
                        error="后台任务中断，未导入任何数据，请重新上传。", finished_at=now,
                    )  # fmt: skip
                    counts["failed"] += 1
            except InvalidTransitionError:
                continue
        _remove_files(run)
    held = set(ImportRun.objects.filter(status__in=HOLDS_UPLOAD).values_list("stored", flat=True))
    for path in imports_dir().iterdir():
        stem = path.name.split(".")[0]
        if not any(h.startswith(stem) for h in held) and path.is_file():
            modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            if modified < now - timedelta(hours=1):  # not an upload being written right now
                path.unlink(missing_ok=True)
                counts["files"] += 1
    return counts


@transaction.atomic
def import_profile_save(*, actor: User, name: str, values: dict[str, Any]) -> ImportProfile:
    """Remember a source's settings under a name, for the actor's unit (replacing an older one)."""
    _check_actor(actor)
    name = name.strip()
    if not name:
        raise DomainError("请填写导入方案的名称。", field="profile_name")
    profile, _created = ImportProfile.objects.update_or_create(
        unit=actor.unit, name=name[:100], defaults={"settings": values, "updated_by": actor}
    )
    audit_record(
        actor=actor,
        action="import_profile_saved",
        obj=profile,
        unit=profile.unit,
        summary=f"导入方案“{profile.name}”已保存",
        data={"settings": values},
    )
    return profile
