"""The regulator workbook, opened and read back, reconciles with the registry cell by cell."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from openpyxl import load_workbook

from xiaobao.complaints.choices import Axis, Kind, Status
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.organisation.models import Unit
from xiaobao.reports.renderers import read_sheet
from xiaobao.reports.selectors import viewer_for
from xiaobao.reports.workbook import ReportPeriod, regulator_workbook

pytestmark = pytest.mark.django_db


def registry(unit_code: str | None, own_only: bool = False) -> Q:
    """Counted Q1 2026 cases, written independently of the statistics code."""
    q = Q(
        kind=Kind.COMPLAINT,
        received_at__date__gte="2026-01-01",
        received_at__date__lte="2026-03-31",
    ) & ~Q(status__in=[Status.MERGED, Status.DECLINED])
    if unit_code:
        unit = Unit.objects.get(code=unit_code)
        q &= Q(unit=unit) if own_only else Q(unit__path__startswith=unit.path)
    return q


def axis_q(field: str, label: str, axis: Axis) -> Q:
    if label == "未分类":
        return Q(**{f"{field}__isnull": True})
    name = label.removeprefix("其中：")
    term = TaxonomyTerm.objects.get(axis=axis, name=name)
    if label.startswith("其中："):
        return Q(**{field: term})
    return Q(**{field: term}) | Q(**{f"{field}__parent": term})


@pytest.fixture
def book(quarter, tmp_path):
    out = tmp_path / "q1.xlsx"
    call_command("regulator_workbook", quarter="2026Q1", out=str(out))
    return load_workbook(out)


def test_sheets(book):
    assert book.sheetnames == [
        "填报说明",
        "业务类别×机构",
        "投诉原因×机构",
        "业务办理渠道×机构",
        "投诉渠道",
        "办理时效",
        "年度信息披露",
    ]
    notes = [c.value for row in book["业务类别×机构"].iter_rows() for c in row if c.value]
    assert any("剔除已合并的重复投诉和不予受理" in str(n) for n in notes)


@pytest.mark.parametrize(
    ("sheet", "field", "axis"),
    [
        ("业务类别×机构", "business_category", Axis.BUSINESS_CATEGORY),
        ("投诉原因×机构", "cause", Axis.CAUSE),
        ("业务办理渠道×机构", "business_channel", Axis.BUSINESS_CHANNEL),
    ],
)
def test_every_axis_cell_matches_the_registry(book, sheet, field, axis):
    header, rows = read_sheet(book[sheet])
    assert header[:3] == ["机构代码", "机构名称", "合计"]
    checked = 0
    for row in rows:
        code, name = row[0], row[1]
        base = registry(code or None, own_only="本级" in name)
        assert row[2] == Complaint.objects.filter(base).count(), (sheet, name)
        for label, value in zip(header[3:], row[3:], strict=True):
            expected = Complaint.objects.filter(base & axis_q(field, label, axis)).count()
            assert value == expected, (sheet, name, label)
            checked += expected
    assert [r[1] for r in rows] == ["A分行", "B分行", "合计"]
    assert rows[-1][2] == 9
    assert checked > 0


def test_category_columns_include_sub_categories(book):
    header, rows = read_sheet(book["业务类别×机构"])
    a = dict(zip(header, rows[0], strict=True))
    assert a["银行卡"] == 4 and a["其中：信用卡"] == 3 and a["其中：借记卡"] == 1
    assert a["贷款"] == 1 and a["其中：个人住房贷款"] == 1


def test_intake_channels_and_timeliness(book):
    header, rows = read_sheet(book["投诉渠道"])
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows if r[0]}
    assert by_code["R12345"]["合计"] == 1 and by_code["R12345"]["A分行"] == 1
    assert by_code["R12363"]["B分行"] == 1 and by_code["R12363"]["外部转办"] == "是"
    assert (
        by_code["COUNTER"]["合计"]
        == Complaint.objects.filter(registry(None), intake_channel__code="COUNTER").count()
    )
    total = dict(zip(header, rows[-1], strict=True))
    assert total["合计"] == 9 and total["占比"] == 1.0
    assert rows[-3][1] == "其中：外部转办合计" and rows[-3][3] == 2
    assert rows[-2][1].startswith("其中：转办方超期转送") and rows[-2][3] == 0

    header, rows = read_sheet(book["办理时效"])
    total = dict(zip(header, rows[-1], strict=True))
    assert total["受理量"] == 9 and total["按时答复"] == 5 and total["超期"] == 2
    assert total["按时办结率"] == pytest.approx(5 / 6)
    assert total["90%办理天数"] == 24 and total["平均办理天数"] == 12.0
    assert total["核查申请"] == 2 and total["核查改变"] == 1 and total["撤诉"] == 1
    a = dict(zip(header, rows[0], strict=True))
    assert a["每万名客户投诉量"] == 3.5
    assert a["受理量"] == Complaint.objects.filter(registry("BR-a")).count()


def test_disclosure_summary(book):
    ws = book["年度信息披露"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "共受理消费投诉9件" in text
    assert "上年同期无投诉" in text  # the 2025 case (31 Dec) is outside Jan–Mar 2025
    assert "银行卡5件（占55.6%）" in text
    assert "A分行7件（占77.8%）" in text


def test_branch_workbook_keeps_to_its_subtree(quarter):
    content = regulator_workbook(viewer=viewer_for("BR-b"), period=ReportPeriod.parse("2026Q1"))
    book = load_workbook(BytesIO(content))
    _header, rows = read_sheet(book["业务类别×机构"])
    assert [r[1] for r in rows] == ["B支行", "合计"]
    assert rows[-1][2] == 2
    text = " ".join(
        str(c.value) for row in book["年度信息披露"].iter_rows() for c in row if c.value
    )
    assert "A分行" not in text


def test_command_errors(db, tmp_path):
    with pytest.raises(CommandError, match="2026Q3"):
        call_command("regulator_workbook", quarter="2026", out=str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError):
        call_command("regulator_workbook", quarter="2026Q1", unit="NOPE", out=str(tmp_path / "x"))
