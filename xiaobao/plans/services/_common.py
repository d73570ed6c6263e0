"""Helpers shared by the plan and task services: rights, required input, events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from xiaobao.audit.services import record_event
from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.errors import DomainError, PermissionDeniedError, lazy_text
from xiaobao.organisation.scope import unit_in_scope
from xiaobao.plans.models import Plan, Task
from xiaobao.plans.transitions import PLAN_ACTION_LABELS, TASK_ACTION_LABELS


def now() -> datetime:
    return clock_now()


def today() -> date:
    return now().astimezone(TZ).date()


def active(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")


def require(actor: Any, perm: str, unit: Any, what: str = "该记录") -> None:
    """`actor` holds `plans.<perm>` and `unit` lies in their scope."""
    active(actor)
    if not actor.has_perm(f"plans.{perm}"):
        raise PermissionDeniedError("您没有执行此操作的权限。", code="permission_denied")
    if not unit_in_scope(actor, unit):
        raise PermissionDeniedError(
            "%(what)s不在您的机构管辖范围内。",
            params={"what": lazy_text(what)},
            code="out_of_scope",
        )


def need(value: Any, message: str, field: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, code="required", field=field)
    return value.strip() if isinstance(value, str) else value


def plan_event(
    plan: Plan,
    action: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    record_event(
        plan,
        action=action,
        action_label=PLAN_ACTION_LABELS.get(action, action),
        actor=actor,
        unit=plan.unit,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )


def task_event(
    task: Task,
    action: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    record_event(
        task,
        action=action,
        action_label=TASK_ACTION_LABELS.get(action, action),
        actor=actor,
        unit=task.owner_unit,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )
