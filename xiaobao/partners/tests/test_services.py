"""The rules of the partner list, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xiaobao.audit.models import RecordEvent
from xiaobao.complaints import services as complaint_services
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.partners import selectors, services
from xiaobao.partners.choices import AgreementStatus, Clause, ExitStep, PartnerStatus
from xiaobao.partners.models import Exit, Partner, PartnerComplaint
from xiaobao.partners.tests.conftest import ALL_CLAUSES, ALL_MET, credit_code, pdf, period

pytestmark = pytest.mark.django_db


def _data(org, **fields):
    return services.PartnerData(
        **(
            {
                "name": "某催收公司",
                "credit_code": credit_code(),
                "type": "collection",
                "unit": org.hq,
            }
            | fields
        )
    )


def test_credit_code_must_be_valid_and_unique_across_the_institution(people, org):
    bad = "91350100M000100Y44"
    with pytest.raises(DomainError) as exc:
        services.partner_create(actor=people.hq_officer, data=_data(org, credit_code=bad))
    assert exc.value.field == "credit_code" and "校验位" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.partner_create(
            actor=people.hq_officer, data=_data(org, credit_code="91350100M000100YI3")
        )
    assert "不允许的字符" in exc.value.message
    code = "91350100M000100Y43"
    services.partner_create(actor=people.hq_officer, data=_data(org, credit_code=code))
    # The same code under another name, with spaces and lower case, is the same partner.
    with pytest.raises(DomainError) as exc:
        services.partner_create(
            actor=people.officer_a,
            data=_data(
                org,
                name="某催收公司杭州分公司",
                unit=org.branch_a,
                credit_code=" 91350100m000100y43",
            ),
        )
    assert exc.value.code == "duplicate" and exc.value.field == "credit_code"
    assert Partner.objects.count() == 1


def test_allowed_units_lie_in_the_owning_units_subtree(people, org):
    with pytest.raises(DomainError) as exc:
        services.partner_create(
            actor=people.officer_a,
            data=_data(org, unit=org.branch_a, allowed_units=[org.branch_b]),
        )
    assert exc.value.field == "allowed_units"
    with pytest.raises(PermissionDeniedError):
        services.partner_create(actor=people.officer_a, data=_data(org, unit=org.branch_b))


def test_admission_needs_every_criterion_and_no_expired_licence(people, make_partner):
    partner = make_partner()
    partial = ALL_MET | {"complaints": False}
    with pytest.raises(DomainError) as exc:
        services.admission_decide(
            actor=people.hq_officer,
            partner=partner,
            criteria=partial,
            cp_opinion="投诉机制不健全",
            decision="approved",
        )
    assert exc.value.field == "criteria" and "投诉处理机制" in exc.value.message
    services.licence_add(
        actor=people.hq_officer,
        partner=partner,
        name="融资担保业务经营许可证",
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(DomainError) as exc:
        services.admission_decide(
            actor=people.hq_officer,
            partner=partner,
            criteria=ALL_MET,
            cp_opinion="通过",
            decision="approved",
        )
    assert exc.value.code == "licence_expired"
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PROPOSED and not partner.admissions.exists()
    rejected = services.admission_decide(
        actor=people.hq_officer,
        partner=partner,
        criteria=partial,
        cp_opinion="投诉机制不健全",
        decision="rejected",
        reason="投诉处理机制不健全",
    )
    assert rejected.decision == "rejected"
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PROPOSED


def test_status_moves_only_through_the_table_and_each_move_writes_an_event(people, partner):
    with pytest.raises(InvalidTransitionError):
        services.partner_transition(
            actor=people.hq_officer, partner=partner, to="exited", reason="直接退出"
        )
    services.partner_transition(
        actor=people.hq_officer, partner=partner, to="watch", reason="投诉多"
    )
    services.partner_transition(
        actor=people.hq_officer, partner=partner, to="suspended", reason="整改不到位"
    )
    services.partner_transition(
        actor=people.hq_officer, partner=partner, to="listed", reason="整改完成"
    )
    moves = [
        (e.from_status, e.to_status)
        for e in RecordEvent.objects.filter(object_id=partner.pk, content_type__model="partner")
        if e.to_status
    ]
    assert moves == [
        ("", "proposed"),
        ("proposed", "listed"),
        ("listed", "watch"),
        ("watch", "suspended"),
        ("suspended", "listed"),
    ]
    with pytest.raises(PermissionDeniedError):
        services.partner_transition(actor=people.officer_a, partner=partner, to="watch", reason="x")


def test_agreement_lacking_clauses_is_refused_unless_an_approver_says_why(people, partner):
    from datetime import date

    agreement = services.agreement_create(
        actor=people.hq_officer,
        partner=partner,
        data=services.AgreementData(
            number="HZ-2026-001",
            title="助贷合作协议",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 12, 31),
            clauses=[c for c in ALL_CLAUSES if c != Clause.NO_VIOLENT_COLLECTION],
            data_scope="姓名、手机号",
        ),
    )
    with pytest.raises(DomainError) as exc:
        services.agreement_sign(actor=people.hq_officer, agreement=agreement)
    assert exc.value.field == "clauses" and "不得暴力催收" in exc.value.message
    signed = services.agreement_sign(
        actor=people.hq_officer, agreement=agreement, exception_reason="存量协议续签，补充协议另签"
    )
    assert signed.status == AgreementStatus.EFFECTIVE
    lacking = selectors.agreements_lacking(Partner.objects.all(), timezone.localdate())
    assert list(lacking) == [signed]


def test_evaluation_counts_the_complaints_linked_in_the_registry(people, org, partner, make_case):
    first, last = period()
    inside = make_case(days=10)
    upheld = make_case(days=20)
    complaint_services.complaint_accept(actor=people.handler_a, complaint=upheld)
    complaint_services.complaint_decide(
        actor=people.handler_a,
        complaint=upheld,
        verified_facts="经核实收费未告知。",
        outcome="upheld",
        basis="合作协议",
        reasons="未告知",
        routes=["review"],
    )
    old = make_case(days=200)
    unrelated = make_case(days=5)
    for case in (inside, upheld, old):
        services.complaint_link(
            actor=people.handler_a, partner=partner, complaint=case, role="seller"
        )
    evaluation = services.evaluation_create(
        actor=people.hq_officer,
        partner=partner,
        data=services.EvaluationData(period_start=first, period_end=last, customers_served=20000),
    )
    assert (evaluation.complaints, evaluation.complaints_upheld) == (2, 1)
    shown = [link.complaint for link in selectors.linked_complaints(partner, first, last)]
    assert set(shown) == {inside, upheld} and unrelated not in shown
    # A complaint linked after the evaluation opened counts when it is concluded.
    services.complaint_link(
        actor=people.handler_a, partner=partner, complaint=unrelated, role="servicer"
    )
    evaluation = services.evaluation_conclude(
        actor=people.hq_officer, evaluation=evaluation, result="rectify", note="投诉偏多，限期整改"
    )
    assert evaluation.complaints == 3
    assert str(selectors.evaluation_rate(evaluation)) == "1.50"
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.WATCH


def test_linking_out_of_scope_is_refused_and_outside_allowance_is_flagged(
    people, org, partner, make_case
):
    case_b = make_case(unit=org.sub_b, actor=people.handler_b)
    with pytest.raises(PermissionDeniedError):
        services.complaint_link(
            actor=people.handler_a, partner=partner, complaint=case_b, role="seller"
        )
    link = services.complaint_link(
        actor=people.handler_b, partner=partner, complaint=case_b, role="seller"
    )
    assert link.outside_allowance  # the partner is allowed to branch A only
    with pytest.raises(DomainError):
        services.complaint_link(
            actor=people.handler_b, partner=partner, complaint=case_b, role="seller"
        )


def test_a_merged_case_hands_its_partner_link_to_the_surviving_case(people, partner, make_case):
    survivor = make_case(days=3)
    repeat = make_case(days=2)
    complaint_services.complaint_accept(actor=people.handler_a, complaint=survivor)
    services.complaint_link(
        actor=people.handler_a, partner=partner, complaint=repeat, role="seller"
    )
    complaint_services.complaint_merge(
        actor=people.handler_a, complaint=repeat, into=survivor, note="重复投诉"
    )
    first, last = period()
    linked = [link.complaint_id for link in selectors.linked_complaints(partner, first, last)]
    assert linked == [survivor.pk]
    assert PartnerComplaint.objects.filter(partner=partner).count() == 2


def test_an_exit_cannot_complete_with_an_unconfirmed_step(people, partner):
    exit = services.exit_start(
        actor=people.hq_officer,
        partner=partner,
        reason="合作到期不再续约",
        planned_on=timezone.localdate() + timedelta(days=30),
    )
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.SUSPENDED
    with pytest.raises(InvalidTransitionError):
        services.partner_transition(
            actor=people.hq_officer, partner=partner, to="listed", reason="恢复"
        )
    with pytest.raises(DomainError) as exc:
        services.exit_confirm(
            actor=people.hq_officer, exit=exit, step=ExitStep.CUSTOMERS, note="已过渡", evidence=[]
        )
    assert exc.value.field == "evidence"
    for step in (ExitStep.CUSTOMERS, ExitStep.DATA):
        services.exit_confirm(
            actor=people.hq_officer, exit=exit, step=step, note="已完成", evidence=[pdf()]
        )
    with pytest.raises(InvalidTransitionError) as exc:
        services.exit_complete(actor=people.hq_officer, exit=exit)
    assert "系统权限已撤销" in exc.value.message
    exit.refresh_from_db()
    partner.refresh_from_db()
    assert exit.status == "in_progress" and partner.status == PartnerStatus.SUSPENDED
    services.exit_confirm(
        actor=people.hq_officer,
        exit=exit,
        step=ExitStep.ACCESS,
        note="账号已注销",
        evidence=[pdf()],
    )
    services.exit_complete(actor=people.hq_officer, exit=exit)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.EXITED and partner.exited_on == timezone.localdate()
    assert Exit.objects.get(pk=exit.pk).status == "completed"


def test_evaluation_result_exit_starts_an_exit(people, partner):
    first, last = period()
    evaluation = services.evaluation_create(
        actor=people.hq_officer,
        partner=partner,
        data=services.EvaluationData(period_start=first, period_end=last, contract_breaches=2),
    )
    services.evaluation_conclude(
        actor=people.hq_officer, evaluation=evaluation, result="exit", note="多次违约"
    )
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.SUSPENDED
    assert selectors.open_exit(partner) is not None


def test_branch_staff_see_partners_allowed_above_or_to_them_only(
    people, org, partner, make_partner
):
    other = make_partner(status="listed", name="另一家", allowed_units=[org.branch_b])
    assert set(selectors.partners_for(people.outlet_handler_a)) == {partner}
    assert set(selectors.partners_for(people.handler_b)) == {other}
    assert set(selectors.partners_for(people.hq_officer)) == {partner, other}
    assert selectors.allowed_for(partner, org.outlet_a)
    assert not selectors.allowed_for(partner, org.outlet_b)


def test_licence_reminder_is_sent_once(people, partner):
    services.licence_add(
        actor=people.hq_officer,
        partner=partner,
        name="营业执照",
        expires_on=timezone.localdate() + timedelta(days=20),
    )
    now = timezone.now()
    assert services.licences_remind(now=now) >= 1
    assert services.licences_remind(now=now) == 0


def test_update_keeps_the_code_unique_and_an_exited_partner_is_frozen(people, org, make_partner):
    first = make_partner(status="listed", name="甲公司")
    second = make_partner(status="listed", name="乙公司")
    data = services.PartnerData(
        name="乙公司（更名）",
        credit_code=first.credit_code,
        type="it",
        unit=org.hq,
        allowed_units=[org.branch_a, org.branch_b],
    )
    with pytest.raises(DomainError) as exc:
        services.partner_update(actor=people.hq_officer, partner=second, data=data)
    assert exc.value.code == "duplicate"
    data.credit_code = second.credit_code
    updated = services.partner_update(actor=people.hq_officer, partner=second, data=data)
    assert updated.name == "乙公司（更名）"
    assert set(updated.allowed_units.all()) == {org.branch_a, org.branch_b}
    exit = services.exit_start(
        actor=people.hq_officer, partner=first, reason="到期", planned_on=timezone.localdate()
    )
    for step in ExitStep.values:
        services.exit_confirm(
            actor=people.hq_officer, exit=exit, step=step, note="完成", evidence=[pdf()]
        )
    services.exit_complete(actor=people.hq_officer, exit=exit)
    with pytest.raises(InvalidTransitionError):
        services.partner_update(
            actor=people.hq_officer,
            partner=first,
            data=services.PartnerData(
                name="甲", credit_code=first.credit_code, type="it", unit=org.hq
            ),
        )
    with pytest.raises(InvalidTransitionError):
        services.evaluation_create(
            actor=people.hq_officer,
            partner=first,
            data=services.EvaluationData(*period()),
        )


def test_partners_not_evaluated_within_a_year_are_reminded_once_a_month(people, partner):
    from xiaobao.watch.models import Notification

    now = timezone.now()
    assert services.evaluations_remind(now=now) == 0  # admitted today: not yet due
    Partner.objects.filter(pk=partner.pk).update(
        admitted_on=timezone.localdate() - timedelta(days=400)
    )
    later = now + timedelta(days=300)
    assert services.evaluations_remind(now=later) >= 1
    assert Notification.objects.filter(title__contains=partner.name).exists()
    assert services.evaluations_remind(now=later) == 0  # once a month
    first, last = period()
    evaluation = services.evaluation_create(
        actor=people.hq_officer,
        partner=partner,
        data=services.EvaluationData(period_start=first, period_end=last),
    )
    services.evaluation_conclude(actor=people.hq_officer, evaluation=evaluation, result="continue")
    assert services.evaluations_remind(now=later + timedelta(days=31)) == 0
