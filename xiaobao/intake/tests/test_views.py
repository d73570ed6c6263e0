"""The staff import wizard through the Django client: upload, settings, a check and an import run
by the job worker (called directly), progress, report, value mapping and profiles, limits,
unreadable files, clean-up of uploads, and scope."""

from __future__ import annotations

import csv
import zipfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import PASSWORD
from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.models import Complaint
from xiaobao.intake import services
from xiaobao.intake.models import ImportProfile, ImportRun, RunStatus
from xiaobao.intake.tests.test_importing import HEADER, ROWS, write_csv
from xiaobao.jobs.services import run_pending

pytestmark = pytest.mark.django_db

URL = "/complaints/import/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(client, people):
    assert client.login(username="officer_a", password=PASSWORD)
    return client


def _upload(client, path: Path):
    with path.open("rb") as handle:
        return client.post(URL, {"file": handle}, follow=True)


def _settings(response, **extra: str) -> dict[str, str]:
    form = response.context["form"]
    data = {
        name: str(form[name].initial or "")
        for name in form.fields
        if name.startswith(("map_", "value_")) or name in ("header_row", "sheet")
    }
    data = {k: v for k, v in data.items() if v}
    return {"mode": "all", **data, **extra}


def _run(response) -> ImportRun:
    return ImportRun.objects.get(pk=response.context["run"].pk)


def _uploads() -> list[str]:
    return sorted(p.name for p in services.imports_dir().iterdir())


def test_upload_check_import_in_the_background(officer, tmp_path):
    path = tmp_path / "转办.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        out = csv.writer(handle)
        out.writerows(
            [["杭州市12345热线转办明细表"], HEADER, *ROWS, ["合计", "", "", "", "", "", ""]]
        )
    response = _upload(officer, path)
    assert response.status_code == 200
    run = _run(response)
    assert run.status == RunStatus.UPLOADED and len(_uploads()) == 1
    data = _settings(response, channel="R12345")
    # The title row is skipped: the header is row 2 and the usual column titles are recognised.
    assert data["header_row"] == "2"
    assert {k: v for k, v in data.items() if k.startswith("map_")} == {
        "map_external_ref": "工单编号",
        "map_title": "标题",
        "map_narrative": "诉求内容",
        "map_received_at": "受理时间",
        "map_complainant_name": "来电人",
        "map_complainant_phone": "联系电话",
        "map_unit": "承办机构",
    }
    page = f"{URL}{run.pk}/"
    response = officer.post(page, {**data, "step": "preview"}, follow=True)
    assert _run(response).status == RunStatus.QUEUED
    html = response.content.decode()
    assert "已排队" in html and 'http-equiv="refresh"' in html
    assert run_pending() == 1
    response = officer.get(page)
    result = response.context["result"]
    assert (result.created, result.dry_run, result.errors, result.footers) == (3, True, [], 1)
    html = response.content.decode()
    assert "校验完成" in html and "138****8000" in html and "13800138000" not in html
    assert "张*" in html and "张伟" not in html
    assert Complaint.objects.count() == 0 and len(_uploads()) == 1  # kept for the import
    response = officer.post(page, {**_settings(response, channel="R12345"), "step": "import"})
    assert run_pending() == 2  # the import, then the index job it wrote with its cases
    response = officer.get(page)
    assert "已导入 3 件投诉" in response.content.decode()
    assert Complaint.objects.count() == 3 and _uploads() == []  # the upload is gone
    assert set(Complaint.objects.values_list("created_by__username", flat=True)) == {"officer_a"}
    moves = list(
        AuditEvent.objects.filter(object_type="intake.importrun", object_id=str(run.pk))
        .order_by("pk")
        .values_list("data__from", "data__to")
    )
    assert moves == [
        (None, "uploaded"),
        ("uploaded", "queued"),
        ("queued", "running"),
        ("running", "checked"),
        ("checked", "queued"),
        ("queued", "running"),
        ("running", "done"),
    ]


def test_bad_rows_all_or_nothing_then_partial_with_a_report(officer, tmp_path):
    rows = [*ROWS, ["GD-9", "标题", "内容", "不是日期", "赵六", "13600136000", "SUB-a"]]
    path = write_csv(tmp_path / "bad.csv", rows)
    response = _upload(officer, path)
    run = _run(response)
    page = f"{URL}{run.pk}/"
    officer.post(page, {**_settings(response, channel="R12345"), "step": "import"})
    run_pending()
    response = officer.get(page)
    html = response.content.decode()
    assert "一行也没有导入" in html and "无法识别的时间" in html and "不是日期" in html
    assert Complaint.objects.count() == 0 and _uploads() == []
    report = officer.get(f"{page}report.csv")
    lines = list(csv.reader(report.content.decode("utf-8-sig").splitlines()))
    assert lines[0] == ["工作表", "行号", "列", "原值", "级别", "问题", "处理办法"]
    (bad,) = [line for line in lines if line[1] == "5"]
    assert bad[2:5] == ["受理时间", "不是日期", "错误"] and "2019年2月3日 下午3时" in bad[6]
    # The same file again, importing the valid rows and reporting the rest.
    response = _upload(officer, path)
    run = _run(response)
    page = f"{URL}{run.pk}/"
    officer.post(page, {**_settings(response, channel="R12345", mode="partial"), "step": "import"})
    run_pending()
    html = officer.get(page).content.decode()
    assert "已导入 3 件投诉" in html and "1 行有错误，未导入" in html
    assert Complaint.objects.count() == 3


def test_wizard_messages_speak_of_its_own_controls(officer, tmp_path):
    response = _upload(officer, write_csv(tmp_path / "a.csv", ROWS))
    run = _run(response)
    data = _settings(response)  # no default channel and no channel column
    response = officer.post(f"{URL}{run.pk}/", {**data, "step": "preview"})
    html = response.content.decode()
    assert "缺省投诉渠道" in html and "--" not in "".join(
        response.context["form"].non_field_errors()
    )
    assert "--map" not in html and "--channel" not in html and "--unit" not in html
    assert _run(response).status == RunStatus.UPLOADED


def test_value_mapping_is_remembered_as_a_profile(officer, tmp_path, org):
    header = [*HEADER, "渠道"]
    rows = [[*row[:6], "信用卡中心", "柜面"] for row in ROWS]
    path = write_csv(tmp_path / "台账.csv", rows, header=header)
    response = _upload(officer, path)
    run = _run(response)
    page = f"{URL}{run.pk}/"
    officer.post(page, {**_settings(response), "map_channel": "渠道", "step": "preview"})
    run_pending()
    response = officer.get(page)
    assert response.context["result"].unknown == {"unit": ["信用卡中心"], "channel": ["柜面"]}
    labels = {f.label: f.name for f in response.context["form"].value_rows()}
    assert set(labels) == {"责任机构：信用卡中心", "投诉渠道：柜面"}
    data = {
        **_settings(response),
        labels["责任机构：信用卡中心"]: "SUB-a",
        labels["投诉渠道：柜面"]: "COUNTER",
        "profile_name": "信用卡中心台账",
        "step": "import",
    }
    officer.post(page, data)
    run_pending()
    assert Complaint.objects.count() == 3
    assert set(Complaint.objects.values_list("intake_channel__code", "unit__code")) == {
        ("COUNTER", "SUB-a")
    }
    profile = ImportProfile.objects.get(name="信用卡中心台账")
    assert profile.settings["values"] == {
        "unit": {"信用卡中心": "SUB-a"},
        "channel": {"柜面": "COUNTER"},
    }
    # Next month's file from the same source: the profile fills in columns and words.
    rows = [[f"{row[0]}-2", *row[1:6], "信用卡中心", "柜面"] for row in ROWS]
    response = _upload(officer, write_csv(tmp_path / "台账2.csv", rows, header=header))
    assert response.context["profile"] == profile
    data = _settings(response)
    assert data["map_channel"] == "渠道"
    run = _run(response)
    officer.post(f"{URL}{run.pk}/", {**data, "step": "import"})
    run_pending()
    assert Complaint.objects.count() == 6


def test_a_zip_bomb_and_a_damaged_file_give_clear_errors_not_500(officer, tmp_path, settings):
    settings.XIAOBAO_IMPORT = {**settings.XIAOBAO_IMPORT, "MAX_UNPACKED_BYTES": 5 * 1024 * 1024}
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    response = _upload(officer, bomb)
    assert response.status_code == 200
    assert "解压后有 20 MB" in response.content.decode()
    assert _run(response).status == RunStatus.FAILED and _uploads() == []
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04garbage")
    response = _upload(officer, damaged)
    assert response.status_code == 200 and "无法读取该 Excel 文件" in response.content.decode()
    assert _uploads() == []


def test_size_limit_and_file_types(officer, tmp_path, settings, people, client):
    settings.XIAOBAO_IMPORT = {**settings.XIAOBAO_IMPORT, "MAX_BYTES": 100}
    response = _upload(officer, write_csv(tmp_path / "big.csv", ROWS))
    assert "文件超过 0 MB" in response.content.decode() and _uploads() == []
    bogus = tmp_path / "x.exe"
    bogus.write_bytes(b"MZ")
    assert "只支持" in _upload(officer, bogus).content.decode()
    assert ImportRun.objects.count() == 0


def test_abandoned_and_forgotten_uploads_are_deleted(officer, tmp_path):
    response = _upload(officer, write_csv(tmp_path / "a.csv", ROWS))
    run = _run(response)
    officer.post(f"{URL}{run.pk}/", {"step": "abandon"})
    run.refresh_from_db()
    assert run.status == RunStatus.ABANDONED and _uploads() == []
    # A forgotten upload and a file no run holds are swept away.
    response = _upload(officer, write_csv(tmp_path / "b.csv", ROWS))
    forgotten = _run(response)
    orphan = services.imports_dir() / "0123abcd.csv"
    orphan.write_text("x")
    later = timezone.now() + timedelta(hours=25)
    assert services.import_runs_sweep(now=later) == {"abandoned": 1, "failed": 0, "files": 1}
    forgotten.refresh_from_db()
    assert forgotten.status == RunStatus.ABANDONED and _uploads() == []
    out = StringIO()
    call_command("sweep_imports", stdout=out)
    assert "已清理" in out.getvalue()


def test_runs_are_scoped_and_need_the_right(client, officer, people, tmp_path):
    response = _upload(officer, write_csv(tmp_path / "a.csv", ROWS))
    run = _run(response)
    client.logout()
    assert client.login(username="officer_b", password=PASSWORD)
    assert client.get(f"{URL}{run.pk}/").status_code == 404
    assert client.get(f"{URL}{run.pk}/report.csv").status_code == 404
    client.logout()
    assert client.login(username="auditor", password=PASSWORD)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{run.pk}/").status_code == 403
