"""Typical cases: marked from an answered case, written up with no personal data, searched, exported."""

from __future__ import annotations

from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook

from xiaobao.complaints.tests.conftest import PHONE, VALID_ID, at, person
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.privacy.redaction import find_personal_data, luhn_valid
from xiaobao.reports.exports import typical_cases_docx, typical_cases_xlsx
from xiaobao.reports.selectors import typical_case_list
from xiaobao.reports.services import (
    typical_case_mark,
    typical_case_publish,
    typical_case_update,
)

pytestmark = pytest.mark.django_db


def card_number() -> str:
    body = "622202020011223344"
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


CARD = card_number()
NARRATIVE = (
    f"张伟称其名下银行卡{CARD}于3月被扣收年费600元，身份证号{VALID_ID}，"
    f"联系电话{PHONE}，邮箱zhangwei@example.com，住浙江省杭州市上城区钱江路58号。"
    "张伟要求退还年费。"
)


@pytest.fixture
def answered(make_case, org):
    return make_case(
        received=at(2026, 3, 2, 10),
        notified=at(2026, 3, 6, 10),
        narrative=NARRATIVE,
        title="张伟信用卡年费争议",
        people=[person()],
    )


def assert_clean(text: str) -> None:
    assert find_personal_data(text) == [], find_personal_data(text)
    for value in (VALID_ID, PHONE, CARD, "zhangwei@example.com", "张伟", "钱江路58号"):
        assert value not in text


def test_marking_prefills_a_redacted_write_up(answered, people):
    case = typical_case_mark(actor=people.officer_a, complaint=answered, tags="年费、信用卡")
    assert case.title == "张*信用卡年费争议"
    assert case.write_up.startswith(
        "【基本案情】\n2026年03月，客户通过柜面/现场反映：张*称其名下银行卡"
    )
    assert "【调查核实】" in case.write_up and "【处理结果】\n诉求成立。" in case.write_up
    assert "浙江省杭州市上城区****" in case.write_up and "138****8000" in case.write_up
    assert_clean(case.title + case.write_up)
    assert case.tag_list == ["年费", "信用卡"] and case.author == people.officer_a


def test_edits_are_redacted_again(answered, people):
    case = typical_case_mark(actor=people.officer_a, complaint=answered)
    case = typical_case_update(
        actor=people.officer_a,
        case=case,
        title="年费争议",
        write_up=case.write_up + f"\n补充：客户张伟再次来电 {PHONE}，身份证 {VALID_ID}。",
        lessons=f"办卡时应书面告知年费，可回拨 {PHONE} 核实。",
    )
    assert_clean(case.write_up + case.lessons)
    with pytest.raises(DomainError):
        typical_case_update(actor=people.officer_a, case=case, title="", write_up="x")


def test_rules(answered, make_case, people, org):
    with pytest.raises(PermissionDeniedError):
        typical_case_mark(actor=people.officer_b, complaint=answered)  # branch B: out of scope
    with pytest.raises(PermissionDeniedError):
        typical_case_mark(actor=people.handler_a, complaint=answered)  # handlers cannot
    open_case = make_case(received=at(2026, 3, 3, 10))
    with pytest.raises(DomainError, match="已告知处理决定"):
        typical_case_mark(actor=people.officer_a, complaint=open_case)
    typical_case_mark(actor=people.officer_a, complaint=answered)
    with pytest.raises(DomainError, match="已是典型案例"):
        typical_case_mark(actor=people.officer_a, complaint=answered)


def test_library_search_filter_and_scope(answered, make_case, people, org):
    loan = make_case(
        received=at(2026, 3, 4, 10),
        notified=at(2026, 3, 8, 10),
        category="LOAN_MORTGAGE",
        cause="CONTRACT",
        title="提前还款违约金争议",
        narrative="客户对提前还款违约金有异议。",
    )
    b_case = make_case(
        received=at(2026, 3, 4, 11), notified=at(2026, 3, 8, 11), unit=org.sub_b, title="B分行案例"
    )
    card = typical_case_mark(actor=people.officer_a, complaint=answered)
    typical_case_mark(actor=people.officer_a, complaint=loan, lessons="讲清违约金计算方式")
    typical_case_mark(actor=people.officer_b, complaint=b_case)
    typical_case_publish(actor=people.officer_a, case=card)

    def titles(user, **kw):
        return sorted(c.title for c in typical_case_list(user=user, **kw))

    assert titles(people.hq_officer) == sorted(
        ["张*信用卡年费争议", "提前还款违约金争议", "B分行案例"]
    )
    assert titles(people.officer_b) == ["B分行案例"]
    assert titles(people.officer_a, category="LOAN") == ["提前还款违约金争议"]
    assert titles(people.officer_a, category="CARD") == ["张*信用卡年费争议"]
    assert titles(people.officer_a, q="违约金 计算") == ["提前还款违约金争议"]  # every word
    assert titles(people.officer_a, q="扣收") == ["张*信用卡年费争议"]
    assert titles(people.officer_a, published_only=True) == ["张*信用卡年费争议"]
    assert titles(people.officer_a, q=VALID_ID) == []  # the ID is nowhere in the library


def test_exports_carry_no_personal_data(answered, people):
    case = typical_case_mark(actor=people.officer_a, complaint=answered, lessons="书面告知年费")
    doc = Document(BytesIO(typical_cases_docx([case])))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "案例1：张*信用卡年费争议" in text and "基本案情" in text and "书面告知年费" in text
    assert_clean(text)
    book = load_workbook(BytesIO(typical_cases_xlsx([case])))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value)
    assert "张*信用卡年费争议" in cells and "银行卡/信用卡" in cells
    assert_clean(cells)
