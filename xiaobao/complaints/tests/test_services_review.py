from __future__ import annotations

from datetime import date

import pytest

from xiaobao.complaints import services
from xiaobao.complaints.choices import Kind, Status
from xiaobao.lib.errors import DomainError, InvalidTransitionError

from .conftest import at

pytestmark = pytest.mark.django_db


def test_review_is_its_own_case_at_the_upper_level_due_30_days_after_the_request(
    notified, people, org, frozen
):
    frozen(at(2026, 2, 1, 10))
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 2, 1, 9),
        narrative="对年费处理结果不服，书面申请核查",
    )
    assert review.kind == Kind.REVIEW and review.review_of == notified
    assert review.registry_no.startswith("HC2026-")
    assert review.unit == org.branch_a  # the upper-level institution of the sub-branch
    assert review.due_date == date(2026, 3, 3)  # 1 Feb + 30 days
    assert review.status == Status.REGISTERED
    assert [c.name for c in review.complainants.all()] == ["张伟"]
    assert notified.events.filter(action="review_request").exists()
    assert review.events.get(action="review_registered").data["review_of"] == notified.registry_no


def test_review_must_be_asked_within_30_days_of_the_notice(notified, people, frozen):
    # Notice given 12 Jan 14:30: the window's last day is 11 Feb.
    frozen(at(2026, 2, 12, 0, 5))
    with pytest.raises(DomainError, match="30日内") as excinfo:
        services.review_request(
            actor=people.officer_a,
            complaint=notified,
            requested_at=at(2026, 2, 12, 0, 1),
            narrative="x",
        )
    assert "2026年02月11日" in excinfo.value.message
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 2, 11, 23, 59),
        narrative="x",
    )
    assert review.pk


def test_only_one_review_and_never_a_review_of_a_review(notified, people, frozen):
    frozen(at(2026, 1, 20, 10))
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 1, 20, 9),
        narrative="不服",
    )
    with pytest.raises(DomainError, match="已申请过核查"):
        services.review_request(
            actor=people.officer_a,
            complaint=notified,
            requested_at=at(2026, 1, 20, 9),
            narrative="再次",
        )
    with pytest.raises(InvalidTransitionError):
        services.review_request(
            actor=people.hq_officer,
            complaint=review,
            requested_at=at(2026, 1, 20, 9),
            narrative="x",
        )


def test_no_review_before_the_decision_was_notified(decided, people, frozen):
    frozen(at(2026, 1, 12, 10))
    with pytest.raises(InvalidTransitionError):
        services.review_request(
            actor=people.officer_a,
            complaint=decided,
            requested_at=at(2026, 1, 12, 9),
            narrative="x",
        )


def test_review_decision_cannot_offer_another_review(notified, people, frozen):
    frozen(at(2026, 1, 20, 10))
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 1, 20, 9),
        narrative="不服",
    )
    services.complaint_accept(actor=people.officer_a, complaint=review)
    with pytest.raises(DomainError, match="不能再告知申请核查"):
        services.complaint_decide(
            actor=people.officer_a,
            complaint=review,
            verified_facts="f",
            outcome="not_upheld",
            basis="b",
            reasons="r",
            routes=["review"],
        )
    services.complaint_decide(
        actor=people.officer_a,
        complaint=review,
        verified_facts="f",
        outcome="not_upheld",
        basis="b",
        reasons="r",
        routes=["litigation", "arbitration"],
    )


def test_branch_b_cannot_file_a_review_for_branch_a(notified, people, frozen):
    from xiaobao.lib.errors import PermissionDeniedError

    frozen(at(2026, 1, 20, 10))
    with pytest.raises(PermissionDeniedError):
        services.review_request(
            actor=people.officer_b,
            complaint=notified,
            requested_at=at(2026, 1, 20, 9),
            narrative="x",
        )
