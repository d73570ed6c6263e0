"""Files as offices keep them, built from the real referral messages in ../shared/data: a title
row above the header, a 合计 row, full-width digits, no phone column, replies without an outcome,
merged cells, one sheet per year, Chinese dates; and the partial mode."""

from __future__ import annotations

import csv
import zipfile
from datetime import datetime
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from xiaobao.complaints.choices import Outcome
from xiaobao.complaints.models import Complaint, ComplaintEvent
from xiaobao.deadlines.engine import TZ
from xiaobao.intake.importing import ImportFileError, import_complaints
from xiaobao.intake.reading import ALL_SHEETS, Table
from xiaobao.intake.tests.test_importing import GOV_CSV, shared_data  # noqa: F401
from xiaobao.intake.values import parse_moment

pytestmark = pytest.mark.django_db

TITLE = "杭州市12345热线转办工单明细表（2020年1月）"
HEADER = ["序号", "工单编号", "来电人", "留言主题", "受理时间", "诉求内容", "承办单位"]
MAP = {
    "external_ref": "工单编号",
    "complainant_name": "来电人",
    "title": "留言主题",
    "received_at": "受理时间",
    "narrative": "诉求内容",
    "unit": "承办单位",
}


def real_messages(count: int) -> list[dict[str, str]]:
    with GOV_CSV.open(encoding="utf-8", newline="") as handle:
        return [r for _, r in zip(range(count), csv.DictReader(handle), strict=False)]


def full_width(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in value)


def office_rows(count: int) -> list[list[str]]:
    """Real messages as a 12345 export gives them: no phone column, full-width reference digits."""
    return [
        [
            str(i + 1),
            full_width(f"HZ{r['留言编号']}"),
            r["留言用户"],
            r["留言主题"],
            r["留言时间"],
            r["留言详情"],
            "SUB-a",
        ]
        for i, r in enumerate(real_messages(count))
    ]


@pytest.fixture
def messy_csv(tmp_path, shared_data) -> Path:  # noqa: F811
    path = tmp_path / "杭州12345明细.csv"
    with path.open("w", encoding="gb18030", errors="replace", newline="") as handle:
        out = csv.writer(handle)
        out.writerow([TITLE])
        out.writerow([])
        out.writerow(HEADER)
        out.writerows(office_rows(30))
        out.writerow(["合计", "", "", "", "", "30件", ""])
        out.writerow(["制表人：王某", "", "", "", "", "", ""])
    return path


def test_title_row_footer_full_width_and_no_phone_import_with_warnings_only(messy_csv, people):
    table = Table(messy_csv)
    assert table.header_row == 3 and table.headers[:3] == ["序号", "工单编号", "来电人"]
    dry = import_complaints(
        actor=people.officer_a, path=messy_csv, mapping=MAP, channel="R12345", dry_run=True
    )
    assert dry.errors == [] and dry.rows == 30 and dry.footers == 2
    assert Complaint.objects.count() == 0  # the dry run wrote nothing
    result = import_complaints(
        actor=people.officer_a, path=messy_csv, mapping=MAP, channel="R12345"
    )
    assert (
        result.committed and result.errors == [] and result.created == 30 - len(result.duplicates)
    )
    footers = [w for w in result.warnings if "不是投诉记录" in w.text()]
    assert [(w.row, w.value[:2]) for w in footers] == [(34, "合计"), (35, "制表")]
    no_contact = [w for w in result.warnings if w.field == "complainant_phone"]
    assert len(no_contact) == 30 and "由转办方" in no_contact[0].text()
    # Full-width digits were folded: the reference is the ASCII one.
    first = Complaint.objects.order_by("pk").first()
    assert first.external_ref.startswith("HZ") and first.external_ref[2:].isdigit()
    register = ComplaintEvent.objects.get(complaint=first, action="register")
    assert register.data["contact_with_referrer"] is True
    again = import_complaints(actor=people.officer_a, path=messy_csv, mapping=MAP, channel="R12345")
    assert again.created == 0 and Complaint.objects.count() == result.created


def test_a_counter_complaint_still_needs_a_contact(messy_csv, people):
    result = import_complaints(
        actor=people.officer_a, path=messy_csv, mapping=MAP, channel="COUNTER", dry_run=True
    )
    assert {e.field for e in result.errors} == {"complainant_phone"}
    assert "只有转办投诉可以没有" in result.errors[0].fix_text()


def test_header_row_can_be_chosen(messy_csv, people):
    candidates = Table(messy_csv).candidates()
    assert [n for n, _ in candidates][:3] == [1, 3, 4] and candidates[2][1].startswith("（数据行")
    with pytest.raises(ImportFileError, match="列“工单编号”不存在"):
        import_complaints(
            actor=people.officer_a, path=messy_csv, mapping=MAP, channel="R12345", header_row=1
        )
    out = StringIO()
    call_command(
        "import_complaints",
        str(messy_csv),
        "--header-row",
        "3",
        "--channel",
        "R12345",
        "--user",
        "officer_a",
        "--dry-run",
        "--map",
        *[f"{k}={v}" for k, v in MAP.items()],
        stdout=out,
    )
    assert "校验通过" in out.getvalue()


def test_title_is_taken_from_the_narrative_when_not_mapped(messy_csv, people):
    mapping = {k: v for k, v in MAP.items() if k != "title"}
    result = import_complaints(
        actor=people.officer_a, path=messy_csv, mapping=mapping, channel="R12345"
    )
    assert result.errors == [] and result.committed
    (file_warning,) = [w for w in result.warnings if w.field == "title"]
    assert file_warning.row == 0 and "前30字" in file_warning.text()
    case = Complaint.objects.order_by("pk").first()
    assert case.title and case.narrative.replace("\n", " ").startswith(case.title[:10])


def test_partial_mode_imports_exactly_the_valid_rows(tmp_path, people, shared_data):  # noqa: F811
    rows = office_rows(6)
    rows[1][4] = "不是日期"
    rows[3][6] = "火星支行"
    rows[4][5] = ""
    path = tmp_path / "partial.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    all_or_nothing = import_complaints(
        actor=people.officer_a, path=path, mapping=MAP, channel="R12345"
    )
    assert not all_or_nothing.committed and Complaint.objects.count() == 0
    result = import_complaints(
        actor=people.officer_a, path=path, mapping=MAP, channel="R12345", partial=True
    )
    assert result.committed and result.rejected == [3, 5, 6]
    refs = set(Complaint.objects.values_list("external_ref", flat=True))
    assert refs == {f"HZ{r['留言编号']}" for i, r in enumerate(real_messages(6)) if i in (0, 2, 5)}
    numbers = sorted(Complaint.objects.values_list("registry_no", flat=True))
    by_year: dict[str, list[str]] = {}
    for number in numbers:
        by_year.setdefault(number[:6], []).append(number[7:])
    for year_numbers in by_year.values():  # the refused rows left no gaps
        assert year_numbers == [f"{n:06d}" for n in range(1, len(year_numbers) + 1)]
    by_row = {e.row: e for e in result.errors}
    assert (by_row[3].column, by_row[3].value) == ("受理时间", "不是日期")
    assert (by_row[5].column, by_row[5].value) == ("承办单位", "火星支行")
    assert by_row[6].column == "诉求内容" and by_row[6].fix_text()
    report = list(result.report_rows())
    assert [r[4] for r in report if r[5] == by_row[3].text()] == ["错误（该行未导入）"]
    # Again: the imported rows are duplicates, the others still refused; nothing new.
    again = import_complaints(
        actor=people.officer_a, path=path, mapping=MAP, channel="R12345", partial=True
    )
    assert again.created == 0 and again.rejected == [3, 5, 6] and Complaint.objects.count() == 3


def test_partial_mode_from_the_command(tmp_path, people, shared_data):  # noqa: F811
    rows = office_rows(3)
    rows[1][4] = "2020年13月1日"
    path = tmp_path / "partial.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    out = StringIO()
    call_command(
        "import_complaints",
        str(path),
        "--partial",
        "--channel",
        "R12345",
        "--map",
        *[f"{k}={v}" for k, v in MAP.items()],
        stdout=out,
    )
    assert "未导入 1 行" in out.getvalue() and "已导入" in out.getvalue()
    assert "第3行［受理时间］错误" in out.getvalue()
    assert Complaint.objects.count() == 2


def ledger_book(path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, str]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in merges:
            for ref in merges[name].split():
                sheet.merge_cells(ref)
    book.save(path)
    return path


LEDGER_HEADER = [
    "编号",
    "投诉人",
    "联系电话",
    "受理时间",
    "投诉内容",
    "网点",
    "答复内容",
    "办结时间",
]
LEDGER_MAP = {
    "external_ref": "编号",
    "complainant_name": "投诉人",
    "complainant_phone": "联系电话",
    "received_at": "受理时间",
    "narrative": "投诉内容",
    "unit": "网点",
    "decision_text": "答复内容",
    "decided_at": "办结时间",
}


def test_a_historical_ledger_one_sheet_a_year_with_merged_cells(tmp_path, people, shared_data):  # noqa: F811
    texts = [r["留言详情"].strip() for r in real_messages(4)]
    sheets = {
        "2019年": [
            ["锦程银行投诉台账（2019年）"],
            LEDGER_HEADER,
            [
                "TZ-1",
                "张伟",
                "１３８００１３８０００",
                "2019年2月3日 下午3时",
                texts[0],
                "SUB-a",
                "已向客户解释并退还年费。",
                "二〇一九年二月十五日",
            ],
            ["TZ-2", "李娜", "13900139000", 43500.5, texts[1], None, "已答复。", "2019/2/20 10:00"],
            ["合计", None, None, None, "2件", None, None, None],
        ],
        "2020年": [
            LEDGER_HEADER,
            ["TZ-3", "王芳", "13700137000", "2020.1.6 9:30", texts[2], "SUB-a", "", ""],
        ],
        "说明": [["本台账由消保办维护"]],
    }
    # The unit cell of TZ-1 is merged down over TZ-2 (one outlet for both rows).
    path = ledger_book(tmp_path / "台账.xlsx", sheets, {"2019年": "A1:H1 F3:F4"})
    assert Table(path).sheet_names == ["2019年", "2020年", "说明"]
    result = import_complaints(
        actor=people.officer_a,
        path=path,
        mapping=LEDGER_MAP,
        channel="COUNTER",
        sheet=ALL_SHEETS,
    )
    assert result.errors == [] and result.committed, [str(e) for e in result.errors]
    assert (result.created, result.historical, result.footers) == (3, 2, 1)
    cases = {c.external_ref: c for c in Complaint.objects.all()}
    assert cases["TZ-2"].unit.code == "SUB-a"  # from the merged cell
    assert cases["TZ-1"].received_at == datetime(2019, 2, 3, 15, tzinfo=TZ)
    assert cases["TZ-1"].decided_at == datetime(2019, 2, 15, tzinfo=TZ)
    assert cases["TZ-2"].received_at == datetime(2019, 2, 4, 12, tzinfo=TZ)  # Excel serial
    assert cases["TZ-1"].decision.outcome == Outcome.UNSTATED
    assert cases["TZ-3"].status == "registered"
    assert {w.sheet for w in result.warnings if w.row} <= {"2019年", "2020年"}


@pytest.mark.parametrize(
    ("raw", "expected", "date_only"),
    [
        ("2019年2月3日 下午3时", datetime(2019, 2, 3, 15, tzinfo=TZ), False),
        ("2019年2月3日下午3点半", datetime(2019, 2, 3, 15, 30, tzinfo=TZ), False),
        ("2019年2月3日 上午9时05分", datetime(2019, 2, 3, 9, 5, tzinfo=TZ), False),
        ("2019年12月31日 晚上8点", datetime(2019, 12, 31, 20, tzinfo=TZ), False),
        ("2019年2月3日 中午12时", datetime(2019, 2, 3, 12, tzinfo=TZ), False),
        ("二〇一九年二月三日", datetime(2019, 2, 3, tzinfo=TZ), True),
        ("二零一九年十二月三十一日", datetime(2019, 12, 31, tzinfo=TZ), True),
        ("２０１９年２月３日", datetime(2019, 2, 3, tzinfo=TZ), True),
        ("2019-2-3 15", datetime(2019, 2, 3, 15, tzinfo=TZ), False),
        ("2019/02/03", datetime(2019, 2, 3, tzinfo=TZ), True),
        ("43499.625", datetime(2019, 2, 3, 15, tzinfo=TZ), False),
    ],
)
def test_dates_as_chinese_offices_write_them(raw, expected, date_only):
    assert parse_moment(raw) == (expected, date_only)


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(tmp_path, settings, people):
    settings.XIAOBAO_IMPORT = {**settings.XIAOBAO_IMPORT, "MAX_UNPACKED_BYTES": 5 * 1024 * 1024}
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    assert path.stat().st_size < 100 * 1024
    with pytest.raises(ImportFileError, match="解压后有 20 MB"):
        Table(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "无法读取该 Excel 文件"),
        ("text.xlsx", "工单编号,标题\n1,2\n".encode(), "无法读取该 Excel 文件"),
        ("nul.csv", b"a,b\n\x00\x00,1\n", "无法读取该 CSV 文件"),
        ("empty.csv", b"\n\n", "没有数据"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "旧版 .xls"),
    ],
)
def test_unreadable_files_give_a_clear_chinese_error(tmp_path, people, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        list(Table(path).rows())


def test_row_limit(messy_csv, settings, people):
    settings.XIAOBAO_IMPORT = {**settings.XIAOBAO_IMPORT, "MAX_ROWS": 10}
    with pytest.raises(ImportFileError, match="超过 10 行"):
        import_complaints(actor=people.officer_a, path=messy_csv, mapping=MAP, channel="R12345")
    assert Complaint.objects.count() == 0
