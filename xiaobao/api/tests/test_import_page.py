"""The staff import page: upload, map, preview, import, report."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import PASSWORD
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.tests.test_importing import ROWS, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.urls("xiaobao.api.tests.urls_import")]

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
        return client.post(URL, {"step": "upload", "file": handle}, follow=True)


def _mapping(response) -> dict[str, str]:
    form = response.context["form"]
    data = {name: form[name].initial or "" for name in form.fields if name.startswith("map_")}
    return {k: v for k, v in data.items() if v}


def test_upload_map_preview_import(officer, tmp_path):
    response = _upload(officer, write_csv(tmp_path / "转办.csv", ROWS))
    assert response.status_code == 200
    mapping = _mapping(response)
    # The usual column titles of referral lists are recognised.
    assert mapping == {
        "map_external_ref": "工单编号",
        "map_title": "标题",
        "map_narrative": "诉求内容",
        "map_received_at": "受理时间",
        "map_complainant_name": "来电人",
        "map_complainant_phone": "联系电话",
        "map_unit": "承办机构",
    }
    response = officer.post(URL, {**mapping, "channel": "R12345", "step": "preview"})
    html = response.content.decode()
    result = response.context["result"]
    assert (result.created, result.dry_run, result.errors) == (3, True, [])
    assert "校验通过" in html and "138****8000" in html and "13800138000" not in html
    assert "张*" in html and "张伟" not in html
    assert Complaint.objects.count() == 0
    response = officer.post(URL, {**mapping, "channel": "R12345", "step": "import"})
    assert response.context["done"] and "已导入 3 件投诉" in response.content.decode()
    assert Complaint.objects.count() == 3
    assert set(Complaint.objects.values_list("created_by__username", flat=True)) == {"officer_a"}


def test_bad_rows_give_a_downloadable_report_and_import_nothing(officer, tmp_path):
    rows = [*ROWS, ["GD-9", "标题", "内容", "不是日期", "赵六", "13600136000", "SUB-a"]]
    response = _upload(officer, write_csv(tmp_path / "bad.csv", rows))
    mapping = _mapping(response)
    response = officer.post(URL, {**mapping, "channel": "R12345", "step": "import"})
    html = response.content.decode()
    assert "不会导入任何数据" in html and "无法识别的时间" in html
    assert Complaint.objects.count() == 0
    report = officer.get("/complaints/import/report.csv")
    lines = list(csv.reader(b"".join(report.streaming_content).decode("utf-8-sig").splitlines()))
    assert lines[0] == ["行号", "列", "字段", "级别", "说明"]
    assert ["5", "受理时间", "received_at", "错误"] in [line[:4] for line in lines]


def test_refuses_other_files_and_needs_the_right(client, officer, people, tmp_path):
    bogus = tmp_path / "x.exe"
    bogus.write_bytes(b"MZ")
    response = _upload(officer, bogus)
    assert "只支持" in response.content.decode()
    client.logout()
    client.login(username="auditor", password=PASSWORD)
    assert client.get(URL).status_code == 403
