"""Registry numbers of an import on PostgreSQL: reserved a chunk at a time in short transactions
of their own, so other registrations go on during an import; given back or recorded as voided
when an import does not use them; and re-importing after a crash adds each case once.

Run on PostgreSQL only (skipped on SQLite, which keeps the placeholders numbered at the end)."""

from __future__ import annotations

import threading
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connections

from conftest import PASSWORD
from xiaobao.audit.models import AuditEvent
from xiaobao.complaints import services
from xiaobao.complaints.models import Complaint, RegistrySequence
from xiaobao.complaints.tests.conftest import at
from xiaobao.intake import importing
from xiaobao.intake.importing import import_complaints
from xiaobao.intake.models import ImportRun, RunStatus
from xiaobao.intake.tests.test_importing import HEADER, MAP, write_csv
from xiaobao.jobs.services import run_pending
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import User

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _data(migration_data, settings, tmp_path):
    """Taxonomies and policies after a transactional flush; uploads in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _rows(n: int, *, bad_last: bool = False) -> list[list[str]]:
    rows = [
        [f"GD-{i:03d}", f"标题{i}", f"第{i}件投诉的内容。", f"2019/3/{i % 28 + 1} 10:00",
         f"投诉人{i}", f"1380013{i:04d}", "SUB-a"]
        for i in range(1, n + 1)
    ]  # fmt: skip
    if bad_last:
        rows[-1][3] = "不是日期"
    return rows


def _between_chunks(monkeypatch, action) -> None:
    """Call `action()` once, right after the import's first chunk was written (its numbers
    reserved and its rows inserted, the import's transaction still open)."""
    real = importing._Writer.flush
    done: list[bool] = []

    def flush(self) -> None:
        had_rows = bool(self.rows)
        real(self)
        if had_rows and not done:
            done.append(True)
            action()

    monkeypatch.setattr(importing._Writer, "flush", flush)


def _elsewhere(register) -> list[object]:
    """Register a case of 2019 from another connection, through the registration service, and
    fail rather than wait more than five seconds for a lock."""
    out: list[object] = []

    def work() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            out.append(register(received_at=at(2019, 3, 5, 10)).registry_no)
        except BaseException as exc:
            out.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    return out


def _numbers(prefix: str = "GD-") -> list[str]:
    rows = Complaint.objects.filter(external_ref__startswith=prefix).order_by("external_ref")
    return list(rows.values_list("registry_no", flat=True))


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=f"registry_numbers.{action}").order_by("id"))


def test_a_registration_during_an_import_neither_waits_nor_breaks_its_order(
    tmp_path, people, register, monkeypatch
):
    monkeypatch.setattr(importing._Writer, "CHUNK", 2)
    meanwhile: list[object] = []
    _between_chunks(monkeypatch, lambda: meanwhile.extend(_elsewhere(register)))
    path = write_csv(tmp_path / "list.csv", _rows(5))
    result = import_complaints(actor=people.officer_a, path=path, mapping=MAP, channel="R12345")
    # Registered while the import's transaction was open, with the number after the first chunk.
    assert meanwhile == ["TS2019-000003"]
    assert result.committed and result.created == 5
    assert _numbers() == [f"TS2019-{n:06d}" for n in (1, 2, 4, 5, 6)]
    assert result.first_numbers == _numbers()
    assert RegistrySequence.objects.get(year=2019).last == 6
    assert not Complaint.objects.filter(registry_no__startswith="~").exists()
    # Each block is in the audit log, naming the import's file and user; nothing was voided.
    reserved = _audit("reserved")
    assert [e.data["numbers"] for e in reserved] == [
        "TS2019-000001 至 TS2019-000002",
        "TS2019-000004 至 TS2019-000005",
        "TS2019-000006",
    ]
    assert {(e.actor_id, e.data["file"]) for e in reserved} == {(people.officer_a.pk, "list.csv")}
    assert _audit("voided") == [] and _audit("returned") == []


def _command(path: Path) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command(
            "import_complaints",
            str(path),
            "--map",
            *[f"{k}={v}" for k, v in MAP.items()],
            "--channel",
            "R12345",
            "--user",
            "officer_a",
            stdout=out,
        )
    return out.getvalue()


def _wizard(path: Path, *, fails: bool = True) -> ImportRun:
    from django.test import Client

    client = Client()
    assert client.login(username="officer_a", password=PASSWORD)
    url = "/complaints/import/"
    with path.open("rb") as handle:
        response = client.post(url, {"file": handle}, follow=True)
    run = response.context["run"]
    form = response.context["form"]
    data = {
        name: str(form[name].initial or "")
        for name in form.fields
        if name.startswith("map_") or name in ("header_row", "sheet")
    }
    data = {k: v for k, v in data.items() if v}
    client.post(f"{url}{run.pk}/", {"mode": "all", "channel": "R12345", **data, "step": "import"})
    run_pending()
    html = client.get(f"{url}{run.pk}/").content.decode()
    if fails:
        assert "一行也没有导入" in html and "无法识别的时间" in html
    else:
        assert "已导入 5 件投诉" in html
    return ImportRun.objects.get(pk=run.pk)


def test_the_wizard_imports_with_reserved_numbers_and_is_done_with_its_cases(
    tmp_path, people, monkeypatch
):
    monkeypatch.setattr(importing._Writer, "CHUNK", 2)
    run = _wizard(write_csv(tmp_path / "list.csv", _rows(5)), fails=False)
    assert run.status == RunStatus.DONE and run.result["committed"]
    assert _numbers() == [f"TS2019-{n:06d}" for n in range(1, 6)]
    assert {e.data["run"] for e in _audit("reserved")} == {run.pk}
    assert len(_audit("reserved")) == 3 and _audit("voided") == []


@pytest.mark.parametrize("edge", ["command", "wizard"])
def test_a_failed_import_gives_its_numbers_back(edge, tmp_path, people, register, monkeypatch):
    monkeypatch.setattr(importing._Writer, "CHUNK", 2)
    path = write_csv(tmp_path / "有错误.csv", _rows(6, bad_last=True))
    if edge == "command":
        _command(path)
    else:
        _wizard(path)
    assert Complaint.objects.count() == 0
    # Two chunks were written (four numbers reserved) before the import failed: all went back.
    assert [e.data["numbers"] for e in _audit("returned")] == ["TS2019-000001 至 TS2019-000004"]
    assert _audit("voided") == []
    assert RegistrySequence.objects.get(year=2019).last == 0
    assert register(received_at=at(2019, 4, 1, 10)).registry_no == "TS2019-000001"


@pytest.mark.parametrize("edge", ["command", "wizard"])
def test_numbers_a_failed_import_cannot_give_back_are_voided_in_the_audit_log(
    edge, tmp_path, people, register, monkeypatch, client
):
    monkeypatch.setattr(importing._Writer, "CHUNK", 2)
    meanwhile: list[object] = []
    _between_chunks(monkeypatch, lambda: meanwhile.extend(_elsewhere(register)))
    path = write_csv(tmp_path / "有错误.csv", _rows(6, bad_last=True))
    run = _command(path) if edge == "command" else _wizard(path)
    assert meanwhile == ["TS2019-000003"]
    assert _numbers() == []
    # The second block (4–5) was still the sequence's tail and went back; the first could not.
    assert [e.data["numbers"] for e in _audit("returned")] == ["TS2019-000004 至 TS2019-000005"]
    (voided,) = _audit("voided")
    assert voided.data["numbers"] == "TS2019-000001 至 TS2019-000002"
    assert voided.data["ranges"] == [[1, 2]] and voided.data["count"] == 2
    assert voided.actor_id == people.officer_a.pk and voided.data["file"] == "有错误.csv"
    assert voided.data["run"] == (run.pk if edge == "wizard" else None)
    assert "TS2019-000001 至 TS2019-000002" in voided.summary and "一件也未登记" in voided.summary
    assert voided.unit.parent_id is None  # filed under head office: the registry is theirs
    assert register(received_at=at(2019, 4, 1, 10)).registry_no == "TS2019-000004"
    # Where an administrator explains the gap: the audit log, filtered to voided numbers.
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))
    page = client.get("/admin/audit/auditevent/", {"action": "registry_numbers.voided"})
    assert page.status_code == 200
    assert "TS2019-000001 至 TS2019-000002" in page.content.decode()


def test_rows_refused_in_partial_mode_leave_no_gap(tmp_path, people, make_user, org):
    """A historical row is refused after its case was registered (inside its savepoint: its
    number goes back to the next row); a row with a bad phone before it took one."""
    clerk = make_user("clerk", org.branch_a, Role.BUSINESS_DEPT)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["add_complaint", "view_complaint"])
    )
    clerk = User.objects.get(pk=clerk.pk)  # fresh permission cache
    assert not clerk.has_perm("complaints.handle_complaint")
    header = [*HEADER, "答复内容", "答复时间", "处理结果"]
    rows = [[*row, "", "", ""] for row in _rows(8)]
    rows[1][-3:] = ["已解释", "2019/3/20 10:00", "诉求不成立"]  # may not be answered by a clerk
    rows[4][5] = "12345"  # not a phone number
    mapping = {**MAP, "decision_text": "答复内容", "decided_at": "答复时间", "outcome": "处理结果"}
    path = write_csv(tmp_path / "部分.csv", rows, header=header)
    importing._Writer.CHUNK, chunk = 3, importing._Writer.CHUNK
    try:
        result = import_complaints(
            actor=clerk, path=path, mapping=mapping, channel="R12345", partial=True
        )
    finally:
        importing._Writer.CHUNK = chunk
    assert result.committed and result.created == 6
    assert sorted(result.rejected) == [3, 6]  # file rows (the header is row 1)
    assert _numbers() == [f"TS2019-{n:06d}" for n in range(1, 7)]
    assert RegistrySequence.objects.get(year=2019).last == 6
    assert _audit("voided") == []


def test_reimport_after_a_crash_adds_each_case_once(tmp_path, people, monkeypatch):
    monkeypatch.setattr(importing._Writer, "CHUNK", 2)
    real = services.registrations_save_bulk
    calls: list[int] = []

    def crash_on_the_second_chunk(regs):
        calls.append(len(regs))
        if len(calls) == 2:
            raise SystemExit("the worker was killed")
        return real(regs)

    monkeypatch.setattr(services, "registrations_save_bulk", crash_on_the_second_chunk)
    # A process that dies gives nothing back and records nothing after the crash.
    monkeypatch.setattr(services.DeferredNumbers, "settle", lambda self, **kw: None)
    path = write_csv(tmp_path / "list.csv", _rows(5))
    with pytest.raises(SystemExit):
        import_complaints(actor=people.officer_a, path=path, mapping=MAP, channel="R12345")
    assert Complaint.objects.count() == 0
    # The numbers the dead import took are gone, and the audit log says where they went.
    assert RegistrySequence.objects.get(year=2019).last == 4
    assert [e.data["numbers"] for e in _audit("reserved")] == [
        "TS2019-000001 至 TS2019-000002",
        "TS2019-000003 至 TS2019-000004",
    ]
    monkeypatch.undo()
    first = import_complaints(actor=people.officer_a, path=path, mapping=MAP, channel="R12345")
    again = import_complaints(actor=people.officer_a, path=path, mapping=MAP, channel="R12345")
    assert first.created == 5 and again.created == 0 and len(again.duplicates) == 5
    assert _numbers() == [f"TS2019-{n:06d}" for n in range(5, 10)]
