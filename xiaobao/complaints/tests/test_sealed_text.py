"""Personal data typed into free text (title, narrative, demand, event notes): stored encrypted,
shown masked on every page, list, export, the admin and the API, and revealed only with the
unmask right and a logged reason (issue 18, item 4)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.privacy.crypto import looks_encrypted
from xiaobao.privacy.models import PersonalDataAccess
from xiaobao.privacy.sealing import original, sealed_fields

from .conftest import VALID_ID, at

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
CARD = "6222021234567890128"  # Luhn-valid
NARRATIVE = (
    f"张伟称其卡号{CARD}被扣收年费600元，身份证{VALID_ID}，请回电{MOBILE}。张伟要求退还年费。"
)
SECRETS = (MOBILE, CARD, VALID_ID)


def _raw(table: str, column: str, pk: int) -> str:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0] or ""


@pytest.fixture
def sealed_case(register, people, frozen):
    frozen(at(2026, 1, 5, 11))
    case = register(
        title=f"年费争议（联系{MOBILE}）",
        narrative=NARRATIVE,
        demand_text=f"退还年费至卡号{CARD}",
    )
    return services.complaint_accept(actor=people.handler_a, complaint=case)


def test_free_text_is_stored_masked_with_the_original_encrypted(sealed_case):
    case = Complaint.objects.get(pk=sealed_case.pk)
    for column in ("title", "narrative", "demand_text"):
        stored = _raw("complaints_complaint", column, case.pk)
        assert not any(secret in stored for secret in SECRETS), column
    assert "张伟" not in case.narrative and "张*" in case.narrative  # the complainant's name
    assert "139****5678" in case.narrative and "622202*********0128" in case.demand_text
    assert looks_encrypted(_raw("complaints_complaint", "sealed_text", case.pk))
    assert sorted(sealed_fields(case)) == ["demand_text", "narrative", "title"]
    assert original(case, "narrative") == NARRATIVE
    # Saving again keeps the original; an edited text is sealed afresh.
    case.save()
    assert original(Complaint.objects.get(pk=case.pk), "narrative") == NARRATIVE
    case.narrative = "客户要求退还年费。"
    case.save()
    case = Complaint.objects.get(pk=case.pk)
    assert case.narrative == "客户要求退还年费。" and "narrative" not in sealed_fields(case)


def test_event_notes_are_sealed_too(sealed_case, people, frozen):
    frozen(at(2026, 1, 6, 9))
    services.complaint_pause(
        actor=people.handler_a,
        complaint=sealed_case,
        reason="mediation",
        told_by="phone",
        note=f"已致电{MOBILE}告知张伟调解安排",
    )
    event = ComplaintEvent.objects.get(complaint=sealed_case, action="pause")
    assert MOBILE not in _raw("complaints_complaintevent", "reason", event.pk)
    assert "张伟" not in event.reason
    assert original(event, "reason") == f"已致电{MOBILE}告知张伟调解安排"


def test_the_case_page_shows_masked_text_and_reveals_it_with_a_logged_reason(
    client, sealed_case, people
):
    url = reverse("complaints:detail", args=[sealed_case.pk])
    client.force_login(people.officer_a)
    page = client.get(url).content.decode()
    assert not any(secret in page for secret in SECRETS)
    assert "已脱敏" in page and "查看原文" in page
    reveal = reverse("complaints:text_reveal", args=[sealed_case.pk])
    # No reason: refused, nothing shown, nothing logged.
    response = client.post(reveal, {"target": "narrative", "reason": "...."})
    assert response.status_code == 400 and CARD not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()
    response = client.post(reveal, {"target": "narrative", "reason": "核实客户卡号"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert CARD in response.content.decode() and VALID_ID in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.actor, access.field, access.case_ref, access.reason) == (
        people.officer_a,
        "narrative",
        sealed_case.registry_no,
        "核实客户卡号",
    )


def test_the_page_refuses_a_reveal_without_the_right_or_out_of_scope(client, sealed_case, people):
    reveal = reverse("complaints:text_reveal", args=[sealed_case.pk])
    client.force_login(people.auditor)  # sees the case, may not unmask
    assert (
        "查看原文"
        not in client.get(reverse("complaints:detail", args=[sealed_case.pk])).content.decode()
    )
    response = client.post(reveal, {"target": "narrative", "reason": "核实客户卡号"})
    assert response.status_code == 403 and CARD not in response.content.decode()
    client.force_login(people.officer_b)
    assert client.post(reveal, {"target": "title", "reason": "核实客户卡号"}).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_an_event_note_is_revealed_on_the_page(client, sealed_case, people, frozen):
    frozen(at(2026, 1, 6, 9))
    services.complaint_pause(
        actor=people.handler_a,
        complaint=sealed_case,
        reason="mediation",
        told_by="phone",
        note=f"已致电{MOBILE}",
    )
    event = ComplaintEvent.objects.get(complaint=sealed_case, action="pause")
    client.force_login(people.handler_a)
    page = client.get(reverse("complaints:detail", args=[sealed_case.pk])).content.decode()
    assert MOBILE not in page and f"event:{event.pk}" in page
    reveal = reverse("complaints:text_reveal", args=[sealed_case.pk])
    response = client.post(reveal, {"target": f"event:{event.pk}", "reason": "回拨客户电话"})
    assert response.status_code == 200 and MOBILE in response.content.decode()
    assert PersonalDataAccess.objects.get().field == "event_reason"


def test_registry_export_and_admin_show_the_masked_text(
    client, sealed_case, people, make_user, org
):
    from xiaobao.organisation.choices import Role

    client.force_login(people.officer_a)
    registry = client.get(reverse("complaints:registry")).content.decode()
    assert not any(secret in registry for secret in SECRETS)
    admin = make_user("sysadmin", org.hq, Role.SYSADMIN)
    client.force_login(admin)
    change = client.get(reverse("admin:complaints_complaint_change", args=[sealed_case.pk]))
    assert change.status_code == 200
    assert not any(secret in change.content.decode() for secret in SECRETS)


def test_the_api_shows_masked_text_and_reveals_it_with_a_logged_reason(sealed_case, people):
    api = APIClient()
    api.force_authenticate(people.officer_a)
    detail = api.get(f"/api/v1/complaints/{sealed_case.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200 and not any(secret in body for secret in SECRETS)
    assert sorted(detail.json()["sealed_fields"]) == ["demand_text", "narrative", "title"]
    url = f"/api/v1/complaints/{sealed_case.pk}/text-reveal/"
    response = api.post(url, {"field": "demand_text", "reason": "   "}, format="json")
    assert response.status_code in (400, 422) and response.json()["field"] == "reason"
    response = api.post(url, {"field": "demand_text", "reason": "核实退款卡号"}, format="json")
    assert response.status_code == 200 and response.json()["value"] == f"退还年费至卡号{CARD}"
    assert (
        PersonalDataAccess.objects.filter(field="demand_text", actor=people.officer_a).count() == 1
    )
    # Without the right: 403; out of scope: 404; nothing logged.
    api.force_authenticate(people.auditor)
    assert (
        api.post(url, {"field": "narrative", "reason": "核实退款卡号"}, format="json").status_code
        == 403
    )
    api.force_authenticate(people.officer_b)
    assert (
        api.post(url, {"field": "narrative", "reason": "核实退款卡号"}, format="json").status_code
        == 404
    )
    assert PersonalDataAccess.objects.count() == 1


def test_the_api_reveals_an_event_note(sealed_case, people, frozen):
    frozen(at(2026, 1, 6, 9))
    services.complaint_pause(
        actor=people.handler_a,
        complaint=sealed_case,
        reason="mediation",
        told_by="phone",
        note=f"已致电{MOBILE}",
    )
    api = APIClient()
    api.force_authenticate(people.handler_a)
    events = api.get(f"/api/v1/complaints/{sealed_case.pk}/events/").json()
    pause = next(e for e in events if e["action"] == "pause")
    assert MOBILE not in pause["reason"] and pause["reason_sealed"] is True
    url = f"/api/v1/complaints/{sealed_case.pk}/text-reveal/"
    data = {"field": "event_reason", "event": pause["id"], "reason": "回拨客户电话"}
    response = api.post(url, data, format="json")
    assert response.status_code == 200 and response.json()["value"] == f"已致电{MOBILE}"


def test_the_bulk_registration_path_seals_too(org, people):
    from xiaobao.complaints.tests.conftest import person

    with services.deferred_registry_numbers() as numbers:
        reg = services.registration_prepare(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=at(2026, 1, 5, 10),
            intake_channel="COUNTER",
            title="年费争议",
            narrative=f"张伟请回电{MOBILE}",
            complainants=[person()],
            business_channel="COUNTER",
        )
        [case] = services.registrations_save_bulk([reg])
        numbers.assign()
    stored = _raw("complaints_complaint", "narrative", case.pk)
    assert MOBILE not in stored and "张伟" not in stored
    assert original(Complaint.objects.get(pk=case.pk), "narrative") == f"张伟请回电{MOBILE}"


def test_anonymisation_drops_the_originals(sealed_case, people, frozen):
    from xiaobao.complaints.retention import _anonymise

    frozen(at(2026, 1, 6, 9))
    services.complaint_pause(
        actor=people.handler_a,
        complaint=sealed_case,
        reason="mediation",
        told_by="phone",
        note=f"已致电{MOBILE}",
    )
    _anonymise(Complaint.objects.get(pk=sealed_case.pk), at(2030, 1, 1))
    case = Complaint.objects.get(pk=sealed_case.pk)
    assert case.sealed_text == "" and original(case, "narrative") == case.narrative
    assert not ComplaintEvent.objects.filter(complaint=case).exclude(sealed_text="").exists()


def test_the_migration_seals_text_written_before_it(register, people):
    from importlib import import_module

    from django.db import connection as db
    from django.db.migrations.loader import MigrationLoader
    from django.db.models import QuerySet

    case = register()
    # As an older release stored it: plaintext, nothing sealed (update() skips the sealing).
    Complaint.objects.filter(pk=case.pk).update(narrative=NARRATIVE, sealed_text="")
    event = case.events.get(action="register")
    QuerySet(model=ComplaintEvent).filter(pk=event.pk).update(reason=f"回电{MOBILE}")
    migration = import_module("xiaobao.complaints.migrations.0008_i1718_sealed_free_text")
    # The models as the migration sees them (plain managers, as in a real migrate).
    state = MigrationLoader(db).project_state(("complaints", "0008_i1718_sealed_free_text"))
    migration.seal_existing(state.apps, None)
    stored = _raw("complaints_complaint", "narrative", case.pk)
    assert not any(secret in stored for secret in SECRETS) and "张伟" not in stored
    assert original(Complaint.objects.get(pk=case.pk), "narrative") == NARRATIVE
    event = ComplaintEvent.objects.get(pk=event.pk)
    assert MOBILE not in event.reason and original(event, "reason") == f"回电{MOBILE}"
