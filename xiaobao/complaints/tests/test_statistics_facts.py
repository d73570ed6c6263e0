"""The facts kept on the case row for the statistics: set by the services, backfilled by 0005."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint

from .conftest import at

pytestmark = pytest.mark.django_db

FACTS = ("extension_approved", "review_requested", "review_outcome", "follow_up_result")


def _facts(complaint: Complaint) -> dict[str, object]:
    complaint.refresh_from_db()
    return {name: getattr(complaint, name) for name in FACTS}


def test_new_case_has_none_of_the_facts(accepted):
    assert _facts(accepted) == {
        "extension_approved": False,
        "review_requested": False,
        "review_outcome": "",
        "follow_up_result": "",
    }


def test_an_approved_extension_is_marked_and_a_rejected_one_is_not(
    accepted, people, more_people, frozen
):
    frozen(at(2026, 1, 10, 9))
    request = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需调取外部数据"
    )
    services.extension_reject(actor=more_people.head_sub_a, extension=request, note="材料已齐")
    assert _facts(accepted)["extension_approved"] is False
    request = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需调取外部数据"
    )
    services.extension_approve(actor=more_people.head_sub_a, extension=request, note="同意")
    assert _facts(accepted)["extension_approved"] is True


def _review_decided(notified, people, outcome: str) -> Complaint:
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 1, 20, 9),
        narrative="不服，书面申请核查",
    )
    services.complaint_accept(actor=people.officer_a, complaint=review)
    services.complaint_decide(
        actor=people.officer_a,
        complaint=review,
        verified_facts="f",
        outcome=outcome,
        basis="b",
        reasons="r",
        routes=["litigation"],
    )
    return review


def test_a_review_marks_the_reviewed_case_and_its_decision_gives_the_outcome(
    notified, people, frozen
):
    frozen(at(2026, 1, 20, 10))
    review = services.review_request(
        actor=people.officer_a,
        complaint=notified,
        requested_at=at(2026, 1, 20, 9),
        narrative="不服，书面申请核查",
    )
    assert _facts(notified)["review_requested"] is True
    assert _facts(notified)["review_outcome"] == ""
    assert _facts(review)["review_requested"] is False  # the review itself was not reviewed
    services.complaint_accept(actor=people.officer_a, complaint=review)
    services.complaint_decide(
        actor=people.officer_a,
        complaint=review,
        verified_facts="f",
        outcome="upheld",
        basis="b",
        reasons="r",
        routes=["litigation"],
    )
    assert _facts(notified)["review_outcome"] == "upheld"
    assert _facts(review)["review_outcome"] == ""


def test_the_latest_reachable_call_is_the_follow_up_result(notified, people, frozen):
    frozen(at(2026, 1, 14, 10))
    services.complaint_close(
        actor=people.handler_a, complaint=notified, root_cause="告知不到位", at_fault=False
    )

    def call(result: str, day: int) -> None:
        services.follow_up_record(
            actor=people.handler_a,
            complaint=notified,
            result=result,
            method="phone",
            made_at=at(2026, 1, day, 9),
        )

    call("unreachable", 13)
    assert _facts(notified)["follow_up_result"] == ""
    call("unsatisfied", 13)
    assert _facts(notified)["follow_up_result"] == "unsatisfied"
    call("unreachable", 14)  # a later failed call does not erase the answer
    assert _facts(notified)["follow_up_result"] == "unsatisfied"
    call("satisfied", 12)  # entered late, made earlier: not the latest answer
    assert _facts(notified)["follow_up_result"] == "unsatisfied"
    assert notified.events.filter(action="follow_up").count() == 4


def test_the_migration_backfills_the_facts_from_the_rows(
    notified, register, people, more_people, frozen
):
    frozen(at(2026, 1, 13, 9))
    accepted = services.complaint_accept(actor=people.handler_a, complaint=register())
    request = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需调取外部数据"
    )
    services.extension_approve(actor=more_people.head_sub_a, extension=request, note="同意")
    frozen(at(2026, 1, 20, 10))
    _review_decided(notified, people, "partly_upheld")
    services.complaint_close(
        actor=people.handler_a, complaint=notified, root_cause="告知不到位", at_fault=False
    )
    services.follow_up_record(
        actor=people.handler_a, complaint=notified, result="basically", method="phone"
    )
    expected = {c.pk: _facts(c) for c in (notified, accepted)}
    assert expected[notified.pk]["review_outcome"] == "partly_upheld"
    assert expected[accepted.pk]["extension_approved"] is True

    Complaint.objects.update(
        extension_approved=False, review_requested=False, review_outcome="", follow_up_result=""
    )
    migration = importlib.import_module("xiaobao.complaints.migrations.0005_statistics_facts")
    migration.backfill(apps, None)
    assert {c.pk: _facts(c) for c in (notified, accepted)} == expected
