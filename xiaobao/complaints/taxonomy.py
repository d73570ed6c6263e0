"""Services for the editable, versioned taxonomies: codes are retired, never deleted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaobao.audit.services import audit_record
from xiaobao.complaints.models import TaxonomyRevision, TaxonomyTerm
from xiaobao.lib.errors import DomainError

EDITABLE = ("name", "name_en", "parent", "attributes", "sort_order")


def _snapshot(term: TaxonomyTerm) -> dict[str, Any]:
    return {
        "name": term.name,
        "name_en": term.name_en,
        "is_active": term.is_active,
        "parent": term.parent.code if term.parent_id and term.parent else None,
        "attributes": term.attributes,
        "sort_order": term.sort_order,
    }


def _revise(term: TaxonomyTerm, *, actor: Any, note: str) -> None:
    TaxonomyRevision.objects.create(
        term=term,
        version=term.version,
        snapshot=_snapshot(term),
        changed_by=actor if getattr(actor, "pk", None) else None,
        note=note[:200],
    )
    audit_record(
        actor=actor,
        action="taxonomy.change",
        obj=term,
        summary=f"{term.get_axis_display()} {term.code} v{term.version}：{note}",
        data=_snapshot(term),
    )


def _check_parent(term: TaxonomyTerm) -> None:
    parent = term.parent
    if parent is None:
        return
    if parent.axis != term.axis:
        raise DomainError("上级分类须属于同一分类维度。", field="parent")
    if parent.parent_id is not None or (term.pk and parent.pk == term.pk):
        raise DomainError("分类最多两级：上级分类本身不能再有上级。", field="parent")


@transaction.atomic
def taxonomy_term_create(
    *, actor: Any, axis: str, code: str, name: str, note: str = "新增", **fields: Any
) -> TaxonomyTerm:
    code = code.strip().upper()
    if not code or not name.strip():
        raise DomainError("代码和名称均不能为空。", field="code")
    if TaxonomyTerm.objects.filter(axis=axis, code=code).exists():
        raise DomainError(
            "代码“%(code)s”已存在（含已停用的代码），请换一个。",
            params={"code": code},
            code="duplicate",
            field="code",
        )
    term = TaxonomyTerm(axis=axis, code=code, name=name.strip(), **fields)
    _check_parent(term)
    term.save()
    _revise(term, actor=actor, note=note)
    return term


@transaction.atomic
def taxonomy_term_update(
    *, actor: Any, term: TaxonomyTerm, note: str = "修改", **changes: Any
) -> TaxonomyTerm:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(
            "不能修改：%(fields)s（代码一经使用不可更改）。",
            params={"fields": ", ".join(sorted(unknown))},
        )
    term = TaxonomyTerm.objects.select_for_update().get(pk=term.pk)
    for key, value in changes.items():
        setattr(term, key, value)
    _check_parent(term)
    term.version += 1
    term.save()
    _revise(term, actor=actor, note=note)
    return term


@transaction.atomic
def taxonomy_term_retire(*, actor: Any, term: TaxonomyTerm, note: str = "停用") -> TaxonomyTerm:
    """Stop offering a code for new cases; cases already classified with it keep it."""
    term = TaxonomyTerm.objects.select_for_update().get(pk=term.pk)
    if not term.is_active:
        raise DomainError("该代码已停用。", code="already_retired")
    term.is_active = False
    term.retired_at = timezone.now()
    term.version += 1
    term.save()
    _revise(term, actor=actor, note=note)
    return term


@transaction.atomic
def taxonomy_term_restore(
    *, actor: Any, term: TaxonomyTerm, note: str = "恢复启用"
) -> TaxonomyTerm:
    term = TaxonomyTerm.objects.select_for_update().get(pk=term.pk)
    if term.is_active:
        raise DomainError("该代码在用，无需恢复。", code="already_active")
    term.is_active = True
    term.retired_at = None
    term.version += 1
    term.save()
    _revise(term, actor=actor, note=note)
    return term
