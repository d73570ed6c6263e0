from __future__ import annotations

from datetime import date, timedelta

import pytest

from xiaobao.complaints import services
from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint, ComplaintEvent, Decision, Pause
from xiaobao.complaints.transitions import TRANSITIONS
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.models import Department

from .conftest import at, person

pytestmark = pytest.mark.django_db


def _decide(complaint, actor, **overrides):
    kwargs = {
        "actor": actor,
        "complaint": complaint,
        "verified_facts": "经调阅业务凭证核实。",
        "outcome": "not_upheld",
        "basis": "合同约定",
        "reasons": "收费符合约定并已事先告知。",
        "routes": ["review", "mediation"],
    }
    kwargs.update(overrides)
    return services.complaint_decide(**kwargs)


def test_accept_names_one_handler_and_records_the_event(register, people, frozen, org):
    frozen(at(2026, 1, 5, 11))
    complaint = register(unit=org.outlet_a)
    complaint = services.complaint_accept(
        actor=people.officer_a, complaint=complaint, handler=people.outlet_handler_a
    )
    assert complaint.status == Status.ACCEPTED and complaint.handler == people.outlet_handler_a
    event = complaint.events.get(action="accept")
    assert (event.from_status, event.to_status, event.actor) == (
        "registered",
        "accepted",
        people.officer_a,
    )


def test_assign_respects_recusal_and_scope(register, people, frozen, org):
    frozen(at(2026, 1, 5, 11))
    complaint = register(unit=org.outlet_a, complained_staff=people.outlet_handler_a)
    with pytest.raises(DomainError, match="回避"):
        services.complaint_accept(
            actor=people.officer_a, complaint=complaint, handler=people.outlet_handler_a
        )
    with pytest.raises(DomainError, match="不能担任处理人"):
        services.complaint_assign(
            actor=people.officer_a, complaint=complaint, handler=people.handler_b
        )
    with pytest.raises(PermissionDeniedError):
        # A handler has no right to reassign cases.
        services.complaint_assign(
            actor=people.handler_a, complaint=complaint, handler=people.handler_a
        )
    complaint.refresh_from_db()
    assert complaint.handler is None and complaint.status == Status.REGISTERED
    assert list(complaint.events.values_list("action", flat=True)) == ["register"]


def test_other_branch_cannot_touch_the_case(accepted, people):
    for actor in (people.handler_b, people.officer_b):
        with pytest.raises(PermissionDeniedError):
            services.complaint_pause(
                actor=actor, complaint=accepted, reason="mediation", told_by="phone"
            )
    with pytest.raises(PermissionDeniedError):
        services.complaint_withdraw(
            actor=people.auditor, complaint=accepted, received_at=at(2026, 1, 5, 11)
        )


def test_pause_stops_the_clock_and_resume_adds_the_paused_days(accepted, people, frozen):
    frozen(at(2026, 1, 7, 10))
    services.complaint_pause(
        actor=people.handler_a,
        complaint=accepted,
        reason="appraisal",
        told_by="sms",
        note="送司法鉴定",
    )
    accepted.refresh_from_db()
    assert accepted.status == Status.PAUSED
    assert accepted.due_at is None  # no deadline while paused: nothing to remind about
    frozen(at(2026, 1, 11, 16))
    services.complaint_resume(actor=people.handler_a, complaint=accepted)
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED
    # Paused from the 7th to the 11th: four days are not counted, 20 Jan becomes 24 Jan.
    assert accepted.due_date == date(2026, 1, 24)
    assert [e.action for e in accepted.events.all()] == ["register", "accept", "pause", "resume"]


@pytest.mark.parametrize("reason", ["", "holiday", "investigation"])
def test_pause_only_for_appraisal_testing_valuation_or_mediation(accepted, people, reason):
    with pytest.raises(DomainError, match="鉴定、检测、评估或调解"):
        services.complaint_pause(
            actor=people.handler_a, complaint=accepted, reason=reason, told_by="sms"
        )
    assert not Pause.objects.exists()


def test_pause_requires_telling_the_complainant(accepted, people):
    with pytest.raises(DomainError, match="告知投诉人"):
        services.complaint_pause(
            actor=people.handler_a, complaint=accepted, reason="testing", told_by=""
        )


def test_pause_after_the_deadline_is_refused(accepted, people, frozen):
    frozen(at(2026, 1, 21, 9))
    with pytest.raises(DomainError, match="期限已届满"):
        services.complaint_pause(
            actor=people.handler_a, complaint=accepted, reason="mediation", told_by="sms"
        )


def test_new_facts_restart_the_clock_from_their_arrival(accepted, people, frozen):
    frozen(at(2026, 1, 13, 10))
    services.complaint_add_new_facts(
        actor=people.handler_a,
        complaint=accepted,
        received_at=at(2026, 1, 12, 15),
        description="客户补交银行流水",
    )
    accepted.refresh_from_db()
    assert accepted.due_date == date(2026, 1, 27)
    event = accepted.events.get(action="add_new_facts")
    assert event.data["before"]["due_date"] == "2026-01-20"
    assert event.data["after"]["due_date"] == "2026-01-27"
    with pytest.raises(DomainError, match="不能早于"):
        services.complaint_add_new_facts(
            actor=people.handler_a,
            complaint=accepted,
            received_at=at(2026, 1, 10, 9),
            description="更早的材料",
        )


def test_decide_needs_classification_and_the_routes_still_open(register, people, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register(cause=None)
    services.complaint_accept(actor=people.handler_a, complaint=complaint)
    with pytest.raises(DomainError, match="完成分类：投诉原因"):
        _decide(complaint, people.handler_a)
    services.complaint_classify(actor=people.handler_a, complaint=complaint, cause="PRICING")
    with pytest.raises(DomainError, match="救济途径"):
        _decide(complaint, people.handler_a, routes=[])
    with pytest.raises(DomainError, match="处理依据"):
        _decide(complaint, people.handler_a, basis=" ")
    assert not Decision.objects.exists()
    decision = _decide(complaint, people.handler_a)
    complaint.refresh_from_db()
    assert complaint.status == Status.DECIDED and decision.routes == ["review", "mediation"]
    classify = complaint.events.get(action="classify")
    assert classify.data["before"]["cause"] is None and classify.data["after"]["cause"] == "PRICING"


def test_notice_in_time_is_timely(notified):
    assert notified.status == Status.NOTIFIED
    assert notified.timely is True
    assert notified.notice.method == "phone"


def test_notice_after_the_deadline_is_late(decided, people, frozen):
    frozen(at(2026, 1, 21, 9))
    services.complaint_notify(
        actor=people.handler_a,
        complaint=decided,
        method="letter",
        given_at=at(2026, 1, 21, 8),
        evidence="挂号信 XA123",
    )
    decided.refresh_from_db()
    assert decided.timely is False


def test_notice_on_the_last_day_before_midnight_is_timely(decided, people, frozen):
    frozen(at(2026, 1, 21, 9))
    services.complaint_notify(
        actor=people.handler_a,
        complaint=decided,
        method="sms",
        given_at=at(2026, 1, 20, 23, 59),
        evidence="短信平台流水 88",
    )
    decided.refresh_from_db()
    assert decided.timely is True


def test_notice_needs_evidence_and_cannot_be_in_the_future(decided, people, frozen):
    frozen(at(2026, 1, 12, 15))
    with pytest.raises(DomainError, match="告知凭证"):
        services.complaint_notify(
            actor=people.handler_a,
            complaint=decided,
            method="sms",
            given_at=at(2026, 1, 12, 14),
            evidence="",
        )
    with pytest.raises(DomainError, match="不能晚于当前时间"):
        services.complaint_notify(
            actor=people.handler_a,
            complaint=decided,
            method="sms",
            given_at=at(2026, 1, 13, 9),
            evidence="x",
        )


def test_close_requires_a_cause_analysis_and_rectification_when_at_fault(
    notified, people, org, frozen
):
    frozen(at(2026, 1, 14, 10))
    with pytest.raises(DomainError, match="原因分析"):
        services.complaint_close(
            actor=people.handler_a, complaint=notified, root_cause="", at_fault=False
        )
    with pytest.raises(DomainError, match="整改任务"):
        services.complaint_close(
            actor=people.handler_a, complaint=notified, root_cause="年费告知流程缺失", at_fault=True
        )
    department = Department.objects.create(
        unit=org.hq, code="XYK", name="信用卡部", function="credit_card"
    )
    services.complaint_close(
        actor=people.handler_a,
        complaint=notified,
        root_cause="办卡环节年费告知流程缺失",
        at_fault=True,
        rectifications=[
            services.RectificationData(department, "在申请表增加年费确认栏", date(2026, 3, 31))
        ],
    )
    notified.refresh_from_db()
    assert notified.status == Status.CLOSED and notified.ended_at is not None
    from xiaobao.plans.selectors import tasks_for_source

    task = tasks_for_source(notified).get()
    assert (task.owner_department, task.owner_unit, task.status) == (department, org.hq, "open")
    assert (task.source_kind, task.issuing_unit) == ("complaint_rectification", notified.unit)


def test_withdrawal_ends_the_case_on_the_day_it_arrives(accepted, people, frozen):
    frozen(at(2026, 1, 9, 10))
    services.complaint_withdraw(
        actor=people.handler_a,
        complaint=accepted,
        received_at=at(2026, 1, 8, 16),
        note="客户来电撤诉",
    )
    accepted.refresh_from_db()
    assert accepted.status == Status.WITHDRAWN
    assert accepted.ended_at == at(2026, 1, 8, 16)


def test_withdrawal_while_paused_closes_the_pause(accepted, people, frozen):
    frozen(at(2026, 1, 7, 10))
    services.complaint_pause(
        actor=people.handler_a, complaint=accepted, reason="mediation", told_by="phone"
    )
    frozen(at(2026, 1, 9, 10))
    services.complaint_withdraw(
        actor=people.handler_a, complaint=accepted, received_at=at(2026, 1, 9, 9)
    )
    assert accepted.pauses.get().ended_at == at(2026, 1, 9, 9)


def test_decline_for_lack_of_standing_only_when_nobody_has_standing(register, people, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register()
    with pytest.raises(DomainError, match="不能以主体不适格"):
        services.complaint_decline(
            actor=people.handler_a,
            complaint=complaint,
            ground="no_standing",
            reason="x",
            told_by="letter",
        )
    stranger = register(complainants=[person(role="other", name="李四")])
    with pytest.raises(DomainError, match="告知投诉人"):
        services.complaint_decline(
            actor=people.handler_a,
            complaint=stranger,
            ground="no_standing",
            reason="非本人",
            told_by="",
        )
    services.complaint_decline(
        actor=people.handler_a,
        complaint=stranger,
        ground="no_standing",
        reason="非本人且无授权委托书",
        told_by="letter",
    )
    stranger.refresh_from_db()
    assert stranger.status == Status.DECLINED
    assert stranger.end_reason.startswith("投诉人非消费者本人")


def test_merge_a_repeat_filing_and_restart_on_new_facts(register, people, frozen):
    frozen(at(2026, 1, 9, 11))
    first = register()
    repeat = register(
        received_at=at(2026, 1, 9, 10),
        intake_channel="R12345",
        external_ref="12345-0091",
        referrer_received_on=date(2026, 1, 8),
    )
    services.complaint_merge(
        actor=people.handler_a,
        complaint=repeat,
        into=first,
        new_facts=True,
        note="同一事项12345转办",
    )
    repeat.refresh_from_db()
    first.refresh_from_db()
    assert repeat.status == Status.MERGED and repeat.merged_into == first
    assert first.due_date == date(2026, 1, 24)  # restarted from the 9th
    with pytest.raises(DomainError, match="合并到它自己"):
        services.complaint_merge(actor=people.handler_a, complaint=first, into=first)


def test_manual_major_flag_escalates(accepted, people):
    with pytest.raises(PermissionDeniedError):
        services.complaint_flag_major(
            actor=people.handler_a, complaint=accepted, reason="accident", note="x"
        )
    services.complaint_flag_major(
        actor=people.officer_a, complaint=accepted, reason="public_health", note="疫情期间集中投诉"
    )
    accepted.refresh_from_db()
    assert accepted.is_major and accepted.level.code == "MAJOR"
    assert accepted.events.filter(action="escalate").count() == 1
    with pytest.raises(DomainError, match="已认定"):
        services.complaint_flag_major(
            actor=people.officer_a, complaint=accepted, reason="accident", note="again"
        )


def test_follow_up_after_closing(notified, people, frozen):
    frozen(at(2026, 1, 14, 10))
    with pytest.raises(InvalidTransitionError):
        services.follow_up_record(
            actor=people.handler_a, complaint=notified, result="satisfied", method="phone"
        )
    services.complaint_close(
        actor=people.handler_a, complaint=notified, root_cause="告知不到位", at_fault=False
    )
    follow = services.follow_up_record(
        actor=people.handler_a,
        complaint=notified,
        result="satisfied",
        method="phone",
        comments="满意",
    )
    assert follow.result == "satisfied"
    assert notified.events.filter(action="follow_up").exists()


# --- the transition table, exhaustively ------------------------------------------------------------

ACTIONS = {
    "accept": lambda c, p: services.complaint_accept(actor=p.handler_a, complaint=c),
    "pause": lambda c, p: services.complaint_pause(
        actor=p.handler_a, complaint=c, reason="mediation", told_by="sms"
    ),
    "resume": lambda c, p: services.complaint_resume(actor=p.handler_a, complaint=c),
    "decide": lambda c, p: _decide(c, p.handler_a),
    "notify": lambda c, p: services.complaint_notify(
        actor=p.handler_a, complaint=c, method="sms", given_at=at(2026, 1, 6, 9), evidence="e"
    ),
    "close": lambda c, p: services.complaint_close(
        actor=p.handler_a, complaint=c, root_cause="r", at_fault=False
    ),
    "withdraw": lambda c, p: services.complaint_withdraw(
        actor=p.handler_a, complaint=c, received_at=at(2026, 1, 6, 9)
    ),
    "decline": lambda c, p: services.complaint_decline(
        actor=p.handler_a, complaint=c, ground="not_a_complaint", reason="咨询", told_by="phone"
    ),
    "follow_up": lambda c, p: services.follow_up_record(
        actor=p.handler_a, complaint=c, result="satisfied", method="phone"
    ),
}


@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_from_every_state_follows_the_table(register, people, frozen, status, action):
    frozen(at(2026, 1, 6, 10))
    complaint = register()
    if status == Status.PAUSED:
        Pause.objects.create(
            complaint=complaint,
            reason="mediation",
            started_at=at(2026, 1, 6, 9),
            complainant_told_by="sms",
        )
    if status in (Status.DECIDED, Status.NOTIFIED, Status.CLOSED):
        Decision.objects.create(
            complaint=complaint,
            verified_facts="f",
            outcome="upheld",
            basis="b",
            reasons="r",
            routes=["review"],
            decided_by=people.handler_a,
            decided_at=at(2026, 1, 6, 8),
        )
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, handler=people.handler_a, decided_at=at(2026, 1, 6, 8)
    )
    complaint.refresh_from_db()
    events_before = ComplaintEvent.objects.count()
    sources, target = TRANSITIONS[action]
    if status in sources:
        ACTIONS[action](complaint, people)
        complaint.refresh_from_db()
        assert complaint.status == (target or status)
        assert ComplaintEvent.objects.count() > events_before
    else:
        with pytest.raises(InvalidTransitionError) as excinfo:
            ACTIONS[action](complaint, people)
        assert "不能执行" in excinfo.value.message
        complaint.refresh_from_db()
        assert complaint.status == status
        assert ComplaintEvent.objects.count() == events_before


def test_events_are_append_only(accepted):
    from xiaobao.audit.models import AppendOnlyError

    event = accepted.events.first()
    event.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        accepted.events.all().delete()
    with pytest.raises(AppendOnlyError):
        ComplaintEvent.objects.filter(pk=event.pk).update(reason="x")


def test_every_state_change_writes_exactly_one_event_with_from_and_to(notified):
    changes = (
        notified.events.exclude(from_status="")
        .exclude(to_status="")
        .filter(to_status__in=[s.value for s in Status])
    )
    pairs = [(e.from_status, e.to_status) for e in changes if e.from_status != e.to_status]
    assert pairs == [("registered", "accepted"), ("accepted", "decided"), ("decided", "notified")]
    assert timedelta(0) <= notified.notified_at - notified.decided_at
