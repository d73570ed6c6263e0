"""The one table of allowed status changes for plans and tasks, checked in one place."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from xiaobao.lib.errors import InvalidTransitionError, lazy_text
from xiaobao.plans.choices import PlanStatus as P
from xiaobao.plans.choices import TaskStatus as T

# action -> (statuses it may start from, status it leads to)
PLAN_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((P.DRAFT, P.RETURNED), P.SUBMITTED),
    "approve": ((P.SUBMITTED,), P.APPROVED),
    "return": ((P.SUBMITTED,), P.RETURNED),
    "start": ((P.APPROVED,), P.IN_PROGRESS),
    "close": ((P.APPROVED, P.IN_PROGRESS), P.CLOSED),
}

TASK_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "progress": ((T.OPEN, T.IN_PROGRESS, T.RETURNED), T.IN_PROGRESS),
    "submit": ((T.OPEN, T.IN_PROGRESS, T.RETURNED), T.SUBMITTED),
    "accept": ((T.SUBMITTED,), T.DONE),
    "return": ((T.SUBMITTED,), T.RETURNED),
    "cancel": ((T.OPEN, T.IN_PROGRESS, T.SUBMITTED, T.RETURNED), T.CANCELLED),
}

PLAN_ACTION_LABELS = {
    "create": gettext_noop("起草计划"),
    "submit": gettext_noop("提交审批"),
    "approve": gettext_noop("批准"),
    "return": gettext_noop("退回修改"),
    "start": gettext_noop("开始执行"),
    "close": gettext_noop("年末结束"),
    "copy": gettext_noop("沿用上年计划"),
    "measure_add": gettext_noop("新增措施"),
    "measure_update": gettext_noop("修改措施"),
    "cascade": gettext_noop("分解到分支机构"),
}

TASK_ACTION_LABELS = {
    "create": gettext_noop("下达任务"),
    "progress": gettext_noop("报送进展"),
    "submit": gettext_noop("提交验收"),
    "accept": gettext_noop("验收通过"),
    "return": gettext_noop("退回重办"),
    "cancel": gettext_noop("撤销"),
    "year_end": gettext_noop("年末评定"),
    "carry_over": gettext_noop("结转下年"),
    "update": gettext_noop("调整任务"),
    "milestone_add": gettext_noop("新增节点"),
    "milestone_remove": gettext_noop("删除节点"),
}


def _target(table: dict[str, tuple[tuple[str, ...], str]], action: str, current: str) -> str:
    sources, target = table[action]
    if current not in sources:
        raise InvalidTransitionError(
            "当前状态不能执行“%(action)s”。",
            params={
                "action": lazy_text((PLAN_ACTION_LABELS | TASK_ACTION_LABELS).get(action, action))
            },
            code="invalid_transition",
        )
    return target


def plan_target(action: str, current: str) -> str:
    """The plan status `action` leads to from `current`; raises when not allowed."""
    return _target(PLAN_TRANSITIONS, action, current)


def task_target(action: str, current: str) -> str:
    """The task status `action` leads to from `current`; raises when not allowed."""
    return _target(TASK_TRANSITIONS, action, current)


def plan_actions(current: str) -> list[str]:
    return [a for a, (sources, _) in PLAN_TRANSITIONS.items() if current in sources]


def task_actions(current: str) -> list[str]:
    return [a for a, (sources, _) in TASK_TRANSITIONS.items() if current in sources]
