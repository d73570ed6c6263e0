"""Every Word output downloaded from its page is laid out as an official document (GB/T 9704)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document

from xiaobao.lib.tests.test_officialdoc import assert_official_layout
from xiaobao.reports.exports import risk_notice_docx
from xiaobao.reports.services import typical_case_mark

pytestmark = pytest.mark.django_db


def test_work_summary_from_its_page_is_a4_official_layout_signed_by_the_unit(
    client, people, quarter
):
    client.force_login(people.hq_officer)
    response = client.get(reverse("reports:summary"), {"first": "2026-01-01", "last": "2026-03-31"})
    assert response.status_code == 200
    doc = Document(BytesIO(response.content))
    assert_official_layout(doc)
    styled = [(p.text, p.style.name) for p in doc.paragraphs if p.text]
    assert styled[0] == ("测试银行总行2026年第一季度消费者权益保护工作总结", "Title")
    assert ("一、总体情况与组织机制", "Heading 1") in styled
    assert ("（一）受理概况", "Heading 2") in styled
    assert all(style != "Heading 3" for _text, style in styled)
    issuer, when = styled[-2:]
    assert issuer[0] == "测试银行总行" and when[0].endswith("日") and "年" in when[0]
    assert doc.tables, "the statistics tables are in the document"


def test_typical_cases_export_from_the_library_page(client, people, quarter):
    case = typical_case_mark(actor=people.officer_a, complaint=quarter.cases["a1"])
    client.force_login(people.officer_a)
    response = client.get(reverse("reports:typical_list"), {"format": "docx"})
    doc = Document(BytesIO(response.content))
    assert_official_layout(doc)
    styled = [(p.text, p.style.name) for p in doc.paragraphs if p.text]
    assert styled[0] == ("典型案例汇编", "Title")
    assert (f"案例1：{case.title}", "Heading 1") in styled


def test_risk_notice_signature_is_the_last_two_lines_when_the_last_is_a_date():
    doc = Document(
        BytesIO(
            risk_notice_docx(
                "消费风险提示：测试\n正文一\n\n锦程银行消费者权益保护部\n2026年3月5日\n"
            )
        )
    )
    assert_official_layout(doc)
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts == ["消费风险提示：测试", "正文一", "锦程银行消费者权益保护部", "2026年3月5日"]
    assert doc.paragraphs[-1].alignment is not None  # right-aligned 落款
    plain = Document(BytesIO(risk_notice_docx("提示\n只有正文")))
    assert [p.text for p in plain.paragraphs if p.text] == ["提示", "只有正文"]
    assert plain.paragraphs[-1].style.name == "Normal"
