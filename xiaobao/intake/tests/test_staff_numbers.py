"""The staff member complained about, matched by staff number (工号) in bulk imports, so that
recusal fires for imported cases through the API and the page as for registered ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Complaint

from .test_importing import HEADER, HISTORY_HEADER, MAP, run, write_csv

pytestmark = pytest.mark.django_db

STAFF_HEADER = [*HEADER, "被投诉人员", "工号"]
STAFF_MAP = {**MAP, "complained_staff_name": "被投诉人员", "complained_staff_no": "工号"}


def _row(ref: str, name: str, number: str, unit: str = "SUB-a") -> list[str]:
    head = [ref, "柜面服务态度", "柜员态度恶劣。", "2026/1/5 10:00", "张伟", "13800138000"]
    return [*head, unit, name, number]


def test_an_imported_case_names_the_staff_member_and_recusal_fires(tmp_path, people):
    people.handler_a.display_name = "韩立"
    people.handler_a.save()
    path = write_csv(tmp_path / "staff.csv", [_row("GD-1", "韩立", "handler_a")], STAFF_HEADER)
    result = run(people.officer_a, path, mapping=STAFF_MAP)
    assert result.errors == []
    assert not [w for w in result.warnings if w.field.startswith("complained_staff")]
    case = Complaint.objects.get(external_ref="GD-1")
    assert case.complained_staff == people.handler_a and not case.recusal_unchecked

    # Through the API: the person complained about cannot accept the case.
    api = APIClient()
    api.force_authenticate(people.handler_a)
    response = api.post(f"/api/v1/complaints/{case.pk}/accept/", {}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "recusal"
    # Through the page: the person cannot accept it, nor be assigned by a supervisor.
    client = Client()
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:action", args=[case.pk, "accept"]))
    assert response.status_code == 400 and "回避" in response.content.decode()
    client.force_login(people.officer_a)
    url = reverse("complaints:action", args=[case.pk, "assign"])
    response = client.post(url, {"assign-handler": people.handler_a.pk})
    assert response.status_code == 400 and "回避" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.handler is None


def test_a_name_alone_or_an_unknown_number_is_kept_with_a_warning(tmp_path, people):
    rows = [_row("GD-2", "王某", ""), _row("GD-3", "李某", "nobody-42")]
    path = write_csv(tmp_path / "names.csv", rows, STAFF_HEADER)
    result = run(people.officer_a, path, mapping=STAFF_MAP, partial=True)
    assert result.errors == []
    messages = [w.text() for w in result.warnings]
    assert any("王某" in m and "无法检查回避" in m for m in messages)
    assert any("nobody-42" in m and "无法检查回避" in m for m in messages)
    for ref, name in (("GD-2", "王某"), ("GD-3", "李某")):
        case = Complaint.objects.get(external_ref=ref)
        assert case.complained_staff is None and case.complained_staff_name == name
        assert case.recusal_unchecked


def test_a_number_that_contradicts_the_name_or_the_unit_is_a_row_error(tmp_path, people):
    people.handler_a.display_name = "韩立"
    people.handler_a.save()
    rows = [_row("GD-4", "王某", "handler_a"), _row("GD-5", "", "handler_b")]
    path = write_csv(tmp_path / "wrong.csv", rows, STAFF_HEADER)
    result = run(people.officer_a, path, mapping=STAFF_MAP)
    assert {(e.row, e.field) for e in result.errors} >= {
        (2, "complained_staff_no"),
        (3, "complained_staff_no"),
    }
    assert not Complaint.objects.filter(external_ref__in=["GD-4", "GD-5"]).exists()


def test_a_historical_case_imported_by_the_staff_member_complained_about_is_refused(
    tmp_path, people
):
    header = [*HISTORY_HEADER[: len(HEADER)], "被投诉人员", "工号", "答复内容", "办结时间"]
    # officer_a (of BR-a) imports a ledger in which they are the one complained about: the
    # replayed acceptance names the importer as handler, which recusal refuses.
    row = [*_row("GD-6", "", "officer_a", unit="BR-a"), "已解释。", "2026/1/8 16:00"]
    path = write_csv(tmp_path / "history.csv", [row], header)
    mapping = {**STAFF_MAP, "decision_text": "答复内容", "decided_at": "办结时间"}
    result = run(people.officer_a, path, mapping=mapping, channel="HOTLINE")
    assert any("回避" in e.text() for e in result.errors)
    assert not Complaint.objects.filter(external_ref="GD-6").exists()
