"""One generated case's life from registration up to "now": its state, clock fields, events and
the rows its steps leave behind (pause, extension, decision, notice, rectification, follow-up).

The steps follow the product's transition table and services: a case is accepted before it is
paused or decided, a decision is notified and then closed, a withdrawal or a refusal ends it.
Every step happens at a moment; the story stops at the first step still in the future, so the
status and the clock fields are exactly what the registry would show today. Deadlines come from
the product's own engine (`xiaobao.deadlines.engine.compute_due`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

DAY = timedelta(days=1)
NOTICE_EVIDENCE = {
    "sms": "短信发送记录 SMS{n}",
    "phone": "通话录音编号 LY{n}",
    "letter": "挂号信单号 XA{n}",
    "email": "邮件发送记录 EM{n}",
    "in_person": "客户签收回执 HZ{n}",
}
BASIS = (
    "《银行业保险业消费投诉处理管理办法》及本行相关业务规定",
    "双方签订的业务合同及本行公示的收费标准",
    "本行信用卡章程及领用合约",
    "个人贷款合同约定及中国人民银行征信业务管理办法",
)
ROOT_CAUSE_FAULT = (
    "经办人员未按规定充分告知，业务流程存在缺陷。",
    "系统参数配置错误导致扣费异常。",
    "营销话术不规范，存在误导。",
    "合作机构管理不到位，催收行为不合规。",
)
ROOT_CAUSE_OK = (
    "客户对合同条款理解有误，本行操作符合约定。",
    "业务办理符合规定，已向客户耐心解释。",
    "系客户个人原因导致，本行不存在过错。",
)
RECTIFICATION = (
    "修订告知流程并开展专项培训",
    "排查同类业务并退还多收费用",
    "优化系统参数并建立复核机制",
    "加强合作机构管理，约谈并整改",
)
FUNCTION_FOR_TOPIC = {
    "card": "credit_card",
    "collection": "credit_card",
    "loan": "credit",
    "mortgage": "credit",
    "wealth": "wealth",
    "insurance": "wealth",
    "info": "technology",
}


class Event(NamedTuple):
    action: str
    at: datetime
    from_status: str
    to_status: str
    actor: int | None
    data: dict[str, Any]
    reason: str = ""


@dataclass
class Case:
    """What the generator needs to know about a case to play its life."""

    cid: int
    received: datetime
    channel: str
    level: str  # NORMAL, COMPLEX or MAJOR
    group: int
    title: str
    topic: str
    amount: Decimal | None
    handler: int | None
    officer: int | None


@dataclass
class Life:
    status: str = "registered"
    allowed: int = 15
    events: list[Event] = field(default_factory=list)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    paused_days: int = 0
    decided_at: datetime | None = None
    notified_at: datetime | None = None
    ended_at: datetime | None = None
    timely: bool | None = None
    end_reason: str = ""
    root_cause: str = ""
    at_fault: bool | None = None
    outcome: str = ""
    due: Any = None  # the engine's DueResult as of now

    def add(self, kind: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(kind, []).append(row)


class Simulator:
    """Plays cases forward to `end` with the product's deadline engine."""

    def __init__(
        self,
        *,
        end: datetime,
        policy: dict[str, Any],
        calendar: Any,
        departments: dict[str, int],
        new_id: Callable[[str], int],
        tz: Any,
        stuck: float = 0.0,
    ) -> None:
        from xiaobao.complaints import clock

        self.stuck = stuck
        self.end = end
        self.days = int(policy["days"])
        self.policy = clock.engine_policy(policy)
        self.calendar = calendar
        self.departments = departments
        self.default_department = next(iter(departments.values()), None)
        self.new_id = new_id
        self.tz = tz

    def due(self, case: Case, life: Life) -> Any:
        from xiaobao.deadlines.engine import Pause, compute_due

        return compute_due(
            received_at=case.received,
            policy=self.policy,
            allowed_days=life.allowed,
            pauses=[Pause(start=s, end=e) for s, e in life.pauses],
            calendar=self.calendar,
        )

    def play(self, rng: random.Random, case: Case) -> Life:
        life = Life(allowed=self.days)
        life.due = self.due(case, life)
        data = {
            "channel": case.channel,
            "due_date": str(life.due.due_date),
            "group_size": case.group,
        }
        life.events.append(Event("register", case.received, "", "registered", case.officer, data))
        if case.level == "MAJOR":
            data = {"major_reason": "group"}
            life.events.append(Event("escalate", case.received, "", "", case.officer, data))
        fate = rng.random()
        if fate < 0.015:
            self._decline(rng, case, life)
        elif self._accept(rng, case, life):
            if fate < 0.055:
                self._withdraw(rng, case, life)
            elif self.stuck and rng.random() < self.stuck:
                pass  # a backlog: accepted and never answered (open, most of them overdue)
            else:
                self._handle(rng, case, life)
        life.due = self.due(case, life)
        return life

    # --- the steps: each returns whether the story goes on (False: it is in the future) ---------

    def _decline(self, rng: random.Random, case: Case, life: Life) -> bool:
        t = case.received + rng.uniform(0.05, 2) * DAY
        if t > self.end:
            return False
        life.status, life.ended_at = "declined", t
        life.end_reason = "不属于投诉（咨询、举报或信访）：经核实为业务咨询，已当场解答"
        data = {"ground": "not_a_complaint", "told_by": "phone"}
        life.events.append(
            Event("decline", t, "registered", "declined", case.officer, data, "经核实为业务咨询")
        )
        return False

    def _accept(self, rng: random.Random, case: Case, life: Life) -> bool:
        t = case.received + rng.choice((0.05, 0.2, 0.8, 1.5)) * DAY
        if t > self.end:
            return False
        life.status = "accepted"
        data = {"handler": case.handler}
        life.events.append(Event("accept", t, "registered", "accepted", case.officer, data))
        return True

    def _withdraw(self, rng: random.Random, case: Case, life: Life) -> bool:
        t = life.events[-1].at + rng.uniform(1, 8) * DAY
        if t > self.end:
            return False
        life.status, life.ended_at = "withdrawn", t
        life.end_reason = "客户来电表示问题已解决，申请撤诉"
        data = {"received_at": t.isoformat()}
        life.events.append(
            Event("withdraw", t, "accepted", "withdrawn", case.handler, data, life.end_reason)
        )
        return False

    def _handle(self, rng: random.Random, case: Case, life: Life) -> None:
        # Most answers come well inside 15 days; a few late ones make the timeliness figures.
        work = rng.uniform(2, 12) if rng.random() < 0.93 else rng.uniform(14, 24)
        if rng.random() < 0.04 and not self._pause(rng, case, life):
            return
        work += life.paused_days
        if case.level != "NORMAL" and rng.random() < 0.85:
            target = 60 if rng.random() < 0.05 else 30
            if not self._extend(rng, case, life, target):
                return
            work = rng.uniform(12, target - 2) if rng.random() < 0.95 else target + 3
            work += life.paused_days
        at = case.received + work * DAY
        if self._decide(rng, case, life, at) and self._notify(rng, case, life):
            self._close(rng, case, life)

    def _pause(self, rng: random.Random, case: Case, life: Life) -> bool:
        """Appraisal or mediation stops the clock (Art. 18, 23)."""
        start = life.events[-1].at + rng.uniform(0.5, 4) * DAY
        stop = start + rng.uniform(3, 20) * DAY
        if start > self.end:
            return True  # not paused yet: the case goes on as accepted
        ended = stop if stop <= self.end else None
        reason = rng.choice(("mediation", "appraisal", "valuation"))
        pid = self.new_id("pause")
        life.pauses.append((start, ended))
        life.add(
            "pause",
            {
                "id": pid,
                "complaint_id": case.cid,
                "reason": reason,
                "note": "经客户同意",
                "started_at": start,
                "ended_at": ended,
                "complainant_told_by": "phone",
                "started_by_id": case.handler,
                "ended_by_id": case.handler if ended else None,
            },
        )
        life.status = "paused"
        data = {"pause": pid, "reason": reason, "told_by": "phone"}
        life.events.append(
            Event("pause", start, "accepted", "paused", case.handler, data, "经客户同意")
        )
        if ended is None:
            return False
        life.status = "accepted"
        due = self.due(case, life)
        data = {"pause": pid, "due_date": str(due.due_date), "allowed_days": life.allowed}
        life.events.append(Event("resume", stop, "paused", "accepted", case.handler, data))
        life.paused_days = (stop - start).days
        return True

    def _extend(self, rng: random.Random, case: Case, life: Life, target: int) -> bool:
        """A complex case asks for 30 (rarely 60) days and the branch approves (Art. 18)."""
        asked = max(life.events[-1].at, case.received + rng.uniform(4, 10) * DAY) + 0.1 * DAY
        if asked > self.end:
            return True
        approved_at = asked + rng.uniform(0.2, 1.5) * DAY
        approved = approved_at <= self.end
        eid = self.new_id("extension")
        reason = "需调取交易流水并与合作机构核实，情况复杂"
        told = approved and target > 30
        life.add(
            "extension",
            {
                "id": eid,
                "complaint_id": case.cid,
                "target_days": target,
                "reason": reason,
                "status": "approved" if approved else "pending",
                "requested_by_id": case.handler,
                "requested_at": asked,
                "decided_by_id": case.officer if approved else None,
                "decided_at": approved_at if approved else None,
                "decision_note": "同意延期" if approved else "",
                "complainant_told_by": "phone" if told else "",
                "complainant_told_at": approved_at if told else None,
            },
        )
        data: dict[str, Any] = {"extension": eid, "target_days": target}
        life.events.append(
            Event("extension_request", asked, "accepted", "accepted", case.handler, data, reason)
        )
        if not approved:
            return False
        before = {"due_date": str(self.due(case, life).due_date), "allowed_days": life.allowed}
        life.allowed = target
        after = {"due_date": str(self.due(case, life).due_date), "allowed_days": life.allowed}
        data = {"extension": eid, "approved": True, "before": before, "after": after}
        life.events.append(
            Event(
                "extension_decide",
                approved_at,
                "accepted",
                "accepted",
                case.officer,
                data,
                "同意延期",
            )
        )
        return True

    def _decide(self, rng: random.Random, case: Case, life: Life, at: datetime) -> bool:
        if at > self.end:
            return False
        life.status, life.decided_at = "decided", at
        outcome = rng.choices(("upheld", "partly_upheld", "not_upheld"), (35, 25, 40))[0]
        life.outcome = outcome
        compensation = None
        if outcome != "not_upheld" and case.amount is not None:
            share = Decimal(1 if outcome == "upheld" else rng.choice((0.3, 0.5, 0.7)))
            compensation = (case.amount * share).quantize(Decimal("0.01"))
        routes = ["review", "mediation", "litigation"]
        upheld = outcome != "not_upheld"
        life.add(
            "decision",
            {
                "id": self.new_id("decision"),
                "complaint_id": case.cid,
                "verified_facts": f"经调取业务资料及录音核实，客户反映的“{case.title}”情况"
                + ("属实。" if upheld else "与事实不符。"),
                "outcome": outcome,
                "basis": rng.choice(BASIS),
                "reasons": "经核查，"
                + ("本行存在服务不到位之处。" if upheld else "本行业务办理符合规定。"),
                "text": f"您好！关于您反映的“{case.title}”问题，经核查已作出处理。"
                "如对处理结果有异议，可在收到答复之日起30日内申请核查，或申请调解、依法提起诉讼。",
                "compensation": compensation,
                "routes": routes,
                "decided_by_id": case.handler,
                "decided_at": at,
            },
        )
        data = {"outcome": outcome, "routes": routes, "compensation": str(compensation or "")}
        life.events.append(Event("decide", at, "accepted", "decided", case.handler, data))
        return True

    def _notify(self, rng: random.Random, case: Case, life: Life) -> bool:
        assert life.decided_at is not None
        at = life.decided_at + rng.uniform(0.05, 1.5) * DAY
        if at > self.end:
            return False
        due_at = self.due(case, life).due_at
        life.status, life.notified_at = "notified", at
        life.timely = due_at is not None and at < due_at
        method = rng.choices(("phone", "sms", "letter", "in_person", "email"), (45, 30, 10, 12, 3))[
            0
        ]
        life.add(
            "notice",
            {
                "id": self.new_id("notice"),
                "complaint_id": case.cid,
                "method": method,
                "given_at": at,
                "evidence": NOTICE_EVIDENCE[method].format(n=f"{case.cid:08d}"),
                "given_by_id": case.handler,
                "recorded_at": at,
            },
        )
        data = {"method": method, "given_at": at.isoformat(), "timely": life.timely}
        life.events.append(Event("notify", at, "decided", "notified", case.handler, data))
        return True

    def _close(self, rng: random.Random, case: Case, life: Life) -> None:
        assert life.notified_at is not None
        at = life.notified_at + rng.uniform(0.5, 7) * DAY
        if at > self.end:
            return
        life.status, life.ended_at = "closed", at
        outcome = life.outcome
        life.at_fault = outcome == "upheld" or (outcome == "partly_upheld" and rng.random() < 0.6)
        life.root_cause = rng.choice(ROOT_CAUSE_FAULT if life.at_fault else ROOT_CAUSE_OK)
        tasks = []
        dept = self.departments.get(FUNCTION_FOR_TOPIC.get(case.topic, "retail"))
        dept = dept or self.default_department
        if life.at_fault and dept is not None:
            rid = self.new_id("rectification")
            tasks.append(rid)
            done = at + rng.uniform(5, 40) * DAY
            finished = done <= self.end
            life.add(
                "rectification",
                {
                    "id": rid,
                    "complaint_id": case.cid,
                    "department_id": dept,
                    "description": rng.choice(RECTIFICATION),
                    "due_date": (at + 30 * DAY).astimezone(self.tz).date(),
                    "status": "done" if finished else "open",
                    "result": "已完成整改" if finished else "",
                    "completed_at": done if finished else None,
                    "created_by_id": case.handler,
                    "created_at": at,
                },
            )
        data = {"at_fault": life.at_fault, "rectifications": tasks}
        life.events.append(Event("close", at, "notified", "closed", case.handler, data))
        called = at + rng.uniform(1, 6) * DAY
        if rng.random() < 0.6 and called <= self.end:  # the satisfaction call (回访)
            result = rng.choices(
                ("satisfied", "basically", "unsatisfied", "unreachable"), (55, 25, 12, 8)
            )[0]
            life.add(
                "follow_up",
                {
                    "id": self.new_id("follow_up"),
                    "complaint_id": case.cid,
                    "result": result,
                    "comments": "",
                    "method": "phone",
                    "made_by_id": case.handler,
                    "made_at": called,
                },
            )
            data = {"result": result, "method": "phone"}
            life.events.append(Event("follow_up", called, "closed", "closed", case.handler, data))
