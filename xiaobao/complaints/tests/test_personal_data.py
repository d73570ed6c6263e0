"""Personal data inside cases: encrypted rows, masked views, reasoned unmasking, retention."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.privacy import services as privacy
from xiaobao.privacy.choices import RequestStatus
from xiaobao.privacy.models import PersonalDataAccess

from .conftest import PHONE, VALID_ID, at, person

pytestmark = pytest.mark.django_db

CARD = "6222021234567890128"  # passes Luhn


def _raw_dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def test_raw_rows_and_logs_hold_no_plaintext_personal_data(register, frozen, caplog):
    frozen(at(2026, 1, 5, 11))
    caplog.set_level(logging.DEBUG)
    register(complainants=[person(card_number=CARD, email="zhang.wei@example.com")])
    dump = _raw_dump("complaints_complainant")
    for secret in (PHONE, VALID_ID, CARD, "zhang.wei@example.com", "钱江路"):
        assert secret not in dump
        assert secret not in caplog.text


def test_unmask_needs_permission_scope_and_a_reason_and_writes_one_record(
    register, frozen, people, make_user, org
):
    frozen(at(2026, 1, 5, 11))
    complaint = register()
    complainant = complaint.complainants.get()
    with pytest.raises(DomainError, match="须说明理由"):
        services.complainant_reveal(
            actor=people.handler_a, complainant=complainant, field="phone", reason=" "
        )
    with pytest.raises(PermissionDeniedError):
        services.complainant_reveal(
            actor=people.handler_b, complainant=complainant, field="phone", reason="回访客户需要"
        )
    with pytest.raises(PermissionDeniedError):
        services.complainant_reveal(
            actor=people.auditor, complainant=complainant, field="phone", reason="审计抽查核对"
        )
    assert PersonalDataAccess.objects.count() == 0
    value = services.complainant_reveal(
        actor=people.handler_a, complainant=complainant, field="phone", reason="电话回访客户需要"
    )
    assert value == PHONE
    record = PersonalDataAccess.objects.get()
    assert (record.actor, record.case_ref, record.field, record.reason) == (
        people.handler_a,
        complaint.registry_no,
        "phone",
        "电话回访客户需要",
    )
    assert record.unit == org.sub_a


def test_auditors_list_and_export_access_records(register, frozen, people, client):
    frozen(at(2026, 1, 5, 11))
    complaint = register()
    services.complainant_reveal(
        actor=people.handler_a,
        complainant=complaint.complainants.get(),
        field="id_number",
        reason="核对身份信息",
    )
    client.force_login(people.auditor)
    listing = client.get("/admin/privacy/personaldataaccess/")
    assert listing.status_code == 200 and "核对身份信息" in listing.content.decode()
    record = PersonalDataAccess.objects.get()
    export = client.post(
        "/admin/privacy/personaldataaccess/",
        {"action": "export_csv", "_selected_action": [record.pk]},
    )
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert "核对身份信息" in text and complaint.registry_no in text
    assert VALID_ID not in text


def _closed_case(register, people, frozen, received):
    frozen(received + timedelta(hours=1))
    complaint = register(
        received_at=received, narrative=f"客户手机{PHONE}，身份证{VALID_ID}，称年费被误收。"
    )
    services.complaint_withdraw(
        actor=people.handler_a, complaint=complaint, received_at=received + timedelta(minutes=30)
    )
    complaint.refresh_from_db()
    return complaint


def test_retention_anonymises_expired_files_and_skips_held_ones(register, people, frozen):
    old = _closed_case(register, people, frozen, at(2022, 3, 1, 10))
    held = _closed_case(register, people, frozen, at(2022, 3, 2, 10))
    recent = _closed_case(register, people, frozen, at(2025, 3, 1, 10))
    frozen(at(2026, 1, 5, 11))
    services.complaint_set_legal_hold(
        actor=people.officer_a, complaint=held, hold=True, reason="客户已起诉，诉讼中"
    )
    result = privacy.retention_run(dry_run=True)
    assert result["complaints"]["expired"] == 1
    assert Complaint.objects.filter(anonymised_at__isnull=False).count() == 0
    result = privacy.retention_run()
    assert result["complaints"] == {"expired": 1, "anonymised": 1, "held": 1}
    old.refresh_from_db()
    person_row = old.complainants.get()
    assert old.anonymised_at is not None
    assert (person_row.name, person_row.phone, person_row.id_number, person_row.phone_hash) == (
        "张*",
        "",
        "",
        "",
    )
    assert PHONE not in old.narrative and VALID_ID not in old.narrative
    assert "年费" in old.narrative  # the statistics and the story survive, the person does not
    assert old.business_category.code == "CARD_CREDIT"
    assert old.events.filter(action="anonymise").count() == 1
    held.refresh_from_db()
    recent.refresh_from_db()
    assert held.anonymised_at is None and held.complainants.get().phone == PHONE
    assert recent.anonymised_at is None
    # Running again changes nothing.
    assert privacy.retention_run()["complaints"]["anonymised"] == 0


def test_retention_command(register, people, frozen, capsys):
    _closed_case(register, people, frozen, at(2022, 3, 1, 10))
    frozen(at(2026, 1, 5, 11))
    call_command("apply_retention", "--dry-run")
    assert "'expired': 1" in capsys.readouterr().out


def test_deletion_request_under_retention_is_restricted_not_fulfilled(
    register, people, frozen, org
):
    _closed_case(register, people, frozen, at(2025, 6, 1, 10))
    frozen(at(2026, 1, 5, 11))
    request = privacy.dsr_register(
        actor=people.officer_a,
        unit=org.branch_a,
        kind="delete",
        subject_name="张伟",
        details="要求删除本人全部个人信息",
        received_at=at(2026, 1, 5, 10),
        phone=PHONE,
    )
    assert request.due_date.isoformat() == "2026-01-20"
    with pytest.raises(DomainError, match="保存期内") as excinfo:
        privacy.dsr_answer(
            actor=people.officer_a, request=request, status=RequestStatus.FULFILLED, answer="已删除"
        )
    assert "TS2025-000001" in excinfo.value.message
    answered = privacy.dsr_answer(
        actor=people.officer_a,
        request=request,
        status=RequestStatus.RESTRICTED,
        answer="投诉档案须保存至2028年，期间仅作存储，不再用于其他处理。",
    )
    assert answered.status == RequestStatus.RESTRICTED
    with pytest.raises(PermissionDeniedError):
        privacy.dsr_register(
            actor=people.officer_b,
            unit=org.branch_a,
            kind="access",
            subject_name="x",
            details="y",
            received_at=at(2026, 1, 5, 10),
            phone=PHONE,
        )


def test_deletion_is_allowed_once_nothing_must_be_kept(people, frozen, org):
    frozen(at(2026, 1, 5, 11))
    request = privacy.dsr_register(
        actor=people.officer_a,
        unit=org.branch_a,
        kind="delete",
        subject_name="王五",
        details="删除营销信息",
        received_at=at(2026, 1, 5, 10),
        phone="13900001111",
    )
    done = privacy.dsr_answer(
        actor=people.officer_a, request=request, status=RequestStatus.FULFILLED, answer="已删除"
    )
    assert done.status == RequestStatus.FULFILLED
