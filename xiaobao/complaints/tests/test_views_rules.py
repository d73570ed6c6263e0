"""Rules through the workbench pages: the error mapping, recusal, transfer, extensions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.organisation import services as org_services
from xiaobao.watch.models import Notification

from .conftest import PHONE, VALID_ID, at

pytestmark = pytest.mark.django_db


def act(client, complaint, name, data=None):
    url = reverse("complaints:action", args=[complaint.pk, name])
    return client.post(url, {f"{name}-{k}": v for k, v in (data or {}).items()})


# --- one error mapping ---------------------------------------------------------------------------


def test_an_auditors_forged_action_is_403_whatever_it_posts(client, accepted, people):
    client.force_login(people.auditor)
    assert act(client, accepted, "withdraw", {"received_at": "2026-01-05T12:00"}).status_code == 403
    assert act(client, accepted, "decide").status_code == 403  # empty form: still a refusal
    assert act(client, accepted, "assign", {"handler": people.handler_a.pk}).status_code == 403
    assert accepted.events.count() == 2  # register and accept only


def test_out_of_scope_is_404_illegal_transition_409_invalid_input_400(client, accepted, people):
    client.force_login(people.officer_b)
    assert act(client, accepted, "decline").status_code == 404
    client.force_login(people.handler_a)
    response = act(client, accepted, "accept")
    assert response.status_code == 409 and "处理中" in response.content.decode()
    response = act(client, accepted, "decide", {"outcome": "upheld"})
    assert response.status_code == 400
    assert response.context["open_action"] == "decide"  # the form is shown again


def test_extension_approval_by_the_wrong_person_is_403(client, accepted, people, frozen):
    frozen(at(2026, 1, 10, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=60, reason="特别复杂"
    )
    client.force_login(people.hq_officer)
    url = reverse("complaints:extension_decide", args=[accepted.pk, extension.pk])
    response = client.post(
        url, {"ext-decision": "approve", "ext-told_by": "sms", "ext-told_at": "2026-01-10T08:00"}
    )
    assert response.status_code == 403
    assert "没有执行此操作的权限" in response.content.decode()


def _decide_extension(client, complaint, extension, told_at):
    url = reverse("complaints:extension_decide", args=[complaint.pk, extension.pk])
    data = {"ext-decision": "approve", "ext-told_by": "sms", "ext-told_at": told_at}
    return client.post(url, data)


def test_sixty_days_are_approved_on_the_page_by_a_senior_manager_only(
    client, accepted, people, org, make_user, frozen
):
    from xiaobao.organisation.choices import Role

    frozen(at(2026, 1, 10, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=60, reason="特别复杂"
    )
    for refused in (people.hq_officer, people.officer_a):
        client.force_login(refused)
        assert _decide_extension(client, accepted, extension, "2026-01-10T08:00").status_code == 403
    client.force_login(make_user("senior", org.hq, Role.HQ_SENIOR_MANAGER))
    response = _decide_extension(client, accepted, extension, "2026-01-10T08:00")
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.allowed_days == 60


def test_a_late_approval_on_the_page_is_refused_and_the_case_stays_overdue(
    client, accepted, people, frozen
):
    # Received 5 Jan, due by the end of 20 Jan: asked on day 14, approved on day 17.
    frozen(at(2026, 1, 19, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="需外部鉴定"
    )
    frozen(at(2026, 1, 22, 9))
    client.force_login(people.head_a)
    response = _decide_extension(client, accepted, extension, "2026-01-22T08:00")
    assert response.status_code in (400, 422) and "不能再批准延期" in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.allowed_days == 15 and accepted.due_date.isoformat() == "2026-01-20"


# --- recusal -------------------------------------------------------------------------------------


def _register_form(people, org, **extra):
    from xiaobao.complaints.models import TaxonomyTerm

    term = TaxonomyTerm.objects.get
    data = {
        "intake_channel": term(axis="intake_channel", code="COUNTER").pk,
        "received_at": "2026-01-05T10:00",
        "unit": org.sub_a.pk,
        "title": "柜面人员服务态度差",
        "narrative": "客户称柜员态度恶劣，拒绝解释收费项目。",
        "level": term(axis="level", code="NORMAL").pk,
        "business_channel": term(axis="business_channel", code="COUNTER").pk,
        "group_size": 1,
        "role": "self",
        "name": "张伟",
        "id_type": "resident_id",
        "id_number": VALID_ID,
        "phone": PHONE,
    }
    data.update(extra)
    return data


def test_registration_form_links_the_staff_complained_about_and_recusal_holds(
    client, people, org, frozen
):
    frozen(at(2026, 1, 5, 11))
    client.force_login(people.officer_a)
    response = client.post(
        reverse("complaints:register"),
        _register_form(people, org, complained_staff=people.handler_a.pk),
    )
    assert response.status_code == 302, response.context["form"].errors
    case = Complaint.objects.get()
    assert case.complained_staff == people.handler_a and not case.recusal_unchecked
    # The person complained about cannot accept it themselves …
    client.force_login(people.handler_a)
    response = act(client, case, "accept")
    assert response.status_code == 400 and "回避" in response.content.decode()
    # … nor be assigned by a supervisor.
    client.force_login(people.officer_a)
    response = act(client, case, "assign", {"handler": people.handler_a.pk})
    assert response.status_code == 400 and "回避" in response.content.decode()
    case.refresh_from_db()
    assert case.handler is None and case.status == "registered"


def test_staff_outside_the_unit_cannot_be_named_and_a_bare_name_warns(client, people, org, frozen):
    frozen(at(2026, 1, 5, 11))
    client.force_login(people.hq_officer)
    response = client.post(
        reverse("complaints:register"),
        _register_form(people, org, complained_staff=people.handler_b.pk),
    )
    assert response.status_code == 400
    assert "complained_staff" in response.context["form"].errors
    response = client.post(
        reverse("complaints:register"),
        _register_form(people, org, complained_staff_name="王某"),
        follow=True,
    )
    case = Complaint.objects.get()
    assert case.recusal_unchecked
    assert "无法自动执行回避检查" in response.content.decode()


# --- transfer ------------------------------------------------------------------------------------


def test_transfer_from_the_case_page(client, accepted, people, org, make_user, frozen):
    from xiaobao.organisation.choices import Role

    head_outlet = make_user("head_outlet_a", org.outlet_a, Role.UNIT_HEAD)
    frozen(at(2026, 1, 7, 9))
    client.force_login(people.officer_a)
    due = accepted.due_at
    response = act(client, accepted, "transfer", {"to_unit": org.outlet_a.pk, "reason": ""})
    assert response.status_code == 400  # reason required
    response = act(
        client, accepted, "transfer", {"to_unit": org.outlet_a.pk, "reason": "业务发生在网点"}
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.unit == org.outlet_a and accepted.handler is None and accepted.due_at == due
    page = client.get(reverse("complaints:detail", args=[accepted.pk])).content.decode()
    assert "移交其他机构" in page and "业务发生在网点" in page
    event = accepted.events.get(action="transfer")
    assert event.data["from_unit"]["code"] == "SUB-a" and event.data["to_unit"]["code"] == "OUT-a"
    notice = Notification.objects.get(recipient=head_outlet)
    assert notice.kind == "transfer" and accepted.registry_no in notice.title
    # Out of the officer's scope: refused with 403 by the service (the form lists only units
    # in scope, so the choice itself is invalid: 400).
    response = act(client, accepted, "transfer", {"to_unit": org.sub_b.pk, "reason": "误派"})
    assert response.status_code == 400
    # A handler cannot transfer.
    client.force_login(people.handler_a)
    response = act(client, accepted, "transfer", {"to_unit": org.sub_a.pk, "reason": "退回"})
    assert response.status_code == 403


def test_moving_a_sub_branch_writes_an_event_on_each_open_case(
    accepted, register, people, org, frozen
):
    frozen(at(2026, 1, 6, 9))
    closed_elsewhere = register(unit=org.sub_b, actor=people.handler_b)
    org_services.unit_move(actor=people.hq_officer, unit=org.sub_a, new_parent=org.branch_b)
    moved = ComplaintEvent.objects.filter(action="unit_moved")
    assert list(moved.values_list("complaint_id", flat=True)) == [accepted.pk]
    event = moved.get()
    assert "A分行" in event.reason and "B分行" in event.reason
    assert not closed_elsewhere.events.filter(action="unit_moved").exists()
