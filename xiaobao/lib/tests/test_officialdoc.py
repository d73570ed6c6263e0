"""The shared official-document (公文) style, read back from a generated file."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from xiaobao.lib.officialdoc import (
    HTML_STYLE,
    OfficialDocument,
    chinese_date,
    html_document,
    html_signature,
)


def east_asian_font(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def assert_official_layout(doc) -> None:
    """A4, GB/T 9704 margins, the four fonts, black unbolded headings, page numbers — shared by
    every test that reads back a Word output."""
    section = doc.sections[0]
    mm = [round(v.mm, 1) for v in (section.page_width, section.page_height)]
    assert mm == [210, 297]  # Word stores twentieths of a point: 210 mm reads back as 210.01
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(v.mm, 1) for v in margins] == [37, 35, 28, 26]
    expected = {
        "Title": ("方正小标宋简体", Pt(22)),
        "Heading 1": ("黑体", Pt(16)),
        "Heading 2": ("楷体_GB2312", Pt(16)),
        "Normal": ("仿宋_GB2312", Pt(16)),
    }
    for name, (font, size) in expected.items():
        style = doc.styles[name]
        assert east_asian_font(style) == font, name
        assert style.font.size == size, name
        assert style.font.bold is False and str(style.font.color.rgb) == "000000", name
        # no theme font left that would override the named font
        fonts = style.element.rPr.find(qn("w:rFonts"))
        assert not any(k.endswith("Theme") for k in fonts.attrib), name
    assert doc.styles["Normal"].paragraph_format.first_line_indent == Pt(32)
    assert doc.settings.odd_and_even_pages_header_footer is True
    for footer in (section.footer, section.even_page_footer):
        xml = footer.paragraphs[0]._p.xml
        assert "PAGE" in xml and footer.paragraphs[0].text == "—  —"  # "— {PAGE} —"
    assert section.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert section.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_document_reads_back_with_section_styles_and_signature():
    document = OfficialDocument(title="关于消费投诉处理工作的总结")
    document.heading("一、总体情况", level=1)
    document.heading("（一）受理情况", level=2)
    document.paragraph("本期共受理投诉9起。")
    document.table(["机构", "受理量"], [["A分行", 5], ["B分行", None]])
    document.signature(issuer="测试银行总行", on=date(2026, 3, 31))
    doc = Document(BytesIO(document.to_bytes()))

    assert_official_layout(doc)
    paragraphs = [(p.text, p.style.name) for p in doc.paragraphs]
    assert paragraphs[0] == ("关于消费投诉处理工作的总结", "Title")
    assert doc.paragraphs[0].alignment in (None, WD_ALIGN_PARAGRAPH.CENTER)
    assert doc.styles["Title"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert ("一、总体情况", "Heading 1") in paragraphs
    assert ("（一）受理情况", "Heading 2") in paragraphs
    assert ("本期共受理投诉9起。", "Normal") in paragraphs
    assert [p.text for p in doc.paragraphs[-2:]] == ["测试银行总行", "2026年3月31日"]
    assert doc.paragraphs[1].text == "一、总体情况"  # spacing, not an empty paragraph
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in doc.paragraphs[-2:])
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == [
        ["机构", "受理量"],
        ["A分行", "5"],
        ["B分行", ""],
    ]
    assert doc.core_properties.title == "关于消费投诉处理工作的总结"


def test_pdf_style_has_the_same_page_fonts_and_page_numbers():
    assert "size: A4; margin: 37mm 26mm 35mm\n  28mm" in HTML_STYLE
    assert '"— " counter(page) " —"' in HTML_STYLE
    for font in ("方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "Noto Serif CJK SC"):
        assert font in HTML_STYLE
    html = html_document(title="<总结>", body=html_signature(issuer="A分行", on=date(2026, 1, 5)))
    assert "<title>&lt;总结&gt;</title>" in html
    assert '<p class="signature">2026年1月5日</p>' in html


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
