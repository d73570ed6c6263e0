"""Every change to a plan or a task goes through one of these functions.

Each service locks the row, checks the transition table and the caller's rights, applies the change
and writes one append-only `RecordEvent`, all inside one transaction: a refused request leaves
nothing behind. Split by stage: `plan` (drafting and approval), `task` (the task engine),
`yearly` (year-end close and next year's copy).
"""

from xiaobao.plans.services.plan import (
    measure_add,
    measure_cascade,
    measure_update,
    plan_approve,
    plan_create,
    plan_return,
    plan_start,
    plan_submit,
)
from xiaobao.plans.services.task import (
    milestone_add,
    milestone_remove,
    task_accept,
    task_cancel,
    task_create,
    task_progress_add,
    task_return,
    task_submit,
    task_update,
)
from xiaobao.plans.services.yearly import YearEndResultData, plan_close, plan_copy_next_year

__all__ = [
    "YearEndResultData",
    "measure_add",
    "measure_cascade",
    "measure_update",
    "milestone_add",
    "milestone_remove",
    "plan_approve",
    "plan_close",
    "plan_copy_next_year",
    "plan_create",
    "plan_return",
    "plan_start",
    "plan_submit",
    "task_accept",
    "task_cancel",
    "task_create",
    "task_progress_add",
    "task_return",
    "task_submit",
    "task_update",
]
