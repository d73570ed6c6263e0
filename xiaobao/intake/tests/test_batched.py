"""The batched registration path writes exactly what the one-case service writes: the same file
imported both ways (each rolled back), compared row for row — cases, numbers, deadlines,
taxonomy links, complainants with their blind indexes, events, webhook deliveries; and an import
interrupted half-way leaves nothing, so running it again neither loses nor duplicates a case."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from xiaobao.api.models import WebhookDelivery
from xiaobao.api.services import webhook_subscription_create
from xiaobao.complaints import services
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.complaints.tests.conftest import VALID_ID
from xiaobao.intake import importing
from xiaobao.intake.importing import import_complaints
from xiaobao.intake.tests.test_importing import shared_data  # noqa: F401
from xiaobao.intake.tests.test_messy_files import real_messages
from xiaobao.reports.facts import COLUMNS
from xiaobao.reports.models import ComplaintFact, PersonFact

pytestmark = pytest.mark.django_db

HEADER = [
    "工单编号", "标题", "诉求内容", "受理时间", "来电人", "联系电话", "证件号码", "地址",
    "承办机构", "渠道", "诉求类型", "涉及金额", "业务类别", "投诉原因", "敏感标签", "转办方受理日期",
]  # fmt: skip
MAP = {
    "external_ref": "工单编号",
    "title": "标题",
    "narrative": "诉求内容",
    "received_at": "受理时间",
    "complainant_name": "来电人",
    "complainant_phone": "联系电话",
    "complainant_id_number": "证件号码",
    "complainant_address": "地址",
    "unit": "承办机构",
    "channel": "渠道",
    "demands": "诉求类型",
    "amount": "涉及金额",
    "business_category": "业务类别",
    "cause": "投诉原因",
    "tags": "敏感标签",
    "referrer_received_on": "转办方受理日期",
}
ID_NUMBER = VALID_ID


@pytest.fixture
def varied_csv(tmp_path, shared_data) -> Path:  # noqa: F811
    """Real messages with every kind of value the registration takes, and some refusals."""
    path = tmp_path / "varied.csv"
    channels = ["R12345", "12363", "COUNTER", "R12378"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i, r in enumerate(real_messages(60)):
            out.writerow(
                [
                    f"V-{i:03d}",
                    r["留言主题"] if i % 5 else "",
                    r["留言详情"],
                    r["留言时间"],
                    r["留言用户"],
                    "" if i % 7 == 3 else f"1390000{i:04d}",
                    ID_NUMBER if i % 4 == 0 else ("110105194912310028" if i == 10 else ""),
                    "杭州市西湖区文三路1号" if i % 3 == 0 else "",
                    ["SUB-a", "A支行", "OUT-a", "SUB-b"][i % 4],
                    channels[i % 4],
                    ["REFUND", "EXPLANATION、赔礼道歉", ""][i % 3],
                    ["¥1,200.00", "", "300元"][i % 3],
                    ["CARD", "", "LOAN"][i % 3],
                    ["PRICING", "", "SERVICE"][i % 3],
                    "ELDERLY" if i % 6 == 0 else "",
                    "" if i % 2 else r["留言时间"][:10],
                ]
            )
        out.writerow(["V-000", "重复", "同一文件中重复的编号", "2020/1/6 10:00", "甲", "13900001111",
                      "", "", "SUB-a", "R12345", "", "", "", "", "", ""])  # fmt: skip
    return path


class _Undo(Exception):
    pass


def _stable(payload: dict[str, Any]) -> dict[str, Any]:
    """A delivery's payload without what differs between any two runs: its own id and time,
    and the database keys of the event and the case."""
    payload = {k: v for k, v in payload.items() if k not in ("id", "occurred_at")}
    payload["event"] = {k: v for k, v in payload["event"].items() if k != "id"}
    payload["complaint"] = {k: v for k, v in payload["complaint"].items() if k != "id"}
    return payload


def _snapshot() -> list[Any]:
    out = []
    skip = {"id", "created_at", "updated_at"}
    for case in Complaint.objects.order_by("external_ref").prefetch_related(
        "demands", "tags", "complainants", "events"
    ):
        fields = {
            f.attname: getattr(case, f.attname)
            for f in Complaint._meta.concrete_fields
            if f.attname not in skip
        }
        fields["demands"] = sorted(t.code for t in case.demands.all())
        fields["tags"] = sorted(t.code for t in case.tags.all())
        people = [
            {
                f.attname: getattr(p, f.attname)
                for f in Complainant._meta.concrete_fields
                if f.attname not in ("id", "complaint_id")
            }
            for p in case.complainants.all()
        ]
        events = [
            (e.action, e.from_status, e.to_status, e.reason, e.data, e.actor_id)
            for e in sorted(case.events.all(), key=lambda e: e.pk)
        ]
        deliveries = sorted(
            (d.subscription_id, d.event.action, str(_stable(d.payload)))
            for d in WebhookDelivery.objects.filter(event__complaint=case)
        )
        # The statistics store: the batched path writes it from the objects, chunk by chunk.
        facts = list(
            ComplaintFact.objects.filter(complaint_id=case.pk).values(
                *(c for c in COLUMNS if c != "complaint_id")
            )
        )
        persons = sorted(
            PersonFact.objects.filter(fact_id=case.pk).values_list(
                "id_number_hash", "phone_hash", "person_key", "repeated"
            )
        )
        out.append((fields, people, events, deliveries, facts, persons))
    return out


def _imported(actor: Any, path: Path, *, batched: bool) -> tuple[Any, list[Any]]:
    try:
        with transaction.atomic():
            result = import_complaints(
                actor=actor, path=path, mapping=MAP, partial=True, batched=batched
            )
            snapshot = _snapshot()
            raise _Undo
    except _Undo:
        pass
    return result, snapshot


def test_batched_and_one_case_paths_write_the_same_rows(varied_csv, people, org, monkeypatch):
    webhook_subscription_create(
        actor=None, name="客服中心", url="https://a.example/hook", unit=org.hq, secret="s" * 32
    )
    monkeypatch.setattr(importing._Writer, "CHUNK", 7)  # several chunks, some with refusals
    one_by_one, expected = _imported(people.hq_officer, varied_csv, batched=False)
    batched, actual = _imported(people.hq_officer, varied_csv, batched=True)
    assert Complaint.objects.count() == 0
    assert one_by_one.created > 40 and one_by_one.rejected  # the file has refusals too
    for name in ("created", "rejected", "duplicates"):
        assert getattr(batched, name) == getattr(one_by_one, name), name
    assert [str(e) for e in batched.errors] == [str(e) for e in one_by_one.errors]
    assert len(actual) == len(expected) == one_by_one.created
    for mine, theirs in zip(actual, expected, strict=True):
        assert mine == theirs
    # What the comparison covers is really there.
    fields, people_rows, events, deliveries, facts, persons = actual[0]
    assert fields["registry_no"].startswith("TS2020-") and fields["due_at"]
    assert people_rows[0]["phone_hash"] and events[0][0] == "register" and deliveries
    assert facts[0]["received_at"] == fields["received_at"] and persons[0][1]
    assert any(p[3] for *_rest, persons in actual for p in persons)  # a repeat complainant


def test_an_interrupted_import_leaves_nothing_and_a_rerun_completes(
    varied_csv, people, monkeypatch
):
    real = services.registrations_save_bulk
    calls = []

    def crash_on_the_third_chunk(regs):
        calls.append(len(regs))
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        return real(regs)

    monkeypatch.setattr(importing._Writer, "CHUNK", 10)
    monkeypatch.setattr(services, "registrations_save_bulk", crash_on_the_third_chunk)
    with pytest.raises(RuntimeError):
        import_complaints(actor=people.hq_officer, path=varied_csv, mapping=MAP, partial=True)
    assert Complaint.objects.count() == 0 and Complainant.objects.count() == 0
    monkeypatch.setattr(services, "registrations_save_bulk", real)
    first = import_complaints(actor=people.hq_officer, path=varied_csv, mapping=MAP, partial=True)
    again = import_complaints(actor=people.hq_officer, path=varied_csv, mapping=MAP, partial=True)
    assert first.created == Complaint.objects.count() and again.created == 0
    numbers = sorted(Complaint.objects.values_list("registry_no", flat=True))
    assert len(set(numbers)) == len(numbers)
