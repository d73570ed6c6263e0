"""Bulk import: real files written to disk (GB18030 CSV, XLSX), all or nothing, re-imports, history."""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from xiaobao.api.models import WebhookDelivery
from xiaobao.api.services import webhook_subscription_create
from xiaobao.complaints.choices import Outcome, Status
from xiaobao.complaints.models import Complaint, RegistrySequence
from xiaobao.deadlines.engine import TZ
from xiaobao.intake.fields import FIELDS
from xiaobao.intake.importing import ImportFileError, import_complaints
from xiaobao.intake.reading import detect_encoding
from xiaobao.intake.results import ImportResult
from xiaobao.intake.values import parse_moment
from xiaobao.lib import memo

pytestmark = pytest.mark.django_db

# Third-party sample data, read in place and never copied into the repository.
SHARED = Path(os.environ.get("XIAOBAO_SHARED_DATA", "/work/shared/data"))
GOV_CSV = SHARED / "cn_gov_messages_labeled_sample__tipdm2020_att2.csv"
GOV_XLSX = SHARED / "cn_gov_messages_labeled_sample__tipdm2020_att2.original.xlsx"

HEADER = ["工单编号", "标题", "诉求内容", "受理时间", "来电人", "联系电话", "承办机构"]
MAP = {
    "external_ref": "工单编号",
    "title": "标题",
    "narrative": "诉求内容",
    "received_at": "受理时间",
    "complainant_name": "来电人",
    "complainant_phone": "联系电话",
    "unit": "承办机构",
}
ROWS = [
    # Messy but valid: padding with newlines and tabs, slashes and double spaces, Chinese dates.
    [
        "GD-001",
        "信用卡年费争议",
        "\n\t\t客户称信用卡被扣年费600元，\n\t办卡时未告知。\n\t\t\n",
        "2019/2/28  11:25:05",
        "张伟",
        "13800138000",
        "SUB-a",
    ],
    [
        "GD-002",
        "贷款提前还款违约金",
        "提前还款被收取违约金，\t要求退还。",
        "2019-03-01T09:00:00+08:00",
        "李娜",
        "139 0013 9000",
        "A支行",
    ],
    [
        "GD-003",
        "理财产品风险未揭示",
        "购买理财时未做风险测评。",
        "2019年3月2日 14时05分",
        "王芳",
        "13700137000",
        "SUB-a",
    ],
]


def _mapping_args(mapping: dict[str, str] = MAP) -> list[str]:
    return [f"{k}={v}" for k, v in mapping.items()]


def write_csv(
    path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "gb18030"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def gb_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "12345转办清单.csv", ROWS)


def run(actor, path, **kwargs):
    kwargs.setdefault("mapping", MAP)
    kwargs.setdefault("channel", "R12345")
    return import_complaints(actor=actor, path=path, **kwargs)


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "date_only"),
    [
        ("2019/2/28 11:25:05", datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        ("2019/2/28  11:25:05", datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        ("2019-02-28T11:25:05", datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        ("2019-02-28T03:25:05Z", datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        ("2019年2月28日 11时25分", datetime(2019, 2, 28, 11, 25, tzinfo=TZ), False),
        ("2019.2.28", datetime(2019, 2, 28, tzinfo=TZ), True),
        ("20190228", datetime(2019, 2, 28, tzinfo=TZ), True),
        ("２０１９/２/２８ 9:05", datetime(2019, 2, 28, 9, 5, tzinfo=TZ), False),
        (43524.475752314815, datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        (datetime(2019, 2, 28, 11, 25, 5), datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ), False),
        (date(2019, 2, 28), datetime(2019, 2, 28, tzinfo=TZ), True),
    ],
)
def test_dates_in_the_formats_real_files_use(raw, expected, date_only):
    moment, only_date = parse_moment(raw)
    assert moment == expected and only_date == date_only


@pytest.mark.parametrize("raw", ["2019/2/30 10:00", "昨天", "12", "2019-13-01"])
def test_not_dates(raw):
    with pytest.raises(ValueError):
        parse_moment(raw)


def test_encoding_is_detected(tmp_path):
    assert detect_encoding(write_csv(tmp_path / "a.csv", ROWS, encoding="gb18030")) == "gb18030"
    assert detect_encoding(write_csv(tmp_path / "b.csv", ROWS, encoding="utf-8")) == "utf-8-sig"
    assert detect_encoding(write_csv(tmp_path / "c.csv", ROWS, encoding="utf-8-sig")) == "utf-8-sig"


# --- importing -----------------------------------------------------------------------------------


def test_gb18030_csv_with_embedded_newlines_and_tabs(gb_csv, people, org):
    result = run(people.officer_a, gb_csv)
    assert (result.errors, result.created, result.committed) == ([], 3, True)
    first = Complaint.objects.get(external_ref="GD-001")
    assert first.narrative == "客户称信用卡被扣年费600元，\n办卡时未告知。"
    assert first.received_at == datetime(2019, 2, 28, 11, 25, 5, tzinfo=TZ)
    assert first.intake_channel.code == "R12345" and first.unit == org.sub_a
    assert first.complainants.get().phone == "13800138000"
    assert first.referrer_received_on == date(2019, 2, 28)
    second = Complaint.objects.get(external_ref="GD-002")
    assert second.unit == org.sub_a  # found by its name
    assert second.complainants.get().phone == "13900139000"
    assert Complaint.objects.get(external_ref="GD-003").status == Status.REGISTERED
    # The referrer's receipt date was not in the file: recorded, but said.
    assert {w.field for w in result.warnings} == {"referrer_received_on"}


def test_xlsx_with_date_cells_numbers_and_a_sheet_padded_with_empty_rows(tmp_path, people, org):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "转办"
    sheet.append(["编号", "标题", "内容", "日期", "姓名", "电话"])
    sheet.append(
        [24, "ATM吞卡", "ATM吞卡未及时处理", datetime(2020, 1, 6, 12, 9, 38), "赵六", 13600136000]
    )
    sheet.append([37.0, "柜台排队", "排队两小时", "2020/1/4 11:17:46", "钱七", "13500135000"])
    sheet["A65000"] = ""  # the sheet now declares 65,000 rows
    path = tmp_path / "refs.xlsx"
    book.save(path)
    mapping = {
        "external_ref": "编号",
        "title": "标题",
        "narrative": "内容",
        "received_at": "日期",
        "complainant_name": "姓名",
        "complainant_phone": "电话",
    }
    result = run(people.officer_a, path, mapping=mapping, unit="OUT-a", channel="HOTLINE")
    assert (result.rows, result.created, result.errors) == (2, 2, [])
    atm = Complaint.objects.get(external_ref="24")
    assert atm.received_at == datetime(2020, 1, 6, 12, 9, 38, tzinfo=TZ)
    assert atm.complainants.get().phone == "13600136000"
    assert Complaint.objects.filter(external_ref="37").exists()


def test_any_bad_row_means_nothing_is_imported_and_every_error_is_listed(tmp_path, people):
    rows = [
        *ROWS,
        ["GD-004", "时间错误", "内容", "2019/2/30 10:00", "周八", "13300133000", "SUB-a"],
        ["GD-005", "无联系方式", "内容", "2019/3/5 10:00", "吴九", "", "SUB-a"],
        ["GD-006", "机构不存在", "", "2019/3/6 10:00", "", "13300133001", "火星支行"],
    ]
    result = run(people.officer_a, write_csv(tmp_path / "bad.csv", rows))
    assert not result.committed and Complaint.objects.count() == 0
    errors = [(e.row, e.column, e.field) for e in result.errors]
    assert errors == [
        (5, "受理时间", "received_at"),
        (7, "诉求内容", "narrative"),
        (7, "来电人", "complainant_name"),
        (7, "承办机构", "unit"),
    ]
    by_row = {(e.row, e.field): e for e in result.errors}
    assert "无法识别的时间“2019/2/30 10:00”" in by_row[(5, "received_at")].text()
    assert by_row[(5, "received_at")].value == "2019/2/30 10:00"
    assert "下午3时" in by_row[(5, "received_at")].fix_text()
    assert by_row[(7, "unit")].text() == "机构“火星支行”不存在。"
    assert "对应到一个机构" in by_row[(7, "unit")].fix_text()
    # A referral without contact details is no error: the referrer holds them.
    (contact,) = [w for w in result.warnings if w.field == "complainant_phone"]
    assert contact.row == 6 and "由转办方" in contact.text()
    report = list(result.report_rows())
    assert report[0] == ["工作表", "行号", "列", "原值", "级别", "问题", "处理办法"]
    first = by_row[(5, "received_at")]
    assert [
        "",
        "5",
        "受理时间",
        "2019/2/30 10:00",
        "错误",
        first.text(),
        first.fix_text(),
    ] in report
    assert str(result.errors[0]).startswith("第5行［受理时间］错误：")


def test_the_problem_report_follows_the_language_of_its_reader(tmp_path, people):
    rows = [
        *ROWS,
        ["GD-004", "时间错误", "内容", "2019/2/30 10:00", "周八", "13300133000", "SUB-a"],
        ["GD-005", "电话错误", "内容", "2019/3/5 10:00", "吴九", "12345", "SUB-a"],
        ["GD-006", "机构不存在", "", "2019/3/6 10:00", "", "13300133001", "火星支行"],
    ]
    result = run(people.officer_a, write_csv(tmp_path / "bad.csv", rows))
    # Kept as JSON with a background run, read back on a page in another language.
    kept = ImportResult.from_json(json.loads(json.dumps(result.to_json())))
    by_row = {(e.row, e.field): e for e in kept.errors}
    unit, when, phone = (
        by_row[(7, "unit")],
        by_row[(5, "received_at")],
        by_row[(6, "complainant_phone")],
    )
    with translation.override("en"):
        assert unit.text() == "The unit “火星支行” does not exist."
        assert unit.fix_text() == "Use a unit code or full name, or map this name to a unit."
        assert when.text() == "Cannot read the time “2019/2/30 10:00”."
        assert unit.where() == "Row 7"
        # The service's refusal, its values and its row prefix included.
        assert phone.text().startswith("Complainant 1: the phone number “12345” is not valid")
        report = list(kept.report_rows())
        assert report[0][0] == "Worksheet" and all(h.isascii() for h in report[0])
        assert ["", "7", "承办机构", "火星支行", "Error", unit.text(), unit.fix_text()] in report
    assert unit.text() == "机构“火星支行”不存在。"
    assert phone.text().startswith("第1位投诉人：联系电话“12345”格式不正确")
    # The command prints Chinese: it runs without a language.
    translation.deactivate_all()
    assert str(unit) == (
        "第7行［承办机构］错误：机构“火星支行”不存在。"
        " 处理办法：改为机构代码或全称，或把这个叫法对应到一个机构。"
    )


def test_dry_run_checks_everything_and_imports_nothing(gb_csv, people):
    result = run(people.officer_a, gb_csv, dry_run=True)
    assert result.created == 3 and result.errors == [] and not result.committed
    assert Complaint.objects.count() == 0
    assert run(people.officer_a, gb_csv).created == 3  # the numbers the dry run used are free
    assert sorted(Complaint.objects.values_list("registry_no", flat=True)) == [
        "TS2019-000001",
        "TS2019-000002",
        "TS2019-000003",
    ]


def test_reimporting_the_same_file_registers_nothing_twice(gb_csv, tmp_path, people):
    assert run(people.officer_a, gb_csv).created == 3
    again = run(people.officer_a, gb_csv)
    assert again.created == 0 and again.committed
    assert [ref for _, ref in again.duplicates] == ["GD-001", "GD-002", "GD-003"]
    assert Complaint.objects.count() == 3
    # A repeated row inside one file is a duplicate too; the same number via another channel is not.
    twice = write_csv(tmp_path / "twice.csv", [ROWS[0], ROWS[0]])
    result = run(people.officer_a, twice, channel="R12363")
    assert (result.created, result.duplicates) == (1, [(3, "GD-001")])


def test_strict_turns_warnings_into_errors(gb_csv, people):
    result = run(people.officer_a, gb_csv, strict=True)
    assert result.failed and not result.committed and result.errors == []
    assert len(result.warnings) == 3 and Complaint.objects.count() == 0
    assert any(r[4] == "错误（严格模式）" for r in result.report_rows())


HISTORY_HEADER = [
    *HEADER,
    "答复内容",
    "办结时间",
    "处理结果",
    "告知方式",
    "业务类别",
    "投诉原因",
    "业务渠道",
]


def test_historical_answered_cases_are_replayed_at_their_real_times(tmp_path, people):
    row = [
        "GD-100",
        "信用卡年费争议",
        "客户要求退还年费。",
        "2024/3/1 09:30",
        "张伟",
        "13800138000",
        "SUB-a",
        "经核实已退还年费600元。",
        "2024/3/8 16:00",
        "部分成立",
        "电话",
        "信用卡",
        "定价收费",
        "营业网点",
    ]
    path = write_csv(tmp_path / "history.csv", [row], header=HISTORY_HEADER)
    mapping = {
        **MAP,
        "decision_text": "答复内容",
        "decided_at": "办结时间",
        "outcome": "处理结果",
        "notice_method": "告知方式",
        "business_category": "业务类别",
        "cause": "投诉原因",
        "business_channel": "业务渠道",
    }
    result = run(people.officer_a, path, mapping=mapping, channel="HOTLINE")
    assert (result.errors, result.warnings, result.historical) == ([], [], 1)
    case = Complaint.objects.get(external_ref="GD-100")
    assert case.status == Status.NOTIFIED and case.timely is True
    assert (
        case.decision.outcome == "partly_upheld" and case.decision.text == "经核实已退还年费600元。"
    )
    assert case.notice.method == "phone" and "第2行" in case.notice.evidence
    assert (case.business_category.code, case.cause.code, case.business_channel.code) == (
        "CARD_CREDIT",
        "PRICING",
        "COUNTER",
    )
    times = dict(case.events.values_list("action", "occurred_at"))
    received, decided = datetime(2024, 3, 1, 9, 30, tzinfo=TZ), datetime(2024, 3, 8, 16, tzinfo=TZ)
    assert times == {"register": received, "accept": received, "decide": decided, "notify": decided}
    assert case.decided_at == decided and case.notified_at == decided


def test_historical_rows_without_an_outcome_are_recorded_as_unstated(tmp_path, people):
    row = [*ROWS[0], "已答复", "2019/3/8 16:00", "", "", "", "", ""]
    path = write_csv(tmp_path / "h.csv", [row], header=HISTORY_HEADER)
    mapping = {**MAP, "decision_text": "答复内容", "decided_at": "办结时间", "outcome": "处理结果"}
    result = run(people.officer_a, path, mapping=mapping)
    assert result.errors == [] and result.committed and result.historical == 1
    # Never guessed: 未注明, with a warning saying it stays out of the outcome statistics.
    (outcome,) = [w for w in result.warnings if w.field == "outcome"]
    assert "未注明" in outcome.text() and "不计入" in outcome.text()
    case = Complaint.objects.get()
    assert case.decision.outcome == Outcome.UNSTATED and case.status == Status.NOTIFIED
    # The classification the rules need before a decision falls back to "其他", with a warning.
    assert {"business_channel", "business_category", "cause", "notice_method"} <= {
        w.field for w in result.warnings
    }


def test_an_unknown_outcome_word_is_an_error_not_a_guess(tmp_path, people):
    row = [*ROWS[0], "已答复", "2019/3/8 16:00", "大概成立", "", "", "", ""]
    path = write_csv(tmp_path / "h.csv", [row], header=HISTORY_HEADER)
    mapping = {**MAP, "decision_text": "答复内容", "decided_at": "办结时间", "outcome": "处理结果"}
    result = run(people.officer_a, path, mapping=mapping)
    assert [(e.row, e.field, e.value) for e in result.errors] == [(2, "outcome", "大概成立")]
    assert Complaint.objects.count() == 0


def test_mapping_problems_stop_before_any_row(gb_csv, people):
    with pytest.raises(ImportFileError, match="未知字段"):
        run(people.officer_a, gb_csv, mapping={**MAP, "colour": "标题"})
    with pytest.raises(ImportFileError, match="列“不存在的列”不存在"):
        run(people.officer_a, gb_csv, mapping={**MAP, "title": "不存在的列"})
    with pytest.raises(ImportFileError, match="投诉渠道"):
        run(people.officer_a, gb_csv, channel=None)
    with pytest.raises(ImportFileError, match="xls"):
        run(people.officer_a, gb_csv.with_suffix(".xls"))


def test_out_of_scope_units_are_row_errors(gb_csv, people):
    result = run(people.handler_b, gb_csv)
    assert {e.text() for e in result.errors} == {"该投诉不在您的机构管辖范围内。"}
    assert len(result.errors) == 3 and Complaint.objects.count() == 0


# --- the command ---------------------------------------------------------------------------------


def test_help_lists_the_field_names():
    from xiaobao.intake.management.commands.import_complaints import Command

    text = Command().create_parser("manage.py", "import_complaints").format_help()
    for name in FIELDS:
        assert name in text


def test_command_imports_and_reports(gb_csv, tmp_path, org, people):
    out = StringIO()
    call_command(
        "import_complaints",
        str(gb_csv),
        "--map",
        *_mapping_args(),
        "--channel",
        "R12345",
        stdout=out,
    )
    assert "已导入" in out.getvalue() and Complaint.objects.count() == 3
    assert Complaint.objects.first().created_by.username == "importer"
    out = StringIO()
    call_command(
        "import_complaints",
        str(gb_csv),
        "--map",
        *_mapping_args(),
        "--channel",
        "R12345",
        stdout=out,
    )
    assert "跳过已导入的重复 3 行" in out.getvalue() and Complaint.objects.count() == 3


def test_command_fails_loudly_and_writes_the_report(tmp_path, people):
    bad = write_csv(
        tmp_path / "bad.csv", [*ROWS, ["GD-9", "t", "n", "不是日期", "x", "13300133000", "SUB-a"]]
    )
    report = tmp_path / "report.csv"
    out = StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command(
            "import_complaints",
            str(bad),
            "--map",
            *_mapping_args(),
            "--channel",
            "R12345",
            "--user",
            "officer_a",
            "--report",
            str(report),
            stdout=out,
        )
    assert "第5行［受理时间］错误" in out.getvalue()
    lines = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert lines[0] == ["工作表", "行号", "列", "原值", "级别", "问题", "处理办法"]
    assert ["", "5", "受理时间", "不是日期", "错误"] in [line[:5] for line in lines]
    assert ["", "2", "", "", "警告"] in [line[:5] for line in lines]
    assert Complaint.objects.count() == 0
    with pytest.raises(CommandError, match="格式不正确"):
        call_command("import_complaints", str(bad), "--map", "title", "--unit", "SUB-a")


def test_command_dry_run(gb_csv, people):
    out = StringIO()
    call_command(
        "import_complaints",
        str(gb_csv),
        "--map",
        *_mapping_args(),
        "--channel",
        "R12345",
        "--dry-run",
        stdout=out,
    )
    assert "试运行" in out.getvalue() and Complaint.objects.count() == 0


# --- the real shared data ------------------------------------------------------------------------


@pytest.fixture
def shared_data() -> Path:
    """The shared sample files, or a skip that nobody can miss (a warning and a banner)."""
    if not (GOV_CSV.exists() and GOV_XLSX.exists()):
        message = f"REAL-DATA IMPORT TEST SKIPPED: sample files not found in {SHARED}"
        warnings.warn(message, stacklevel=2)
        print(f"\n{'!' * 78}\n{message}\n{'!' * 78}", file=sys.stderr)
        pytest.skip(message)
    return SHARED


def test_real_referral_messages_slice(tmp_path, people, shared_data):
    """A slice of real 12345-style messages (messy padding, mixed date formats), GB18030-encoded,
    with a phone column added since the source has none; imported twice."""
    with GOV_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for _, r in zip(range(120), reader, strict=False)]
    path = tmp_path / "gov.csv"
    with path.open("w", encoding="gb18030", errors="replace", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "联系电话"])
        for i, r in enumerate(rows):
            writer.writerow(
                [
                    r["留言编号"],
                    r["留言用户"],
                    r["留言主题"],
                    r["留言时间"],
                    r["留言详情"],
                    f"1390000{i:04d}",
                ]
            )
    mapping = {
        "external_ref": "留言编号",
        "complainant_name": "留言用户",
        "title": "留言主题",
        "received_at": "留言时间",
        "narrative": "留言详情",
        "complainant_phone": "联系电话",
    }
    refs = [r["留言编号"] for r in rows]
    result = run(people.officer_a, path, mapping=mapping, unit="SUB-a")
    assert result.errors == [], result.errors[:3]
    assert result.created + len(result.duplicates) == len(rows) == result.rows
    assert result.created == len(set(refs))  # the sample repeats a message number
    sample = Complaint.objects.get(external_ref=rows[0]["留言编号"])
    assert (
        not sample.narrative.startswith(("\n", "\t"))
        and sample.narrative.strip() == sample.narrative
    )
    again = run(people.officer_a, path, mapping=mapping, unit="SUB-a")
    assert again.created == 0 and len(again.duplicates) == len(rows)


def test_real_xlsx_declaring_65000_rows_streams_and_reports_exactly(people, shared_data):
    """The original workbook declares 65,203 rows and holds 495 citizen messages without contact
    details: as a 12345 referral list every row is importable, with a warning that the referrer
    holds the contact; received over the counter, every row is refused with the same error."""
    mapping = {
        "external_ref": "留言编号",
        "complainant_name": "留言用户",
        "title": "留言主题",
        "received_at": "留言时间",
        "narrative": "留言详情",
    }
    result = run(people.officer_a, GOV_XLSX, mapping=mapping, unit="SUB-a", dry_run=True)
    assert result.rows == 495 and not result.committed and result.errors == []
    assert result.created + len(result.duplicates) == 495 and Complaint.objects.count() == 0
    contact = [w for w in result.warnings if w.field == "complainant_phone"]
    assert len(contact) == 495 and contact[0].column == ""
    result = run(
        people.officer_a, GOV_XLSX, mapping=mapping, unit="SUB-a", channel="COUNTER", dry_run=True
    )
    assert {(e.field, e.column) for e in result.errors} == {("complainant_phone", "")}
    assert {e.text() for e in result.errors} == {"没有投诉人联系方式（电话、地址、邮箱均为空）。"}
    assert len(result.errors) == 495 and Complaint.objects.count() == 0


# --- registry numbers ----------------------------------------------------------------------------


def test_imported_cases_are_numbered_in_file_order_after_earlier_cases(gb_csv, people, register):
    earlier = register(received_at=datetime(2019, 1, 10, 9, tzinfo=TZ))
    result = run(people.officer_a, gb_csv)
    numbers = dict(Complaint.objects.values_list("external_ref", "registry_no"))
    assert earlier.registry_no == "TS2019-000001"
    assert [numbers[ref] for ref in ("GD-001", "GD-002", "GD-003")] == [
        "TS2019-000002",
        "TS2019-000003",
        "TS2019-000004",
    ]
    assert result.first_numbers == ["TS2019-000002", "TS2019-000003", "TS2019-000004"]
    assert RegistrySequence.objects.get(year=2019).last == 4
    # The next registration continues the sequence; no placeholder is left anywhere.
    later = register(received_at=datetime(2019, 5, 1, 9, tzinfo=TZ))
    assert later.registry_no == "TS2019-000005"
    assert not Complaint.objects.filter(registry_no__startswith="~").exists()


def test_each_year_of_an_import_gets_its_own_numbers(tmp_path, people):
    rows = [
        [*ROWS[0][:3], "2019/12/31 23:50:00", *ROWS[0][4:]],
        [*ROWS[1][:3], "2020/1/1 00:10:00", *ROWS[1][4:]],
        [*ROWS[2][:3], "2019/12/30 10:00:00", *ROWS[2][4:]],
    ]
    result = run(people.officer_a, write_csv(tmp_path / "跨年.csv", rows))
    assert result.created == 3
    assert dict(Complaint.objects.values_list("external_ref", "registry_no")) == {
        "GD-001": "TS2019-000001",
        "GD-002": "TS2020-000001",
        "GD-003": "TS2019-000002",
    }
    assert dict(RegistrySequence.objects.values_list("year", "last")) == {2019: 2, 2020: 1}


def test_webhook_payloads_of_imported_cases_carry_their_real_numbers(gb_csv, people, org):
    webhook_subscription_create(
        actor=None, name="客服中心", url="https://a.example/hook", unit=org.hq, secret="s" * 32
    )
    assert run(people.officer_a, gb_csv).created == 3
    sent = {
        d.payload["complaint"]["external_ref"]: d.payload["complaint"]["registry_no"]
        for d in WebhookDelivery.objects.all()
    }
    assert sent == dict(Complaint.objects.values_list("external_ref", "registry_no"))
    assert sorted(sent.values()) == ["TS2019-000001", "TS2019-000002", "TS2019-000003"]


def test_reference_data_is_read_once_per_import_not_once_per_row(tmp_path, people):
    rows = [[f"GD-{i:03d}", *ROWS[i % 3][1:]] for i in range(30)]
    path = write_csv(tmp_path / "三十行.csv", rows)
    with CaptureQueriesContext(connection) as queries:
        assert run(people.officer_a, path).created == 30
    tables = ("deadlinepolicy", "calendarday", "webhooksubscription", "taxonomyterm")
    reads = {
        table: sum(1 for q in queries if q["sql"].startswith("SELECT") and f"_{table}" in q["sql"])
        for table in tables
    }
    # At most one read of each policy kind used (complaint, regulator forwarding), of the
    # calendar, of the subscriptions and of the terms (none if this process holds them already).
    assert reads["deadlinepolicy"] <= 2 and reads["calendarday"] <= 1
    assert reads["webhooksubscription"] <= 1 and reads["taxonomyterm"] <= 1
    assert memo.active() is None


def test_numbers_past_a_million_keep_all_their_digits(gb_csv, people):
    RegistrySequence.objects.create(year=2019, last=999_998)
    assert run(people.officer_a, gb_csv).first_numbers == [
        "TS2019-999999",
        "TS2019-1000000",
        "TS2019-1000001",
    ]
    assert sorted(Complaint.objects.values_list("registry_no", flat=True)) == [
        "TS2019-1000000",
        "TS2019-1000001",
        "TS2019-999999",
    ]
