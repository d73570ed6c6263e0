"""Writes to the organisation: units, departments, staff, roles and the responsible-person register."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from xiaobao.audit.services import audit_record
from xiaobao.lib import memo
from xiaobao.lib.errors import DomainError
from xiaobao.organisation import hooks
from xiaobao.organisation.models import Department, ResponsiblePerson, Unit, User, path_segment
from xiaobao.organisation.roles import group_name


@transaction.atomic
def unit_create(
    *,
    actor: Any | None,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    short_name: str = "",
    address: str = "",
    customer_count: int | None = None,
) -> Unit:
    code = code.strip()
    if not code:
        raise DomainError("机构代码不能为空。", field="code")
    if Unit.objects.filter(code=code).exists():
        raise DomainError("机构代码“%(code)s”已存在。", params={"code": code}, field="code")
    if parent is None and Unit.objects.filter(parent__isnull=True).exists():
        raise DomainError("总行已存在：新机构必须指定上级机构。", field="parent")
    unit = Unit.objects.create(
        code=code,
        name=name.strip(),
        short_name=short_name,
        kind=kind,
        parent=parent,
        address=address,
        customer_count=customer_count,
    )
    unit.path = (parent.path if parent else "") + path_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    audit_record(actor=actor, action="unit.create", obj=unit, unit=unit, summary=unit.name)
    return unit


@transaction.atomic
def unit_move(*, actor: Any | None, unit: Unit, new_parent: Unit) -> Unit:
    """Re-parent a unit and its whole subtree with two UPDATEs, refusing cycles."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        raise DomainError("不能把机构移到它自己或它的下级机构之下（会形成循环）。", field="parent")
    if unit.parent_id is None:
        raise DomainError("总行不能被移动。", field="parent")
    old_path, old_parent_id = unit.path, unit.parent_id
    new_path = new_parent.path + path_segment(unit.pk)
    depth_delta = new_parent.depth + 1 - unit.depth
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    memo.bump(memo.UNITS)  # the updates send no save signal
    unit.refresh_from_db()
    old_parent = Unit.objects.filter(pk=old_parent_id).first()
    for listener in hooks.move_listeners:
        listener(actor=actor, unit=unit, from_parent=old_parent, to_parent=new_parent)
    audit_record(
        actor=actor,
        action="unit.move",
        obj=unit,
        unit=unit,
        summary=unit.name,
        data={"from_parent": old_parent_id, "to_parent": new_parent.pk},
    )
    return unit


UNIT_EDITABLE_FIELDS = ("name", "short_name", "kind", "address", "customer_count", "is_active")


@transaction.atomic
def unit_update(*, actor: Any | None, unit: Unit, **changes: Any) -> Unit:
    unknown = set(changes) - set(UNIT_EDITABLE_FIELDS) - {"parent", "code"}
    if unknown:
        raise DomainError(f"unknown unit fields: {sorted(unknown)}")
    new_parent = changes.pop("parent", unit.parent)
    if "code" in changes and changes["code"] != unit.code:
        code = changes["code"].strip()
        if Unit.objects.filter(code=code).exclude(pk=unit.pk).exists():
            raise DomainError("机构代码“%(code)s”已存在。", params={"code": code}, field="code")
        changes["code"] = code
    before = {field: getattr(unit, field) for field in changes}
    for field, value in changes.items():
        setattr(unit, field, value)
    if changes:
        unit.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="unit.update",
            obj=unit,
            unit=unit,
            summary=unit.name,
            data={k: [str(before[k]), str(v)] for k, v in changes.items()},
        )
    if new_parent is not None and new_parent.pk != unit.parent_id:
        unit = unit_move(actor=actor, unit=unit, new_parent=new_parent)
    return unit


@transaction.atomic
def department_create(
    *, actor: Any | None, unit: Unit, code: str, name: str, function: str
) -> Department:
    if Department.objects.filter(unit=unit, code=code).exists():
        raise DomainError("该机构下已有相同代码的部门。", field="code")
    dept = Department.objects.create(unit=unit, code=code, name=name, function=function)
    audit_record(actor=actor, action="department.create", obj=dept, unit=unit, summary=str(dept))
    return dept


@transaction.atomic
def user_create(
    *,
    actor: Any | None,
    username: str,
    password: str | None,
    unit: Unit | None,
    roles: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    department: Department | None = None,
    email: str = "",
    title: str = "",
    is_staff: bool = True,
    is_superuser: bool = False,
) -> User:
    if unit is None:
        raise DomainError("员工必须属于一个机构。", field="unit")
    if department is not None and department.unit_id != unit.pk:
        raise DomainError("所选部门不属于该员工的机构。", field="department")
    if User.objects.filter(username=username).exists():
        raise DomainError("用户名“%(name)s”已被使用。", params={"name": username}, field="username")
    user = User(
        username=username,
        unit=unit,
        department=department,
        display_name=display_name,
        email=email,
        title=title,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError("；".join(exc.messages), field="password") from exc
        user.set_password(password)
    user.save()
    if roles:
        user.groups.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        unit=unit,
        summary=username,
        data={"roles": sorted(roles)},
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: Any | None, user: User, roles: list[str]) -> User:
    before = sorted(g.name for g in user.groups.all())
    user.groups.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
    audit_record(
        actor=actor,
        action="user.set_roles",
        obj=user,
        unit=user.unit,
        summary=user.username,
        data={"before": before, "after": sorted(group_name(r) for r in roles)},
    )
    return user


@transaction.atomic
def responsible_person_register(
    *,
    actor: Any | None,
    unit: Unit,
    duty: str,
    name: str,
    start_date: date,
    user: User | None = None,
    position: str = "",
    phone: str = "",
) -> ResponsiblePerson:
    """Register who now holds a duty; the previous holder's term ends the day before."""
    if user is not None and not user.unit.path.startswith(unit.path):
        raise DomainError("负责人必须是本机构或下级机构的员工。", field="user")
    current = (
        ResponsiblePerson.objects.select_for_update()
        .filter(unit=unit, duty=duty, end_date__isnull=True)
        .order_by("-start_date")
    )
    for previous in current:
        if previous.start_date >= start_date:
            raise DomainError("新任职起始日必须晚于现任负责人的起始日。", field="start_date")
        previous.end_date = start_date.fromordinal(start_date.toordinal() - 1)
        previous.save(update_fields=["end_date"])
    person = ResponsiblePerson.objects.create(
        unit=unit,
        duty=duty,
        user=user,
        name=name,
        position=position,
        phone=phone,
        start_date=start_date,
    )
    audit_record(
        actor=actor,
        action="responsible_person.register",
        obj=person,
        unit=unit,
        summary=str(person),
        data={"duty": duty, "start_date": start_date.isoformat()},
    )
    return person
