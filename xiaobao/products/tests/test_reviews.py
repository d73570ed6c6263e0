"""Pre-review through the services: submission, opinions, answers, escalation, conclusion, launch."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from xiaobao.audit.models import RecordEvent
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.products import hooks, services
from xiaobao.products.choices import Conclusion, ReviewStatus
from xiaobao.products.models import LaunchRegistration, Review
from xiaobao.products.tests.conftest import make_product, pdf, sha
from xiaobao.watch.models import Notification

pytestmark = pytest.mark.django_db


def events(review: Review) -> list[str]:
    ct = ContentType.objects.get_for_model(Review)
    return list(
        RecordEvent.objects.filter(content_type=ct, object_id=review.pk)
        .order_by("occurred_at", "id")
        .values_list("action", flat=True)
    )


def submit(staff, org, people=None, **kw):
    defaults = {
        "actor": staff.manager,
        "object_type": "new_product",
        "title": "稳享90天理财产品说明书",
        "unit": org.hq,
        "documents": [pdf()],
        "self_check": {"disclosure": "yes", "forbidden_words": "yes"},
    }
    return services.review_submit(**(defaults | kw))


def test_submit_assigns_by_type_and_counts_working_days(staff, org, route, settings):
    settings.XIAOBAO_PRODUCTS_REVIEW_DAYS = 5
    # Friday 2026-09-25: the National Day holiday (Oct 1–8) lies inside the five working days.
    at = timezone.make_aware(datetime(2026, 9, 25, 10, 0))
    review = submit(staff, org, at=at)
    assert review.reviewer == staff.reviewer
    assert review.status == ReviewStatus.SUBMITTED
    # Sep 26 (Sat, 调休 working day), 28, 29, 30, then the holiday until Oct 8: Oct 9.
    assert review.due_on == date(2026, 10, 9)
    assert review.documents.get().sha256 == sha(pdf())
    assert sorted(events(review)) == ["evidence_add", "submit"]
    assert Notification.objects.filter(
        recipient=staff.reviewer, kind="notice", title__startswith="消保审查待办"
    ).exists()


def test_review_days_is_a_setting(staff, org, route, settings):
    at = timezone.make_aware(datetime(2026, 6, 1, 10, 0))  # a Monday, no holiday
    settings.XIAOBAO_PRODUCTS_REVIEW_DAYS = 3
    assert submit(staff, org, at=at).due_on == date(2026, 6, 4)
    settings.XIAOBAO_PRODUCTS_REVIEW_DAYS = 5
    assert submit(staff, org, at=at).due_on == date(2026, 6, 8)


def test_submit_refuses_bad_input_and_writes_nothing(staff, org, route):
    with pytest.raises(DomainError) as exc:
        submit(staff, org, title=" ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        submit(staff, org, self_check={"disclosure": "maybe"})
    assert exc.value.field == "self_check"
    with pytest.raises(DomainError) as exc:
        submit(staff, org, planned_launch=date.today() - timedelta(days=1))
    assert exc.value.field == "planned_launch" and "不得先上线后审查" in exc.value.message
    with pytest.raises(PermissionDeniedError):
        submit(staff, org, actor=staff.branch_manager)  # head office is outside branch B's scope
    assert not Review.objects.exists()


def test_rejected_mandatory_opinion_escalates(staff, org, route):
    review = submit(staff, org)
    mandatory = services.opinion_issue(
        actor=staff.reviewer,
        review=review,
        location="第三章第2条",
        issue="宣传“保本保收益”",
        basis="《银行保险机构消费者权益保护管理办法》第十二条",
        kind="mandatory",
    )
    advisory = services.opinion_issue(
        actor=staff.reviewer,
        review=review,
        location="封面",
        issue="字号偏小，不利于老年客户阅读",
        basis="适老化要求",
        kind="advisory",
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPINIONS
    with pytest.raises(DomainError) as exc:
        services.opinion_answer(
            actor=staff.manager, opinion=mandatory, response="not_adopted", reason="业务需要"
        )
    assert exc.value.field == "approver"
    with pytest.raises(DomainError) as exc:
        services.opinion_answer(actor=staff.manager, opinion=mandatory, response="not_adopted")
    assert exc.value.field == "reason"
    services.opinion_answer(
        actor=staff.manager,
        opinion=mandatory,
        response="not_adopted",
        reason="竞品均如此表述",
        approver=staff.manager,
    )
    review.refresh_from_db()
    mandatory.refresh_from_db()
    assert mandatory.escalated and mandatory.awaits_decision
    assert review.status == ReviewStatus.ESCALATED
    assert Notification.objects.filter(
        recipient=staff.leader, kind="escalation", title__startswith="消保审查意见升级"
    ).exists()
    # No conclusion while the escalation is pending.
    with pytest.raises(InvalidTransitionError):
        services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
    # The reviewer cannot decide their own opinion's escalation.
    with pytest.raises(PermissionDeniedError):
        services.opinion_decide(
            actor=staff.reviewer, opinion=mandatory, decision="waived", note="x"
        )
    services.opinion_answer(actor=staff.manager, opinion=advisory, response="adopted")
    services.opinion_decide(
        actor=staff.leader, opinion=mandatory, decision="upheld", note="不得使用保本表述"
    )
    review.refresh_from_db()
    mandatory.refresh_from_db()
    assert review.status == ReviewStatus.OPINIONS and mandatory.response == ""
    with pytest.raises(DomainError):
        services.opinion_answer(
            actor=staff.manager,
            opinion=mandatory,
            response="not_adopted",
            reason="再议",
            approver=staff.manager,
        )
    services.opinion_answer(actor=staff.manager, opinion=mandatory, response="adopted")
    review.refresh_from_db()
    assert review.status == ReviewStatus.ANSWERED
    assert "escalate" in events(review) and "opinion_decide" in events(review)


def test_waived_escalation_lets_the_review_conclude(staff, org, route):
    review = submit(staff, org)
    o = services.opinion_issue(
        actor=staff.reviewer, review=review, location="p1", issue="i", basis="b", kind="mandatory"
    )
    services.opinion_answer(
        actor=staff.manager, opinion=o, response="not_adopted", reason="r", approver=staff.manager
    )
    services.opinion_decide(actor=staff.leader, opinion=o, decision="waived", note="风险可控")
    review.refresh_from_db()
    assert review.status == ReviewStatus.ANSWERED
    review = services.review_conclude(
        actor=staff.reviewer, review=review, conclusion="passed_with_changes", note="按意见修改"
    )
    assert review.status == ReviewStatus.CONCLUDED and review.turnaround_days == 0


def test_launch_hash_must_match_the_approved_version(staff, org, route, people):
    product = make_product(people.hq_officer, status="design")
    review = submit(staff, org, product=product)
    services.review_add_document(
        actor=staff.manager, review=review, document=pdf("v2", "说明书v2.pdf")
    )
    review = services.review_conclude(
        actor=staff.reviewer, review=review, conclusion=Conclusion.PASSED
    )
    assert review.approved_sha256 == sha(pdf("v2", "说明书v2.pdf"))
    # Launching the first version (not the approved v2) raises the alert.
    reg = services.review_register_launch(
        actor=staff.manager, review=review, launched_on=date.today(), upload=pdf()
    )
    review.refresh_from_db()
    assert reg.matches is False and review.status == ReviewStatus.CONCLUDED
    assert "launch_mismatch" in events(review)
    alerts = Notification.objects.filter(
        kind="escalation", title__startswith="上线版本与审定版本不一致"
    )
    assert alerts.filter(recipient=staff.reviewer, urgent=True).exists()
    reg = services.review_register_launch(
        actor=staff.manager, review=review, launched_on=date.today(), upload=pdf("v2", "x.pdf")
    )
    review.refresh_from_db()
    product.refresh_from_db()
    assert reg.matches and review.status == ReviewStatus.LAUNCHED
    assert product.status == "on_sale" and product.launched_on == date.today()
    assert LaunchRegistration.objects.filter(review=review).count() == 2
    with pytest.raises(InvalidTransitionError):
        services.review_register_launch(
            actor=staff.manager, review=review, launched_on=date.today(), upload=pdf("v2", "x.pdf")
        )


def test_not_passed_cannot_launch(staff, org, route):
    review = submit(staff, org)
    with pytest.raises(DomainError) as exc:
        services.review_conclude(actor=staff.reviewer, review=review, conclusion="not_passed")
    assert exc.value.field == "note"
    review = services.review_conclude(
        actor=staff.reviewer, review=review, conclusion="not_passed", note="违反禁用用语规定"
    )
    with pytest.raises(InvalidTransitionError):
        services.review_register_launch(
            actor=staff.manager, review=review, launched_on=date.today(), upload=pdf()
        )


def test_conclusion_hook_tells_the_subject_app(staff, org, route, people):
    seen = []
    subject = people.hq_officer.unit  # any record will do as a subject

    @hooks.on_review_concluded("organisation.unit")
    def told(*, review, subject):
        seen.append((review.pk, subject.pk, review.conclusion))

    try:
        review = submit(
            staff,
            org,
            object_type="partner_agreement",
            subject=subject,
            documents=[{"name": "合作协议.docx", "sha256": "a" * 64}],
        )
        assert review.subject == subject
        services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
        assert seen == [(review.pk, subject.pk, "passed")]
    finally:
        hooks._listeners.pop("organisation.unit", None)


def test_failing_listener_undoes_the_conclusion(staff, org, route):
    @hooks.on_review_concluded("organisation.unit")
    def boom(*, review, subject):
        raise DomainError("协议状态不允许", code="invalid")

    try:
        review = submit(staff, org, object_type="partner_agreement", subject=org.hq)
        with pytest.raises(DomainError):
            services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
        review.refresh_from_db()
        assert review.status == ReviewStatus.SUBMITTED and not review.conclusion
    finally:
        hooks._listeners.pop("organisation.unit", None)


def test_failed_self_check_items_are_on_the_submission_event(staff, org, route):
    review = submit(staff, org, self_check={"disclosure": "no", "cooling_off": "na"})
    ct = ContentType.objects.get_for_model(Review)
    event = RecordEvent.objects.get(content_type=ct, object_id=review.pk, action="submit")
    assert event.reason == "自查不符合项：信息披露充分"
