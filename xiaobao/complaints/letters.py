"""The 答复函 (decision letter) and its SMS text, from the recorded decision (Art. 19, 21).

The letter states what was verified, the outcome, its basis and reasons, any compensation, the
routes still open and how to use each of them, the review window and whom to contact. It is
addressed to the complainant by name when the caller may see personal data in full (otherwise
"尊敬的客户"): it is the letter the consumer receives, generated only by
`complaint_letter_generate`, which checks the caller's rights and writes an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xiaobao.complaints.choices import Route
from xiaobao.complaints.models import Complaint, Decision
from xiaobao.deadlines.engine import TZ

HOW_TO: dict[str, str] = {
    Route.REVIEW: "如对本答复有异议，可自收到本答复函之日起30日内，以书面形式向{upper}提出核查申请，"
    "我行将自收到核查申请之日起30日内作出核查决定并告知您。",
    Route.MEDIATION: "可向金融消费纠纷调解组织（如当地银行业保险业纠纷调解中心）申请调解。",
    Route.ARBITRATION: "如双方达成仲裁协议，可向约定的仲裁机构申请仲裁。",
    Route.LITIGATION: "可依法向有管辖权的人民法院提起诉讼。",
}


@dataclass
class LetterText:
    """The letter's parts, in order, and the SMS text."""

    title: str
    addressee: str
    paragraphs: list[tuple[str, str]]  # (heading, text)
    signature: list[str]
    sms: str


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def letter_text(
    complaint: Complaint, decision: Decision, *, review_by: date | None, named: bool = True
) -> LetterText:
    unit = complaint.unit
    upper = unit.parent.name if unit.parent_id and unit.parent else unit.name
    first = complaint.complainants.order_by("pk").first()
    name = first.name if first is not None and named else ""
    received = complaint.received_at
    outcome = decision.get_outcome_display()
    routes = [r for r in decision.routes if r in HOW_TO]
    handler = decision.decided_by
    contact_phone = getattr(handler, "phone", "") or ""
    compensation = (
        f"我行将向您支付补偿/赔偿金额人民币{decision.compensation}元。"
        if decision.compensation
        else "本次处理不涉及补偿或赔偿。"
    )
    window = (
        f"核查申请期限：请于{_day(review_by)}前提出（自收到本答复函之日起30日内）。"
        if Route.REVIEW in routes and review_by is not None
        else "核查申请期限：自收到本答复函之日起30日内。"
        if Route.REVIEW in routes
        else "本答复为核查决定，为最终答复。"
    )
    paragraphs = [
        (
            "",
            f"您于{_day(received.astimezone(TZ).date())}通过{complaint.intake_channel.name}反映的"
            f"“{complaint.title}”一事（投诉编号：{complaint.registry_no}），我行已受理并核实。"
            "现将处理结果答复如下：",
        ),
        ("一、核实情况", decision.verified_facts),
        ("二、处理结果", outcome + ("。" + decision.text if decision.text else "")),
        ("三、处理依据", decision.basis),
        ("四、处理理由", decision.reasons),
        ("五、补偿或赔偿", compensation),
        (
            "六、您仍可选择的途径",
            "\n".join(
                f"（{i}）{Route(r).label}：{HOW_TO[r].format(upper=upper)}"
                for i, r in enumerate(routes, start=1)
            ),
        ),
        ("七、核查期限", window),
        (
            "八、联系方式",
            f"联系机构：{unit.name}"
            + (f"；地址：{unit.address}" if unit.address else "")
            + f"；联系人：{handler.display_name or handler.username}"
            + (f"；电话：{contact_phone}" if contact_phone else "")
            + "。",
        ),
    ]
    sms = (
        f"【{unit.name}】尊敬的客户，您反映的问题（编号{complaint.registry_no}）处理结果为："
        f"{outcome}。"
        + ("如有异议，可于收到本答复之日起30日内向" + upper + "书面申请核查，" if routes else "")
        + "也可通过调解、仲裁或诉讼解决。详见答复函"
        + (f"，咨询电话{contact_phone}" if contact_phone else "")
        + "。"
    )
    return LetterText(
        title="投诉处理答复函",
        addressee=f"{name}：" if name else "尊敬的客户：",
        paragraphs=paragraphs,
        signature=[unit.name, _day(decision.decided_at.astimezone(TZ).date())],
        sms=sms,
    )


def letter_docx(text: LetterText) -> bytes:
    """The letter as a Word document in the house 公文 style (`lib.officialdoc`, GB/T 9704)."""
    from xiaobao.lib.officialdoc import OfficialDocument, _pt

    document = OfficialDocument(title=text.title)
    # The salutation starts at the margin (no first-line indent), as a letter's does.
    document.paragraph(text.addressee).paragraph_format.first_line_indent = _pt(0)
    for title, body in text.paragraphs:
        if title:
            document.heading(title, level=1)
        for line in body.splitlines() or [""]:
            document.paragraph(line)
    issuer, on = text.signature
    document.signature(issuer=issuer, on=on)
    return document.to_bytes()


def letter_html(text: LetterText) -> str:
    """The same letter, line for line, as the printable HTML the PDF is printed from."""
    from django.utils.html import escape

    from xiaobao.lib.officialdoc import html_document, html_signature

    parts = [
        f"<h1>{escape(text.title)}</h1>",
        f'<p class="salutation" style="text-indent: 0">{escape(text.addressee)}</p>',
    ]
    for title, body in text.paragraphs:
        if title:
            parts.append(f"<h2>{escape(title)}</h2>")
        parts.extend(f"<p>{escape(line)}</p>" for line in body.splitlines() or [""])
    issuer, on = text.signature
    parts.append(html_signature(issuer=issuer, on=on))
    return html_document(title=text.title, body="".join(parts))


def letter_pdf(text: LetterText) -> bytes:
    """The letter as PDF, printed by headless Chromium from `letter_html` (as reports are)."""
    from xiaobao.reports.pdf import html_to_pdf

    return html_to_pdf(letter_html(text))
