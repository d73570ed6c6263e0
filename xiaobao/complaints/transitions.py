"""The one table of allowed lifecycle transitions; services consult it and nothing else."""

from __future__ import annotations

from xiaobao.complaints.choices import Status
from xiaobao.lib.errors import InvalidTransitionError

S = Status
_LIVE = frozenset({S.REGISTERED, S.ACCEPTED, S.PAUSED})

# action -> (states it may start from, state it leads to; None keeps the current state)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status | None]] = {
    "accept": (frozenset({S.REGISTERED}), S.ACCEPTED),
    "assign": (_LIVE | {S.DECIDED}, None),
    # A case moves to another unit while it still owes the consumer an answer; the clock runs on.
    "transfer": (_LIVE | {S.DECIDED}, None),
    "classify": (_LIVE | {S.DECIDED, S.NOTIFIED}, None),
    "pause": (frozenset({S.ACCEPTED}), S.PAUSED),
    "resume": (frozenset({S.PAUSED}), S.ACCEPTED),
    "add_new_facts": (_LIVE, None),
    "extension_request": (frozenset({S.ACCEPTED, S.PAUSED}), None),
    "extension_decide": (frozenset({S.ACCEPTED, S.PAUSED}), None),
    "decide": (frozenset({S.ACCEPTED}), S.DECIDED),
    "notify": (frozenset({S.DECIDED}), S.NOTIFIED),
    "close": (frozenset({S.NOTIFIED}), S.CLOSED),
    "withdraw": (_LIVE | {S.DECIDED}, S.WITHDRAWN),
    "decline": (frozenset({S.REGISTERED}), S.DECLINED),
    "merge": (_LIVE, S.MERGED),
    "merge_target": (_LIVE, None),
    "flag_major": (_LIVE | {S.DECIDED, S.NOTIFIED}, None),
    "review_request": (frozenset({S.NOTIFIED, S.CLOSED}), None),
    "follow_up": (frozenset({S.CLOSED}), None),
    # A legal hold may be set or lifted whatever the state (it suspends retention, not handling).
    "legal_hold": (frozenset(S), None),
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def target_status(action: str, status: str) -> Status:
    """The state `action` leads to from `status`, or InvalidTransitionError."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        label = Status(status).label
        raise InvalidTransitionError(
            f"投诉当前状态为“{label}”，不能执行“{ACTION_LABELS.get(action, action)}”。",
            code="invalid_transition",
        )
    return Status(status) if target is None else target


ACTION_LABELS: dict[str, str] = {
    "register": "登记",
    "accept": "受理",
    "assign": "分派",
    "transfer": "移交其他机构",
    "unit_moved": "责任机构调整隶属关系",
    "classify": "分类",
    "pause": "中止计时",
    "resume": "恢复计时",
    "add_new_facts": "补充新材料",
    "extension_request": "申请延期",
    "extension_decide": "审批延期",
    "extension_approve": "批准延期",
    "extension_reject": "驳回延期",
    "decide": "作出处理决定",
    "notify": "告知处理决定",
    "close": "办结",
    "withdraw": "撤诉",
    "decline": "不予受理",
    "merge": "合并",
    "merge_target": "并入投诉",
    "flag_major": "认定重大投诉",
    "escalate": "上报",
    "review_request": "申请核查",
    "review_registered": "登记核查",
    "follow_up": "回访",
    "rectification_done": "完成整改",
    "attachment_add": "上传附件",
    "legal_hold": "设置诉讼保全",
    "legal_hold_release": "解除诉讼保全",
    "anonymise": "匿名化",
    "letter_generated": "生成答复函",
    "deadline_warning": "期限提醒",
}
