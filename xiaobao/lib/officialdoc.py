"""One "official document" (公文) style for every Word and PDF output, after GB/T 9704-2012.

A4 paper; margins 37 mm top, 35 mm bottom, 28 mm left (binding side), 26 mm right; title in
方正小标宋 二号, level-1 headings in 黑体 三号, level-2 headings in 楷体 三号, body in 仿宋 三号 with
a two-character first-line indent and a fixed line pitch (22 lines of 28 characters a page); page
numbers "— 1 —" in 宋体 四号 at the outer edge (odd pages right, even pages left); the issuing
unit (落款) and date at the bottom right.

Word names one East Asian font per style and substitutes a similar one when it is missing (the
font table tells it the family), so the .docx names the standard fonts; the PDF is printed from
HTML whose CSS lists the same fonts followed by the fallbacks a Linux server has (Noto CJK).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import Any

# (East Asian font, CSS fallbacks, size in points)
TITLE_FONT = ("方正小标宋简体", '"FZXiaoBiaoSong-B05S", "Noto Serif CJK SC", "SimSun", serif', 22.0)
HEADING1_FONT = ("黑体", '"SimHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif', 16.0)
HEADING2_FONT = (
    "楷体_GB2312",
    '"KaiTi", "STKaiti", "AR PL UKai CN", "Noto Serif CJK SC", serif',
    16.0,
)
BODY_FONT = ("仿宋_GB2312", '"FangSong", "STFangsong", "Noto Serif CJK SC", "SimSun", serif', 16.0)
TABLE_FONT = ("仿宋_GB2312", BODY_FONT[1], 12.0)
PAGE_NUMBER_FONT = ("宋体", '"SimSun", "Noto Serif CJK SC", serif', 14.0)
LATIN_FONT = "Times New Roman"

PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LINE_PITCH_PT = 28.95  # 225 mm of text block / 22 lines ≈ 28.95 pt
FOOTER_DISTANCE_MM = 28  # page number sits 7 mm below the text block's lower edge

STYLE_FONTS = {
    "Title": TITLE_FONT,
    "Heading 1": HEADING1_FONT,
    "Heading 2": HEADING2_FONT,
    "Normal": BODY_FONT,
    "Table Grid": TABLE_FONT,
}


def chinese_date(day: date) -> str:
    """GB/T 9704-2012 writes the 成文日期 in Arabic numerals: 2026年12月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _set_fonts(style: Any, east_asian: str, size: float) -> None:
    """Explicit font names on the style, the theme references removed (python-docx's heading
    styles point at the theme, which would win over any name set here)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.size = Pt(size)
    style.font.bold = False
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph_layout(style: Any, *, indent: bool) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(BODY_FONT[2] * 2) if indent else Pt(0)
    fmt.keep_with_next = None


def _strip_paragraph_border(style: Any) -> None:
    """python-docx's Title has a blue bottom rule; an official document has none."""
    from docx.oxml.ns import qn

    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _page_number_field(paragraph: Any) -> None:
    """ "— PAGE —": the number is a field, so Word fills in each page's own number."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(element: Any) -> None:
        run = paragraph.add_run()
        run._r.append(element)

    paragraph.add_run("— ")
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(instr)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)
    paragraph.add_run(" —")
    for run in paragraph.runs:
        run.font.size = _pt(PAGE_NUMBER_FONT[2])
        run.font.name = LATIN_FONT
        rpr = run._r.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), PAGE_NUMBER_FONT[0])


def _pt(value: float) -> Any:
    from docx.shared import Pt

    return Pt(value)


class OfficialDocument:
    """A Word document in the house 公文 layout; add content in reading order, then `to_bytes`."""

    def __init__(self, *, title: str) -> None:
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        self.document = Document()
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.top_margin = Mm(MARGINS_MM["top"])
        section.bottom_margin = Mm(MARGINS_MM["bottom"])
        section.left_margin = Mm(MARGINS_MM["left"])
        section.right_margin = Mm(MARGINS_MM["right"])
        section.footer_distance = Mm(FOOTER_DISTANCE_MM)
        for name, (east, _css, size) in STYLE_FONTS.items():
            style = self.document.styles[name]
            _set_fonts(style, east, size)
            if name != "Table Grid":
                _paragraph_layout(style, indent=name == "Normal")
        _strip_paragraph_border(self.document.styles["Title"])
        title_format = self.document.styles["Title"].paragraph_format
        title_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        # One empty line between the title and the text, as GB/T 9704 lays out a 公文 (spacing,
        # not an empty paragraph, so the text reads back without blank lines).
        title_format.space_after = _pt(LINE_PITCH_PT)

        # Odd pages number at the right, even pages at the left (one character in from the edge).
        self.document.settings.odd_and_even_pages_header_footer = True
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            paragraph.paragraph_format.first_line_indent = _pt(0)
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                paragraph.paragraph_format.right_indent = _pt(PAGE_NUMBER_FONT[2])
            else:
                paragraph.paragraph_format.left_indent = _pt(PAGE_NUMBER_FONT[2])
            _page_number_field(paragraph)

        self.document.core_properties.title = title
        self.document.add_paragraph(title, style="Title")

    def heading(self, text: str, *, level: int = 1) -> Any:
        return self.document.add_paragraph(text, style="Heading 1" if level <= 1 else "Heading 2")

    def paragraph(self, text: str) -> Any:
        return self.document.add_paragraph(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = str(text)
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = "" if value is None else str(value)
        for row in table.rows:
            for i, cell in enumerate(row.cells):
                for paragraph in cell.paragraphs:
                    fmt = paragraph.paragraph_format
                    fmt.first_line_indent = _pt(0)
                    fmt.line_spacing = 1.0
                    if i > 0:
                        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for cell in table.rows[0].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True
        return table

    def signature(self, *, issuer: str, on: date | str) -> None:
        """落款: the issuing unit over the date, right-aligned, four characters in from the right
        margin, one empty line below the text."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        for i, text in enumerate((issuer, on if isinstance(on, str) else chinese_date(on))):
            paragraph = self.document.add_paragraph(text)
            if i == 0:
                paragraph.paragraph_format.space_before = _pt(LINE_PITCH_PT)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.first_line_indent = _pt(0)
            paragraph.paragraph_format.right_indent = _pt(BODY_FONT[2] * 4)

    def to_bytes(self) -> bytes:
        out = BytesIO()
        self.document.save(out)
        return out.getvalue()


def _css_font(font: tuple[str, str, float]) -> str:
    return f'font-family: "{font[0]}", {font[1]}; font-size: {font[2]:g}pt;'


# The same layout for the PDF printed by Chromium (CSS paged media: page-margin boxes).
HTML_STYLE = f"""
@page {{ size: A4; margin: {MARGINS_MM["top"]}mm {MARGINS_MM["right"]}mm {MARGINS_MM["bottom"]}mm
  {MARGINS_MM["left"]}mm; }}
@page :right {{ @bottom-right {{ content: "— " counter(page) " —"; {_css_font(PAGE_NUMBER_FONT)}
  margin-right: 1em; vertical-align: top; padding-top: 7mm; }} }}
@page :left {{ @bottom-left {{ content: "— " counter(page) " —"; {_css_font(PAGE_NUMBER_FONT)}
  margin-left: 1em; vertical-align: top; padding-top: 7mm; }} }}
body {{ {_css_font(BODY_FONT)} line-height: {LINE_PITCH_PT}pt; color: #000; margin: 0; }}
h1 {{ {_css_font(TITLE_FONT)} font-weight: normal; text-align: center; line-height: 1.5;
  margin: 0 0 {LINE_PITCH_PT}pt; }}
h2 {{ {_css_font(HEADING1_FONT)} font-weight: normal; text-indent: 2em; margin: 0; }}
h3 {{ {_css_font(HEADING2_FONT)} font-weight: normal; text-indent: 2em; margin: 0; }}
p {{ text-indent: 2em; margin: 0; }}
p.signature {{ text-align: right; text-indent: 0; padding-right: 4em; }}
p.signature.first {{ margin-top: {LINE_PITCH_PT}pt; }}
table {{ border-collapse: collapse; width: 100%; margin: .3em 0 .6em; {_css_font(TABLE_FONT)}
  line-height: 1.4; }}
th, td {{ border: 1px solid #000; padding: 2pt 5pt; }}
th {{ font-weight: bold; }}
td + td, th + th {{ text-align: center; }}
"""


def html_document(*, title: str, body: str) -> str:
    """A complete printable HTML document in the house layout; `body` is already escaped HTML."""
    from django.utils.html import escape

    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{HTML_STYLE}</style></head><body>{body}</body></html>"
    )


def html_signature(*, issuer: str, on: date | str) -> str:
    from django.utils.html import escape

    when = on if isinstance(on, str) else chinese_date(on)
    return f'<p class="signature first">{escape(issuer)}</p><p class="signature">{escape(when)}</p>'
