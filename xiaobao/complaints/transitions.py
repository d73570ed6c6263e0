"""The one table of allowed lifecycle transitions; services consult it and nothing else."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from xiaobao.complaints.choices import Status
from xiaobao.lib.errors import InvalidTransitionError, lazy_text

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
            "投诉当前状态为“%(status)s”，不能执行“%(action)s”。",
            params={"status": label, "action": lazy_text(ACTION_LABELS.get(action, action))},
            code="invalid_transition",
        )
    return Status(status) if target is None else target


# Chinese labels (the API, webhooks and events carry them as they are); pages show `action_label`.
ACTION_LABELS: dict[str, str] = {
    "register": gettext_noop("登记"),
    "accept": gettext_noop("受理"),
    "assign": gettext_noop("分派"),
    "transfer": gettext_noop("移交其他机构"),
    "unit_moved": gettext_noop("责任机构调整隶属关系"),
    "classify": gettext_noop("分类"),
    "pause": gettext_noop("中止计时"),
    "resume": gettext_noop("恢复计时"),
    "add_new_facts": gettext_noop("补充新材料"),
    "extension_request": gettext_noop("申请延期"),
    "extension_decide": gettext_noop("审批延期"),
    "extension_approve": gettext_noop("批准延期"),
    "extension_reject": gettext_noop("驳回延期"),
    "decide": gettext_noop("作出处理决定"),
    "notify": gettext_noop("告知处理决定"),
    "close": gettext_noop("办结"),
    "withdraw": gettext_noop("撤诉"),
    "decline": gettext_noop("不予受理"),
    "merge": gettext_noop("合并"),
    "merge_target": gettext_noop("并入投诉"),
    "flag_major": gettext_noop("认定重大投诉"),
    "escalate": gettext_noop("上报"),
    "review_request": gettext_noop("申请核查"),
    "review_registered": gettext_noop("登记核查"),
    "follow_up": gettext_noop("回访"),
    "rectification_done": gettext_noop("完成整改"),
    "attachment_add": gettext_noop("上传附件"),
    "legal_hold": gettext_noop("设置诉讼保全"),
    "legal_hold_release": gettext_noop("解除诉讼保全"),
    "anonymise": gettext_noop("匿名化"),
    "letter_generated": gettext_noop("生成答复函"),
    "deadline_warning": gettext_noop("期限提醒"),
}


def action_label(action: str) -> str:
    """The action's label in the interface language."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action
