"""A custom scheme built on the pages (its rules as on the API: complaint volume refused, the
weights and points totals checked before approval), and 我的考核 — only one's own lines."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from xiaobao.assessment import services
from xiaobao.assessment.choices import RunStatus, SchemeStatus
from xiaobao.assessment.models import Element, Indicator, Scheme, Score
from xiaobao.assessment.tests.conftest import LAST_YEAR, Q, published_scheme
from xiaobao.audit.models import RecordEvent
from xiaobao.organisation.choices import Role

pytestmark = pytest.mark.django_db


def _with_approval(user):
    user.user_permissions.add(Permission.objects.get(codename="approve_scheme"))
    return type(user).objects.get(pk=user.pk)


def _scheme(client) -> Scheme:
    response = client.post(
        "/assessment/schemes/new/",
        {"code": "P-1", "name": "网点消保考核", "year": LAST_YEAR, "unit_kinds": ["outlet"],
         "kpi_share": "5", "data_cutoff_days": "10"},
    )  # fmt: skip
    scheme = Scheme.objects.get(code="P-1")
    assert (
        response.status_code == 302 and response["Location"] == f"/assessment/schemes/{scheme.pk}/"
    )
    return scheme


def test_a_scheme_is_created_on_the_page_and_bad_input_names_the_field(people, client):
    client.force_login(people.hq_officer)
    page = client.get("/assessment/")
    assert 'id="scheme-new"' in page.content.decode()
    missing = client.post("/assessment/schemes/new/", {"code": "", "name": "x", "year": "2025",
                                                       "unit_kinds": ["branch"]})  # fmt: skip
    assert missing.status_code == 400
    assert "代码：请填写方案编号。" in missing.content.decode()
    no_kinds = client.post("/assessment/schemes/new/", {"code": "P-0", "name": "x", "year": "2025"})
    assert no_kinds.status_code == 400
    assert "适用机构层级：请选择适用的机构层级。" in no_kinds.content.decode()
    bad_year = client.post("/assessment/schemes/new/", {"code": "P-0", "name": "x", "year": "二〇",
                                                        "unit_kinds": ["branch"]})  # fmt: skip
    assert bad_year.status_code == 400 and "年度：年度须为整数。" in bad_year.content.decode()
    assert not Scheme.objects.exists()
    scheme = _scheme(client)
    assert scheme.status == SchemeStatus.DRAFT and scheme.unit_kinds == ["outlet"]
    assert RecordEvent.objects.filter(action="create", object_id=str(scheme.pk)).exists()
    detail = client.get(f"/assessment/schemes/{scheme.pk}/").content.decode()
    assert 'id="element-new"' in detail and 'id="indicator-new"' in detail
    # A branch officer may not create schemes; nothing is written.
    client.force_login(people.officer_a)
    refused = client.post("/assessment/schemes/new/", {"code": "P-2", "name": "x",
                                                       "year": "2025", "unit_kinds": ["branch"]})  # fmt: skip
    assert refused.status_code == 403 and not Scheme.objects.filter(code="P-2").exists()
    assert 'id="scheme-new"' not in client.get("/assessment/").content.decode()


def test_elements_and_indicators_on_the_page_follow_the_rules_then_approve_and_publish(
    people, client
):
    officer = _with_approval(people.hq_officer)
    client.force_login(officer)
    scheme = _scheme(client)
    url = f"/assessment/schemes/{scheme.pk}/"
    too_heavy = client.post(f"{url}elements/", {"code": "E1", "name": "纠纷化解", "weight": "120"})
    assert too_heavy.status_code == 400
    assert "权重：权重须在0到100之间。" in too_heavy.content.decode()
    for code, name, weight in (("E1", "纠纷化解", "60"), ("E2", "金融教育", "40")):
        added = client.post(f"{url}elements/", {"code": code, "name": name, "weight": weight})
        assert added.status_code == 302
    e1, e2 = Element.objects.get(code="E1"), Element.objects.get(code="E2")

    volume = client.post(f"{url}indicators/", {
        "code": "C1", "name": "投诉量", "kind": "auto", "element": e1.pk,
        "metric_key": "complaints.received", "target": "0", "zero_at": "10", "weight": "60",
    })  # fmt: skip
    assert volume.status_code == 400
    assert "取数指标：投诉量不得作为考核指标" in volume.content.decode()
    no_cap = client.post(f"{url}indicators/", {
        "code": "D1", "name": "违规事件", "kind": "deduction", "per_event": "2",
    })  # fmt: skip
    assert (
        no_cap.status_code == 400
        and "封顶分值：扣分/加分项须设封顶分值。" in no_cap.content.decode()
    )
    assert not Indicator.objects.exists()

    for data in (
        {"code": "C1", "name": "按时办结率", "kind": "auto", "element": e1.pk,
         "metric_key": "complaints.timely_rate", "target": "100", "zero_at": "80", "weight": "60"},
        {"code": "M1", "name": "宣教开展", "kind": "manual", "element": e2.pk, "weight": "30"},
    ):  # fmt: skip
        assert client.post(f"{url}indicators/", data).status_code == 302
    # Points total 90 and E2 holds 30 of its 40: approval is refused with the reasons.
    refused = client.post(f"{url}advance/", {"to": "approved"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "计分指标分值合计为90分，应为100分。" in body and "金融教育" in body
    assert Scheme.objects.get(pk=scheme.pk).status == SchemeStatus.DRAFT
    client.post(f"{url}indicators/", {"code": "M2", "name": "宣教覆盖", "kind": "manual",
                                      "element": e2.pk, "weight": "10"})  # fmt: skip
    assert client.post(f"{url}advance/", {"to": "approved"}).status_code == 302
    # Approved: the forms are gone and adding is an illegal transition.
    assert 'id="indicator-new"' not in client.get(url).content.decode()
    late = client.post(f"{url}indicators/", {"code": "M3", "name": "x", "kind": "manual",
                                             "weight": "1"})  # fmt: skip
    assert late.status_code == 409 and not Indicator.objects.filter(code="M3").exists()
    assert client.post(f"{url}advance/", {"to": "published"}).status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED and scheme.approved_by == officer
    assert set(
        RecordEvent.objects.filter(
            object_id=str(scheme.pk), action__in=["approved", "published"]
        ).values_list("action", flat=True)
    ) == {"approved", "published"}


def test_indicator_forms_are_refused_outside_the_office(people, client):
    officer = people.hq_officer
    client.force_login(officer)
    scheme = _scheme(client)
    client.force_login(people.officer_a)
    refused = client.post(
        f"/assessment/schemes/{scheme.pk}/indicators/",
        {"code": "M1", "name": "x", "kind": "manual", "weight": "100"},
    )
    assert refused.status_code == 403 and not Indicator.objects.exists()
    client.force_login(people.outlet_handler_a)
    hidden = client.post(
        f"/assessment/schemes/{scheme.pk}/elements/", {"code": "E1", "name": "x", "weight": "10"}
    )
    assert hidden.status_code == 404 and not Element.objects.exists()


def _final_staff_run(people, org):
    officer = _with_approval(people.hq_officer)
    scheme = published_scheme(officer, code="STAFF", staff_roles=(Role.BRANCH_CP_OFFICER,))
    run = services.run_create(actor=officer, scheme=scheme, unit=org.hq, label="三季度", **Q)
    for score in run.scores.filter(indicator__metric_key=""):
        points = (
            0 if score.indicator.code == "V1" else (25 if score.staff == people.officer_a else 20)
        )
        services.score_set(actor=officer, score=score, points=points)
    for to in (RunStatus.PREVIEW, RunStatus.APPEAL, RunStatus.FINAL):
        run = services.run_advance(actor=officer, run=run, to=to)
    draft = services.run_create(actor=officer, scheme=scheme, unit=org.hq, label="四季度", **Q)
    return run, draft


def test_my_results_show_only_ones_own_lines_of_final_runs(people, org, client):
    run, draft = _final_staff_run(people, org)
    client.force_login(people.officer_a)
    page = client.get("/assessment/mine/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-run="{run.pk}"' in body and f'data-run="{draft.pk}"' not in body
    mine = Score.objects.get(run=run, staff=people.officer_a, indicator__code="M1")
    assert mine.points == 25 and "<td>25.00</td>" in body
    assert "<td>20.00</td>" not in body  # officer_b's manual score is not on the page
    assert 'href="/assessment/mine/"' in body  # the nav entry
    # A handler with no assessment rights sees the page and its menu entry, empty.
    client.force_login(people.handler_a)
    empty = client.get("/assessment/mine/")
    assert empty.status_code == 200 and 'id="no-results"' in empty.content.decode()
    assert 'href="/assessment/mine/"' in empty.content.decode()
    client.logout()
    assert client.get("/assessment/mine/").status_code == 302


def test_the_workflow_buttons_are_offered_only_to_who_may_use_them(people, client):
    client.force_login(people.hq_officer)
    scheme = _scheme(client)
    assert "审批通过" in client.get(f"/assessment/schemes/{scheme.pk}/").content.decode()
    client.force_login(people.officer_a)  # may read schemes, neither change nor approve them
    body = client.get(f"/assessment/schemes/{scheme.pk}/").content.decode()
    assert "审批通过" not in body and 'id="indicator-new"' not in body
