from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import (
    Complainant,
    Complaint,
    ComplaintEvent,
    RegistrySequence,
    TaxonomyTerm,
)
from xiaobao.complaints.taxonomy import taxonomy_term_retire
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.privacy.crypto import blind_index

from .conftest import PHONE, VALID_ID, at, person

pytestmark = pytest.mark.django_db


def test_register_starts_a_15_day_clock_counted_from_the_next_day(register, frozen, people):
    frozen(at(2026, 1, 5, 11))
    complaint = register(received_at=at(2026, 1, 5, 10))
    # Received 5 January: due by the end of 20 January (domain.md, Art. 18; Civil Code 201, 203).
    assert complaint.due_date == date(2026, 1, 20)
    assert complaint.due_at == at(2026, 1, 21, 0)
    assert complaint.status == Status.REGISTERED
    assert complaint.allowed_days == 15
    assert complaint.deadline_policy["days"] == 15
    assert any("2026年1月20日" in line for line in complaint.deadline_explanation)
    event = complaint.events.get()
    assert (event.action, event.to_status, event.actor) == (
        "register",
        Status.REGISTERED,
        people.handler_a,
    )


def test_registry_numbers_are_unique_sortable_and_per_year(register, frozen):
    frozen(at(2027, 1, 2, 9))
    first = register(received_at=at(2026, 12, 31, 23))
    second = register(received_at=at(2027, 1, 1, 8))
    third = register(received_at=at(2027, 1, 2, 8))
    assert first.registry_no == "TS2026-000001"
    assert second.registry_no == "TS2027-000001"
    assert third.registry_no == "TS2027-000002"
    assert RegistrySequence.objects.get(year=2027).last == 2


def test_personal_data_is_encrypted_at_rest_with_keyed_hashes(register, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register()
    person_row = complaint.complainants.get()
    assert person_row.phone == PHONE and person_row.id_number == VALID_ID
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, id_number, address FROM complaints_complainant WHERE id = %s",
            [person_row.pk],
        )
        raw = cursor.fetchone()
    assert all(value.startswith("v1:") for value in raw)
    assert PHONE not in "".join(raw) and VALID_ID not in "".join(raw)
    assert person_row.phone_hash == blind_index(PHONE, kind="phone")
    # Exact lookups by phone work through the hash, without decrypting anything.
    found = Complainant.objects.filter(phone_hash=blind_index("138 0013 8000", kind="phone"))
    assert list(found) == [person_row]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"title": "  "}, "title", "标题"),
        ({"narrative": ""}, "narrative", "事实"),
        ({"complainants": []}, "complainants", "至少填写一位投诉人"),
        ({"complainants": [person(name="")]}, "complainants.0.name", "姓名"),
        ({"complainants": [person(phone="12345")]}, "complainants.0.phone", "格式不正确"),
        (
            {"complainants": [person(phone="", address="", email="")]},
            "complainants.0.phone",
            "至少留下一种联系方式",
        ),
        (
            {"complainants": [person(id_number="110105194912310021")]},
            "complainants.0.id_number",
            "校验不通过",
        ),
        ({"complainants": [person(role="agent")]}, "complainants.0.represents", "所代表的消费者"),
        (
            {"complainants": [person(role="organisation", id_type="credit_code", id_number="123")]},
            "complainants.0.id_number",
            "统一社会信用代码",
        ),
        ({"intake_channel": "NOPE"}, "intake_channel", "不存在"),
        ({"cause": "COUNTER"}, "cause", "不存在"),
        ({"business_category": "PRICING"}, "business_category", "不存在"),
        ({"intake_channel": "R12345"}, "external_ref", "转办编号"),
        (
            {"intake_channel": "R12345", "external_ref": "GD2026-1"},
            "referrer_received_on",
            "转办方受理日期",
        ),
        (
            {
                "intake_channel": "R12345",
                "external_ref": "GD2026-1",
                "referrer_received_on": date(2026, 1, 6),
            },
            "referrer_received_on",
            "不能晚于",
        ),
        ({"received_at": at(2026, 1, 6, 12)}, "received_at", "不能晚于当前时间"),
        ({"amount": Decimal("-1")}, "amount", "负数"),
    ],
)
def test_bad_input_is_refused_clearly_and_writes_nothing(
    register, frozen, overrides, field, fragment
):
    frozen(at(2026, 1, 5, 11))
    with pytest.raises(DomainError) as excinfo:
        register(**overrides)
    assert excinfo.value.field == field
    assert fragment in excinfo.value.message
    assert Complaint.objects.count() == 0
    assert Complainant.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0
    assert not RegistrySequence.objects.filter(last__gt=0).exists()


def test_referrals_keep_the_referrers_reference_and_receipt_date(register, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register(
        intake_channel="R12378",
        external_ref="NFRA-ZJ-2026-00017",
        referrer_received_on=date(2025, 12, 26),
        received_at=at(2026, 1, 5, 9),
    )
    assert complaint.external_ref == "NFRA-ZJ-2026-00017"
    # Our deadline runs from our own receipt, not the regulator's.
    assert complaint.due_date == date(2026, 1, 20)
    # Regulator referrals are tagged automatically.
    assert list(complaint.tags.values_list("code", flat=True)) == ["REGULATOR"]


def test_retired_codes_cannot_be_used_for_new_cases_but_old_cases_keep_them(register, frozen):
    frozen(at(2026, 1, 5, 11))
    old = register(cause="PRICING")
    pricing = TaxonomyTerm.objects.get(axis="cause", code="PRICING")
    taxonomy_term_retire(actor=None, term=pricing)
    with pytest.raises(DomainError, match="已停用"):
        register(cause="PRICING")
    old.refresh_from_db()
    assert old.cause == pricing


def test_staff_outside_the_unit_cannot_register_for_it(register, frozen, people, org):
    frozen(at(2026, 1, 5, 11))
    with pytest.raises(PermissionDeniedError):
        register(actor=people.handler_b)
    with pytest.raises(PermissionDeniedError):
        register(actor=people.auditor)
    assert Complaint.objects.count() == 0


def test_twenty_complainants_filing_together_make_a_major_complaint_escalated_upward(
    register, frozen, org
):
    frozen(at(2026, 1, 5, 11))
    complaint = register(intake_channel="LETTER", group_size=23)
    assert complaint.is_major and complaint.major_reason == "group"
    assert complaint.level.code == "MAJOR"
    escalation = complaint.events.get(action="escalate")
    assert [u["code"] for u in escalation.data["to_units"]] == ["HQ", "BR-a"]


def test_nineteen_complainants_are_not_automatically_major(register, frozen):
    frozen(at(2026, 1, 5, 11))
    complaint = register(group_size=19)
    assert not complaint.is_major
    assert not complaint.events.filter(action="escalate").exists()


def test_face_to_face_group_sends_at_most_five_representatives(register, frozen):
    frozen(at(2026, 1, 5, 11))
    reps = [person(name=f"代表{i}", is_representative=True) for i in range(6)]
    with pytest.raises(DomainError, match="不得超过5名"):
        register(complainants=reps, group_size=30)
    complaint = register(complainants=reps[:5], group_size=30)
    assert complaint.complainants.count() == 5 and complaint.is_major


def test_handler_cannot_be_the_person_complained_about(register, frozen, people):
    frozen(at(2026, 1, 5, 11))
    with pytest.raises(DomainError, match="回避"):
        register(complained_staff=people.handler_a, handler=people.handler_a)


def test_receipt_at_midnight_edge_counts_in_shanghai_time(register, frozen):
    # 16:30 UTC on 4 Jan is 00:30 on 5 Jan in Shanghai: the receipt day is 5 January.
    frozen(at(2026, 1, 5, 11))
    complaint = register(received_at=datetime(2026, 1, 4, 16, 30, tzinfo=UTC))
    assert complaint.due_date == date(2026, 1, 20)


def test_referrals_record_how_long_the_referrer_took_to_forward(register, frozen):
    # Referred on Friday 25 Sep 2026, received Monday 12 Oct: the National Day holiday (1–7 Oct)
    # and the make-up Saturday 10 Oct leave exactly 7 working days (28–30 Sep, 8–10 and 12 Oct).
    frozen(at(2026, 10, 12, 11))
    on_time = register(
        intake_channel="R12378",
        external_ref="NFRA-1",
        referrer_received_on=date(2026, 9, 25),
        received_at=at(2026, 10, 12, 9),
    )
    data = on_time.events.get(action="register").data
    assert (data["forwarding_workdays"], data["forwarded_late"]) == (7, False)
    late = register(
        intake_channel="R12378",
        external_ref="NFRA-2",
        referrer_received_on=date(2026, 9, 18),
        received_at=at(2026, 10, 12, 9),
    )
    assert late.events.get(action="register").data["forwarded_late"] is True
