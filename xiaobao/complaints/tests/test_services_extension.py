from __future__ import annotations

from datetime import date

import pytest

from xiaobao.complaints import services
from xiaobao.complaints.models import Extension
from xiaobao.lib.errors import DomainError, PermissionDeniedError

from .conftest import at

pytestmark = pytest.mark.django_db


def _request(complaint, actor, days=30, reason="需调取外部数据，案情复杂"):
    return services.extension_request(
        actor=actor, complaint=complaint, target_days=days, reason=reason
    )


def test_unit_head_extends_to_30_days(accepted, people, more_people, frozen):
    frozen(at(2026, 1, 10, 9))
    extension = _request(accepted, people.handler_a)
    services.extension_approve(actor=more_people.head_sub_a, extension=extension, note="同意")
    accepted.refresh_from_db()
    assert accepted.allowed_days == 30
    assert accepted.due_date == date(2026, 2, 4)  # 5 Jan + 30 days
    extension.refresh_from_db()
    assert extension.status == "approved" and extension.decided_by == more_people.head_sub_a
    event = accepted.events.get(action="extension_decide")
    assert (
        event.data["before"]["due_date"] == "2026-01-20"
        and event.data["after"]["due_date"] == "2026-02-04"
    )


def test_extension_needs_a_reason_and_a_valid_target(accepted, people, frozen):
    frozen(at(2026, 1, 10, 9))
    with pytest.raises(DomainError, match="理由"):
        _request(accepted, people.handler_a, reason=" ")
    with pytest.raises(DomainError, match="30日、60日"):
        _request(accepted, people.handler_a, days=45)
    assert not Extension.objects.exists()


def test_only_one_pending_request(accepted, people, frozen):
    frozen(at(2026, 1, 10, 9))
    _request(accepted, people.handler_a)
    with pytest.raises(DomainError, match="待审批"):
        _request(accepted, people.handler_a, days=60)


def test_no_extension_after_the_deadline_has_passed(accepted, people, frozen):
    frozen(at(2026, 1, 21, 0, 1))
    with pytest.raises(DomainError, match="已届满"):
        _request(accepted, people.handler_a)


def test_handlers_cannot_approve_and_nobody_approves_their_own_request(
    accepted, people, more_people, frozen
):
    frozen(at(2026, 1, 10, 9))
    extension = _request(accepted, people.handler_a)
    with pytest.raises(PermissionDeniedError):
        services.extension_approve(actor=people.handler_a, extension=extension)
    with pytest.raises(PermissionDeniedError):
        services.extension_approve(actor=more_people.head_b, extension=extension)
    own = _request_by_head(accepted, more_people.head_sub_a, extension)
    with pytest.raises(PermissionDeniedError, match="自己"):
        services.extension_approve(actor=more_people.head_sub_a, extension=own)


def _request_by_head(complaint, head, pending):
    services.extension_reject(actor=head, extension=pending, note="先补充材料")
    return services.extension_request(
        actor=head, complaint=complaint, target_days=30, reason="复杂"
    )


def test_sixty_days_needs_the_upper_level_and_telling_the_complainant(
    accepted, people, more_people, frozen
):
    frozen(at(2026, 1, 10, 9))
    extension = _request(accepted, people.handler_a, days=60, reason="涉及多方核查，特别复杂")
    # The sub-branch's own head may approve 30 days, not 60.
    with pytest.raises(PermissionDeniedError, match="上级机构"):
        services.extension_approve(
            actor=more_people.head_sub_a,
            extension=extension,
            told_by="letter",
            told_at=at(2026, 1, 10, 8),
        )
    with pytest.raises(DomainError, match="告知投诉人"):
        services.extension_approve(actor=people.head_a, extension=extension)
    services.extension_approve(
        actor=people.head_a, extension=extension, told_by="letter", told_at=at(2026, 1, 10, 8)
    )
    accepted.refresh_from_db()
    assert accepted.allowed_days == 60 and accepted.due_date == date(2026, 3, 6)
    extension.refresh_from_db()
    assert extension.complainant_told_by == "letter"


def test_head_office_senior_manager_may_approve_sixty_days(
    register, people, more_people, frozen, org
):
    frozen(at(2026, 1, 10, 9))
    complaint = register(unit=org.branch_a, actor=people.officer_a)
    services.complaint_accept(actor=people.officer_a, complaint=complaint)
    extension = _request(complaint, people.officer_a, days=60)
    # head_a heads the branch itself: for a branch's own case the upper level is head office.
    with pytest.raises(PermissionDeniedError):
        services.extension_approve(
            actor=people.head_a, extension=extension, told_by="sms", told_at=at(2026, 1, 10, 8)
        )
    services.extension_approve(
        actor=more_people.head_hq, extension=extension, told_by="sms", told_at=at(2026, 1, 10, 8)
    )
    complaint.refresh_from_db()
    assert complaint.allowed_days == 60


def test_reject_keeps_the_deadline_and_needs_a_reason(accepted, people, more_people, frozen):
    frozen(at(2026, 1, 10, 9))
    extension = _request(accepted, people.handler_a)
    with pytest.raises(DomainError, match="理由"):
        services.extension_reject(actor=more_people.head_sub_a, extension=extension, note="")
    services.extension_reject(
        actor=more_people.head_sub_a, extension=extension, note="材料已齐全，应按期办结"
    )
    accepted.refresh_from_db()
    assert accepted.allowed_days == 15 and accepted.due_date == date(2026, 1, 20)
    with pytest.raises(DomainError, match="已审批"):
        services.extension_approve(actor=more_people.head_sub_a, extension=extension)


def test_extension_keeps_paused_days(accepted, people, more_people, frozen):
    frozen(at(2026, 1, 7, 9))
    services.complaint_pause(
        actor=people.handler_a, complaint=accepted, reason="valuation", told_by="sms"
    )
    frozen(at(2026, 1, 10, 9))
    services.complaint_resume(actor=people.handler_a, complaint=accepted)
    extension = _request(accepted, people.handler_a)
    services.extension_approve(actor=more_people.head_sub_a, extension=extension)
    accepted.refresh_from_db()
    assert accepted.due_date == date(2026, 2, 7)  # 30 days + 3 paused days


def test_reviews_cannot_be_extended(notified, people, frozen):
    frozen(at(2026, 1, 20, 9))
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 1, 20, 8),
        narrative="对答复不服",
    )
    services.complaint_accept(actor=people.officer_a, complaint=review)
    with pytest.raises(DomainError, match="不允许延期"):
        _request(review, people.officer_a)
