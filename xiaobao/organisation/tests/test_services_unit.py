import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from xiaobao.audit.models import AuditEvent
from xiaobao.lib.errors import DomainError
from xiaobao.organisation import services
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit


def test_paths_follow_the_tree(org):
    assert org.hq.depth == 0 and org.outlet_a.depth == 3
    assert org.outlet_a.path.startswith(org.sub_a.path)
    assert org.sub_a.path.startswith(org.branch_a.path)
    assert not org.outlet_b.path.startswith(org.branch_a.path)
    assert org.branch_a.contains(org.outlet_a) and not org.branch_a.contains(org.outlet_b)
    assert [u.code for u in org.outlet_a.ancestors()] == ["HQ", "BR-a", "SUB-a"]


def test_subtree_is_one_query(org):
    with CaptureQueriesContext(connection) as ctx:
        codes = sorted(org.branch_a.subtree().values_list("code", flat=True))
    assert codes == ["BR-a", "OUT-a", "SUB-a"]
    assert len(ctx.captured_queries) == 1


def test_any_depth(org):
    parent = org.outlet_a
    for level in range(6):
        parent = services.unit_create(
            actor=None,
            code=f"DEEP-{level}",
            name=f"柜组{level}",
            kind=UnitKind.OUTLET,
            parent=parent,
        )
    assert parent.depth == 9
    assert org.branch_a.subtree().filter(pk=parent.pk).exists()


def test_duplicate_code_refused(org):
    with pytest.raises(DomainError, match="机构代码“BR-a”已存在"):
        services.unit_create(
            actor=None, code="BR-a", name="重复", kind=UnitKind.BRANCH, parent=org.hq
        )
    assert Unit.objects.filter(code="BR-a").count() == 1


def test_duplicate_code_refused_by_database_too(org):
    with pytest.raises(IntegrityError):
        Unit.objects.create(code="BR-b", name="绕过服务", kind=UnitKind.BRANCH, parent=org.hq)


def test_second_head_office_refused(org):
    with pytest.raises(DomainError, match="总行已存在"):
        services.unit_create(
            actor=None, code="HQ2", name="另一个总行", kind=UnitKind.HEAD_OFFICE, parent=None
        )


def test_move_subtree_updates_every_descendant(org):
    services.unit_move(actor=None, unit=org.sub_a, new_parent=org.branch_b)
    outlet = Unit.objects.get(pk=org.outlet_a.pk)
    branch_b = Unit.objects.get(pk=org.branch_b.pk)
    assert outlet.path.startswith(branch_b.path)
    assert outlet.depth == 3
    assert set(branch_b.subtree().values_list("code", flat=True)) == {
        "BR-b",
        "SUB-b",
        "OUT-b",
        "SUB-a",
        "OUT-a",
    }
    assert AuditEvent.objects.filter(action="unit.move", object_id=str(org.sub_a.pk)).count() == 1


@pytest.mark.parametrize("target", ["branch_a", "sub_a", "outlet_a"])
def test_move_into_own_subtree_is_a_cycle(org, target):
    before = dict(Unit.objects.values_list("code", "path"))
    with pytest.raises(DomainError, match="循环"):
        services.unit_move(actor=None, unit=org.branch_a, new_parent=getattr(org, target))
    assert dict(Unit.objects.values_list("code", "path")) == before


def test_model_clean_reports_cycle_for_forms(org):
    branch = Unit.objects.get(pk=org.branch_a.pk)
    branch.parent = Unit.objects.get(pk=org.outlet_a.pk)
    with pytest.raises(Exception, match="循环"):
        branch.full_clean()


def test_update_writes_audit_event_with_before_and_after(org):
    services.unit_update(actor=None, unit=org.outlet_a, name="A网点（新址）")
    event = AuditEvent.objects.get(action="unit.update")
    assert event.data == {"name": ["A网点", "A网点（新址）"]}
