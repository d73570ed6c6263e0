"""The workbench pages of the partner list (Django's test client)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import PASSWORD
from xiaobao.partners import services
from xiaobao.partners.choices import Criterion
from xiaobao.partners.models import Evaluation, Exit, Partner
from xiaobao.partners.tests.conftest import pdf, period

pytestmark = pytest.mark.django_db


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_registering_with_a_bad_credit_code_names_the_field(client, people, org):
    _login(client, "hq_officer")
    response = client.post(
        "/partners/new/",
        {
            "name": "某数据公司",
            "credit_code": "91350100M000100Y44",
            "type": "data",
            "unit": org.hq.pk,
        },
    )
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert not Partner.objects.exists()
    response = client.post(
        "/partners/new/",
        {
            "name": "某数据公司",
            "credit_code": "91350100M000100Y43",
            "type": "data",
            "unit": org.hq.pk,
            "allowed_units": [org.branch_a.pk],
            "business_lines": "征信数据，反欺诈",
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.business_lines == ["征信数据", "反欺诈"]


def test_admission_through_the_page(client, people, make_partner):
    partner = make_partner()
    _login(client, "hq_officer")
    url = f"/partners/{partner.pk}/admit/"
    some = [c for c in Criterion.values if c != "sound"]
    refused = client.post(url, {"criteria": some, "cp_opinion": "通过", "decision": "approved"})
    assert refused.status_code == 400
    assert "经营稳健" in refused.content.decode()
    ok = client.post(
        url, {"criteria": Criterion.values, "cp_opinion": "通过", "decision": "approved"}
    )
    assert ok.status_code == 302
    partner.refresh_from_db()
    assert partner.status == "listed"


def test_scope_a_partner_of_another_branch_is_a_404(client, people, org, make_partner):
    partner = make_partner(status="listed", allowed_units=[org.branch_b])
    _login(client, "officer_a")
    assert client.get(f"/partners/{partner.pk}/").status_code == 404
    assert (
        client.post(
            f"/partners/{partner.pk}/transition/", {"to": "watch", "reason": "x"}
        ).status_code
        == 404
    )
    assert partner.pk not in [p.pk for p in client.get("/partners/").context["partners"]]


def test_the_evaluation_page_shows_the_complaints_linked_to_the_partner(
    client, people, partner, make_case
):
    case = make_case(days=15)
    _login(client, "handler_a")
    linked = client.post(
        f"/partners/{partner.pk}/link/", {"registry_no": case.registry_no, "role": "collector"}
    )
    assert linked.status_code == 302
    client.logout()
    _login(client, "hq_officer")
    first, last = period()
    response = client.post(
        f"/partners/{partner.pk}/evaluation/",
        {
            "period_start": first,
            "period_end": last,
            "cooperation_timely": "on",
            "regulator_penalties": 0,
            "public_opinion_events": 0,
            "contract_breaches": 0,
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    page = client.get(f"/partners/evaluations/{evaluation.pk}/").content.decode()
    assert case.registry_no in page
    assert evaluation.complaints == 1


def test_completing_an_exit_with_an_unconfirmed_step_is_a_409(client, people, partner):
    exit = services.exit_start(
        actor=people.hq_officer,
        partner=partner,
        reason="不再合作",
        planned_on=timezone.localdate() + timedelta(days=10),
    )
    _login(client, "hq_officer")
    no_file = client.post(
        f"/partners/exits/{exit.pk}/confirm/", {"step": "access", "note": "已注销"}
    )
    assert no_file.status_code == 400 and "须上传证明材料" in no_file.content.decode()
    done = client.post(
        f"/partners/exits/{exit.pk}/confirm/",
        {"step": "access", "note": "已注销", "evidence": pdf()},
    )
    assert done.status_code == 302
    refused = client.post(f"/partners/exits/{exit.pk}/complete/")
    assert refused.status_code == 409
    assert "客户过渡已完成" in refused.content.decode()
    assert Exit.objects.get(pk=exit.pk).status == "in_progress"


def test_the_case_page_offers_the_partner_panel_and_links(client, people, partner, make_case):
    case = make_case(days=3)
    _login(client, "handler_a")
    page = client.get(f"/complaints/{case.pk}/").content.decode()
    assert 'id="partner-panel"' in page and partner.name in page
    response = client.post(
        f"/partners/case/{case.pk}/link/", {"partner": partner.pk, "role": "seller"}
    )
    assert response.status_code == 302 and response["Location"] == f"/complaints/{case.pk}/"
    assert partner.complaint_links.filter(complaint=case).exists()
    page = client.get(f"/complaints/{case.pk}/").content.decode()
    assert f"/partners/{partner.pk}/" in page
    # A case outside the handler's scope is a 404, and nothing is linked.
    client.logout()
    _login(client, "handler_b")
    assert (
        client.post(
            f"/partners/case/{case.pk}/link/", {"partner": partner.pk, "role": "seller"}
        ).status_code
        == 404
    )
