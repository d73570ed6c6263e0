"""Generated texts: the shipped templates, an administrator's rewording, and the advice they use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _

from xiaobao.reports.choices import TemplateKey
from xiaobao.reports.models import ReportTemplate

DEFAULT_TEMPLATES = {
    TemplateKey.WORK_SUMMARY: "reports/texts/work_summary.txt",
    TemplateKey.RISK_NOTICE: "reports/texts/risk_notice.txt",
}
ORDINALS = "一二三四五六七八九十"


def default_source(key: str) -> str:
    template = get_template(DEFAULT_TEMPLATES[TemplateKey(key)])
    origin = template.origin.name  # type: ignore[attr-defined]
    return Path(origin).read_text(encoding="utf-8")


def template_source(key: str) -> str:
    """The administrator's version when there is one, else the shipped default."""
    row = ReportTemplate.objects.filter(key=key).first()
    return row.body if row is not None else default_source(key)


def validate_template(body: str) -> None:
    try:
        Engine.get_default().from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("模板语法错误：%(error)s"), params={"error": exc}) from exc


def render_text(key: str, context: dict[str, Any]) -> str:
    """Render plain text (no HTML escaping: the result goes into Word or a text box)."""
    template = Engine.get_default().from_string(template_source(key))
    return template.render(Context(context, autoescape=False)).strip() + "\n"


def ordinal_list(items: list[str]) -> list[str]:
    """ "一是……；二是……。", the way the institutions enumerate points."""
    out = []
    for i, item in enumerate(items):
        end = "。" if i == len(items) - 1 else "；"
        out.append(f"{ORDINALS[i] if i < len(ORDINALS) else i + 1}是{item.rstrip('。；')}{end}")
    return out


# Consumer advice by cause (JR/T 0169 cause codes shipped in taxonomy_defaults).
HEADLINES = {
    "PRICING": "关注收费标准，明明白白消费",
    "MARKETING": "理性看待营销宣传，选择适合自己的产品",
    "DISCLOSURE": "读懂产品信息，看清风险再决定",
    "CHOICE": "依法行使自主选择权，拒绝捆绑搭售",
    "CONTRACT": "签约之前细读条款，保障自身权益",
    "RETURNS": "理性看待产品收益，投资有风险",
    "FUNDS_SAFETY": "守护好“钱袋子”，警惕资金风险",
    "INFO_SAFETY": "保护个人信息，谨防信息泄露",
    "COLLECTION": "依法维护权益，抵制不当催收",
}
TIPS = {
    "PRICING": [
        "办理业务前仔细了解收费项目和收费标准，关注年费、手续费、分期手续费、违约金等费用",
        "对收费有疑问的，可要求工作人员解释，或查阅机构公示的服务价目表",
        "发现未经告知的扣费，及时联系机构核实，保留好相关凭证",
    ],
    "MARKETING": [
        "理性对待营销宣传，不轻信“高收益、零风险、保本保息”等承诺",
        "购买产品前了解产品的风险等级，确认与自身风险承受能力相匹配",
        "警惕以赠品、返现等诱导办理业务，不在不明确内容的文件上签字",
    ],
    "DISCLOSURE": [
        "认真阅读产品说明书、风险揭示书等材料，重点关注费用、期限、收益和风险",
        "对重要条款有疑问的，要求工作人员作出解释说明",
    ],
    "CHOICE": [
        "您有权自主选择金融产品和服务，可以拒绝捆绑搭售和强制办理",
        "遇到被要求“必须办理”其他业务的情况，可以向机构或监管部门反映",
    ],
    "CONTRACT": [
        "签署合同前仔细阅读全部条款，特别是以加粗等方式提示的格式条款",
        "不在空白合同或未填写完整的文件上签字，妥善保管合同文本",
    ],
    "RETURNS": [
        "理财非存款，产品有风险，投资需谨慎；过往业绩不代表未来表现",
        "关注产品净值和信息披露，按自身需要合理配置资产",
    ],
    "FUNDS_SAFETY": [
        "妥善保管银行卡、密码和短信验证码，不向任何人透露",
        "警惕电信网络诈骗，不向“安全账户”转账，不点击不明链接",
        "开通账户变动提醒，发现异常交易及时挂失并报警",
    ],
    "INFO_SAFETY": [
        "保护好身份证件、银行卡和手机号码等个人信息，不随意提供给他人",
        "不扫描来历不明的二维码，不在不明网站填写个人信息",
    ],
    "COLLECTION": [
        "如遇暴力、恐吓、骚扰等不当催收行为，注意保留证据",
        "可向机构投诉，也可向监管部门或公安机关反映",
    ],
}
GENERAL_TIPS = [
    "办理金融业务前充分了解产品和服务的内容、费用与风险，选择适合自己的产品",
    "通过正规渠道办理业务，妥善保管个人信息和账户密码",
    "理性表达诉求，依法维护自身合法权益",
]
