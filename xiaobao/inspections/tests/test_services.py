"""The rules of inspections through the services: scoring, own-unit refusal, the workflow with
its appeal window in working days, findings as tasks closed only on accepted evidence, the test
complaint, repeat findings and the head-office task for a common issue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import create_user
from xiaobao.audit.selectors import timeline
from xiaobao.inspections import selectors, services
from xiaobao.inspections.choices import (
    ComplaintProbeResult,
    FindingStatus,
    VisitKind,
    VisitStatus,
)
from xiaobao.inspections.models import CommonIssue, Finding, ItemResult
from xiaobao.inspections.tests.conftest import BAD, GOOD, ITEMS, photos
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.organisation.choices import Role
from xiaobao.plans.choices import TaskStatus

pytestmark = pytest.mark.django_db


def pdf(name: str = "整改.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


# --- scoring --------------------------------------------------------------------------------------


def test_score_follows_the_stored_results_and_recomputes_identically(make_visit):
    visit = make_visit(status="draft")
    # ENV-01 no 0/10, SVC-01 3/4 of 20 = 15, SVC-02 one error 10-5 = 5, SUIT-01 yes 20: 40/60.
    assert visit.score == Decimal("66.67") and not visit.red_line_failed
    assert selectors.recomputed_score(visit).score == visit.score


def test_not_applicable_leaves_the_item_out_and_a_red_line_scores_zero(make_visit, inspector):
    visit = make_visit(status="draft", results=GOOD | {"ENV-01": ("na", "")})
    assert visit.score == Decimal("100.00")
    data = services.RecordData(results=GOOD | {"SUIT-01": ("no", "未双录")})
    visit = services.visit_record(actor=inspector, visit=visit, data=data)
    assert visit.score == Decimal("0") and visit.red_line_failed
    visit.refresh_from_db()
    again = selectors.recomputed_score(visit)
    assert (again.score, again.red_line_failed) == (visit.score, True)


def test_a_value_outside_the_items_scale_names_the_item(make_visit, inspector):
    visit = make_visit(status="draft")
    with pytest.raises(DomainError) as err:
        services.visit_record(
            actor=inspector, visit=visit, data=services.RecordData(results={"SVC-01": ("7", "")})
        )
    assert (
        err.value.field == "results"
        and "SVC-01" in err.value.message
        and "0—4" in err.value.message
    )
    assert ItemResult.objects.get(visit=visit, item__code="SVC-01").value == "3"


def test_a_new_checklist_version_keeps_item_codes_and_retires_the_old(people, checklist):
    v2 = services.checklist_create(
        actor=people.hq_officer,
        code="MS",
        name="神秘人暗访清单",
        items=ITEMS[:3],
        previous=checklist,
    )
    assert v2.version == 2
    services.checklist_activate(actor=people.hq_officer, checklist=v2)
    checklist.refresh_from_db()
    assert checklist.status == "retired"
    assert set(v2.items.values_list("code", flat=True)) <= set(
        checklist.items.values_list("code", flat=True)
    )
    with pytest.raises(DomainError):
        services.checklist_create(actor=people.hq_officer, code="MS", name="重复", items=ITEMS)


# --- assignment -----------------------------------------------------------------------------------


def test_an_inspector_is_never_assigned_to_their_own_unit(people, org, checklist):
    at_outlet = create_user("insp_outlet", org.outlet_a, Role.INSPECTOR)
    with pytest.raises(DomainError) as err:
        services.visit_create(
            actor=people.officer_a,
            outlet=org.outlet_a,
            kind=VisitKind.MYSTERY,
            scenario="fees",
            checklist=checklist,
            inspector=at_outlet,
        )
    assert err.value.code == "own_unit" and err.value.field == "inspector"
    # … and they may inspect another outlet.
    visit = services.visit_create(
        actor=people.hq_officer,
        outlet=org.outlet_b,
        kind=VisitKind.MYSTERY,
        scenario="fees",
        checklist=checklist,
        inspector=at_outlet,
    )
    with pytest.raises(DomainError):
        services.visit_assign(
            actor=people.hq_officer,
            visit=visit,
            inspector=create_user("insp_b", org.outlet_b, Role.INSPECTOR),
        )


def test_the_sampling_rule_visits_every_outlet_k_times_in_windows_by_someone_else(
    people, org, checklist
):
    from datetime import date

    at_a = create_user("insp_at_a", org.outlet_a, Role.INSPECTOR)
    at_b = create_user("insp_at_b", org.outlet_b, Role.INSPECTOR)
    today = timezone.localdate(clock_now())
    plan = services.plan_create(
        actor=people.hq_officer,
        data=services.PlanData(
            name="2026年神秘人暗访",
            kind=VisitKind.MYSTERY,
            unit=org.hq,
            checklist=checklist,
            starts_on=date(today.year, 1, 1),
            ends_on=date(today.year, 12, 31),
            visits_per_outlet=3,
            window_days=10,
        ),
    )
    visits = services.plan_schedule(
        actor=people.hq_officer, plan=plan, inspectors=[at_a, at_b], seed=7
    )
    assert len(visits) == 6
    for v in visits:
        assert v.inspector.unit_id != v.outlet_id
        assert plan.starts_on <= v.window_start <= v.window_end <= plan.ends_on
        assert (v.window_end - v.window_start).days == 9
    # three windows per outlet, one in each third of the year
    for outlet in (org.outlet_a, org.outlet_b):
        starts = sorted(v.window_start for v in visits if v.outlet_id == outlet.pk)
        assert starts[0] < date(today.year, 5, 2) <= starts[1] < date(today.year, 9, 1) <= starts[2]
    only_a = services.plan_create(
        actor=people.hq_officer,
        data=services.PlanData(
            name="只有网点A的检查人",
            kind=VisitKind.ONSITE,
            unit=org.branch_a,
            checklist=checklist,
            starts_on=date(today.year, 1, 1),
            ends_on=date(today.year, 12, 31),
        ),
    )
    with pytest.raises(DomainError) as err:
        services.plan_schedule(actor=people.hq_officer, plan=only_a, inspectors=[at_a])
    assert err.value.code == "own_unit"
    assert not only_a.visits.exists()


# --- workflow -------------------------------------------------------------------------------------


def test_only_the_assigned_inspector_records_and_the_office_never_reviews_its_own(
    make_visit, people, inspector
):
    visit = make_visit()
    with pytest.raises(PermissionDeniedError):
        services.visit_record(
            actor=people.officer_a, visit=visit, data=services.RecordData(results=GOOD)
        )
    visit = make_visit(status="submitted", by=people.officer_b)
    with pytest.raises(PermissionDeniedError):
        services.visit_publish(actor=people.officer_b, visit=visit)


def test_submit_needs_every_item_and_a_photo_for_failures(
    make_visit, inspector, checklist, people, org
):
    visit = make_visit()
    services.visit_record(
        actor=inspector, visit=visit, data=services.RecordData(results={"ENV-01": ("no", "")})
    )
    with pytest.raises(DomainError) as err:
        services.visit_submit(actor=inspector, visit=visit)
    assert err.value.code == "incomplete"
    services.visit_record(actor=inspector, visit=visit, data=services.RecordData(results=BAD))
    with pytest.raises(DomainError) as err:
        services.visit_submit(actor=inspector, visit=visit)
    assert err.value.code == "evidence_required"
    services.visit_add_evidence(actor=inspector, visit=visit, upload=photos(1)[0])
    assert services.visit_submit(actor=inspector, visit=visit).status == VisitStatus.SUBMITTED
    with pytest.raises(InvalidTransitionError):
        services.visit_record(actor=inspector, visit=visit, data=services.RecordData(results=GOOD))


def test_publish_opens_the_appeal_window_in_working_days_and_findings_wait(make_visit, people):
    visit = make_visit(status="published")
    cal = services.calendar()
    assert visit.appeal_due == cal.add_workdays(timezone.localdate(clock_now()), 3)
    pending = Finding.objects.filter(visit=visit)
    assert sorted(pending.values_list("item_code", flat=True)) == ["ENV-01", "SVC-02"]
    assert set(pending.values_list("status", flat=True)) == {FindingStatus.PENDING}
    assert not pending.filter(task__isnull=False).exists()
    assert [e.action for e in timeline(visit)][-1] == "publish"


def test_appeal_upheld_overturns_an_item_rescore_and_withdraws_its_finding(make_visit, people):
    visit = make_visit(status="published")
    services.visit_appeal(
        actor=people.outlet_handler_a, visit=visit, reason="已公示，照片角度问题", items=["ENV-01"]
    )
    visit = services.visit_decide_appeal(
        actor=people.officer_a,
        visit=visit,
        decision="upheld",
        reply="核实已公示",
        overturn={"ENV-01": "yes"},
    )
    assert visit.status == VisitStatus.FINAL
    assert visit.score == Decimal("83.33")  # 50/60
    assert selectors.recomputed_score(visit).score == visit.score
    env = Finding.objects.get(visit=visit, item_code="ENV-01")
    svc = Finding.objects.get(visit=visit, item_code="SVC-02")
    assert env.status == FindingStatus.WITHDRAWN and env.task is None
    assert svc.status == FindingStatus.OPEN and svc.task.status == TaskStatus.OPEN
    assert svc.task.owner_unit_id == visit.outlet_id and svc.due_date == svc.task.due_date


def test_no_appeal_after_the_window(make_visit, people):
    with replay(clock_now() - timedelta(days=20)):
        visit = make_visit(status="published")
    with pytest.raises(InvalidTransitionError) as err:
        services.visit_appeal(actor=people.outlet_handler_a, visit=visit, reason="晚了")
    assert err.value.code == "appeal_closed"
    # The window closed: the periodic job finalises it and the findings go to rectification.
    assert services.visits_finalise_due(now=clock_now()) == 1
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FINAL
    assert Finding.objects.filter(visit=visit, status=FindingStatus.OPEN).count() == 2


def test_finalise_is_refused_while_the_window_is_open(make_visit, people):
    visit = make_visit(status="published")
    with pytest.raises(InvalidTransitionError):
        services.visit_finalise(actor=people.officer_a, visit=visit)


def test_a_finding_closes_only_after_its_evidence_is_accepted(make_visit, people):
    visit = make_visit(status="published")
    services.visit_appeal(actor=people.outlet_handler_a, visit=visit, reason="不认可")
    services.visit_decide_appeal(
        actor=people.officer_a, visit=visit, decision="rejected", reply="维持原结论"
    )
    finding = Finding.objects.get(visit=visit, item_code="ENV-01")
    with pytest.raises(InvalidTransitionError):
        services.finding_accept(actor=people.officer_a, finding=finding)
    with pytest.raises(DomainError) as err:
        services.finding_submit(
            actor=people.outlet_handler_a, finding=finding, note="已张贴", files=[]
        )
    assert err.value.code == "evidence_required"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and finding.task.status == TaskStatus.OPEN
    services.finding_submit(
        actor=people.outlet_handler_a, finding=finding, note="已张贴收费标准", files=[pdf()]
    )
    with pytest.raises(PermissionDeniedError):
        services.finding_accept(actor=people.outlet_handler_a, finding=finding)
    services.finding_return(actor=people.officer_a, finding=finding, reason="照片不清晰")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and finding.task.status == TaskStatus.RETURNED
    services.finding_submit(
        actor=people.outlet_handler_a, finding=finding, note="重新拍照", files=[pdf("2.pdf")]
    )
    finding = services.finding_accept(actor=people.officer_a, finding=finding)
    assert finding.status == FindingStatus.CLOSED and finding.task.status == TaskStatus.DONE
    assert finding.closed_at is not None and finding.on_time
    finding = services.finding_confirm(actor=people.officer_a, finding=finding)
    assert finding.status == FindingStatus.VERIFIED


def test_the_same_item_again_within_a_year_is_a_repeat_finding(make_visit, people):
    first = make_visit(status="published")
    services.visit_finalise(
        actor=people.officer_a, visit=first, now=clock_now() + timedelta(days=10)
    )
    second = make_visit(status="published")
    assert Finding.objects.get(visit=second, item_code="ENV-01").repeat
    assert not Finding.objects.get(visit=first, item_code="ENV-01").repeat


def test_the_same_failing_item_at_many_outlets_raises_one_head_office_task(
    make_visit, people, org, settings
):
    settings.XIAOBAO_INSPECTIONS_COMMON_ISSUE_OUTLETS = 2
    later = clock_now() + timedelta(days=10)
    for outlet in (org.outlet_a, org.outlet_b):
        visit = make_visit(status="published", outlet=outlet, office=people.hq_officer)
        services.visit_finalise(actor=people.hq_officer, visit=visit, now=later)
    issues = CommonIssue.objects.all()
    assert sorted(issues.values_list("item_code", flat=True)) == ["ENV-01", "SVC-02"]
    issue = issues.get(item_code="ENV-01")
    assert issue.outlets == 2 and issue.task.owner_unit_id == org.hq.pk
    assert Finding.objects.filter(common_issue=issue).count() == 2
    # A third outlet's failure does not raise a second task while the first is open.
    assert services.raise_common_issue(actor=people.hq_officer, item_code="ENV-01") is None


# --- test complaint -------------------------------------------------------------------------------


def _register(people, org, *, title: str, at):
    from xiaobao.complaints.services import ComplainantData, complaint_register

    return complaint_register(
        actor=people.outlet_handler_a,
        unit=org.outlet_a,
        received_at=at,
        intake_channel="COUNTER",
        title=title,
        narrative="客户对理财产品风险提示不满",
        complainants=[ComplainantData(name="张三", phone="13800000000")],
    )


def test_a_test_complaint_registered_in_time_is_matched(make_visit, people, org, migration_data):
    voiced = clock_now() - timedelta(hours=3)
    visit = make_visit(
        status="published",
        test_complaint=True,
        test_complaint_at=voiced,
        test_complaint_keyword="风险提示",
    )
    assert visit.test_complaint_result == ComplaintProbeResult.PENDING
    complaint = _register(
        people, org, title="理财风险提示不到位", at=voiced + timedelta(minutes=10)
    )
    visit = services.visit_check_test_complaint(actor=people.officer_a, visit=visit)
    assert visit.test_complaint_result == ComplaintProbeResult.REGISTERED
    assert visit.matched_complaint_id == complaint.pk


def test_an_unregistered_test_complaint_becomes_a_finding(make_visit, people, org, migration_data):
    with replay(clock_now() - timedelta(days=10)) as then:
        visit = make_visit(
            status="published",
            test_complaint=True,
            test_complaint_at=then - timedelta(hours=1),
            test_complaint_keyword="双录",
        )
        # Not yet due: still pending.
        assert (
            services.visit_check_test_complaint(
                actor=people.officer_a, visit=visit
            ).test_complaint_result
            == "pending"
        )
    # Another complaint at the outlet that does not match the keyword does not count.
    _register(people, org, title="排队时间长", at=clock_now() - timedelta(days=9))
    assert services.test_complaints_sweep(now=clock_now()) == 1
    visit.refresh_from_db()
    assert visit.test_complaint_result == ComplaintProbeResult.UNREGISTERED
    finding = Finding.objects.get(visit=visit, source="test_complaint")
    assert finding.severity == "high" and finding.status == FindingStatus.PENDING


def test_only_a_mystery_visit_may_voice_a_test_complaint(people, org, checklist, inspector):
    visit = services.visit_create(
        actor=people.officer_a,
        outlet=org.outlet_a,
        kind=VisitKind.ONSITE,
        scenario="fees",
        checklist=checklist,
        inspector=inspector,
    )
    with pytest.raises(DomainError) as err:
        services.visit_record(
            actor=inspector,
            visit=visit,
            data=services.RecordData(
                results=GOOD, test_complaint=True, test_complaint_at=clock_now()
            ),
        )
    assert err.value.field == "test_complaint"
