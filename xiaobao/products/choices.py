"""Object types, statuses, grades and the transition table of pre-review and suitability."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectType(models.TextChoices):
    """What is put to consumer-protection review (programme.md D: scope holes are the trap)."""

    NEW_PRODUCT = "new_product", _("新产品")
    TERM_CHANGE = "term_change", _("产品条款变更")
    CONTRACT_TEMPLATE = "contract_template", _("格式合同")
    FEE = "fee", _("收费定价")
    MARKETING = "marketing", _("营销宣传材料（含微信及合作渠道文案）")
    RULE = "rule", _("制度与业务规则")
    PROCESS = "process", _("服务流程")
    PARTNER_AGREEMENT = "partner_agreement", _("合作协议")
    EDUCATION = "education", _("宣传教育材料")


class SelfCheck(models.TextChoices):
    """The submitting department's self-check list; each item is answered yes / no / n.a."""

    DISCLOSURE = "disclosure", _("信息披露充分")
    RISK_WARNING = "risk_warning", _("风险提示到位")
    FEE_TRANSPARENCY = "fee_transparency", _("收费透明")
    FAIR_TERMS = "fair_terms", _("格式条款公平（不免除自身责任、不限制消费者主要权利）")
    TARGET_CUSTOMERS = "target_customers", _("适当性与目标客群")
    FORBIDDEN_WORDS = "forbidden_words", _("无保本、无风险、收益承诺等禁用营销用语")
    DATA_MINIMISATION = "data_minimisation", _("个人信息最小化与同意")
    ELDERLY_FRIENDLY = "elderly_friendly", _("适老化与无障碍")
    COMPLAINT_CHANNEL = "complaint_channel", _("投诉渠道明示")
    COOLING_OFF = "cooling_off", _("犹豫期/冷静期")
    PARTNER_DUTY = "partner_duty", _("合作机构责任")


class CheckAnswer(models.TextChoices):
    YES = "yes", _("符合")
    NO = "no", _("不符合")
    NA = "na", _("不适用")


class ReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审查")
    OPINIONS = "opinions", _("已出具意见")
    ESCALATED = "escalated", _("待分管行领导决定")
    ANSWERED = "answered", _("意见已答复")
    CONCLUDED = "concluded", _("已出具结论")
    LAUNCHED = "launched", _("已上线")
    WITHDRAWN = "withdrawn", _("已撤回")


# The one table of allowed review transitions.
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewStatus.SUBMITTED: frozenset(
        {ReviewStatus.OPINIONS, ReviewStatus.CONCLUDED, ReviewStatus.WITHDRAWN}
    ),
    ReviewStatus.OPINIONS: frozenset(
        {ReviewStatus.ESCALATED, ReviewStatus.ANSWERED, ReviewStatus.WITHDRAWN}
    ),
    ReviewStatus.ESCALATED: frozenset({ReviewStatus.OPINIONS, ReviewStatus.ANSWERED}),
    ReviewStatus.ANSWERED: frozenset({ReviewStatus.OPINIONS, ReviewStatus.CONCLUDED}),
    ReviewStatus.CONCLUDED: frozenset({ReviewStatus.LAUNCHED}),
    ReviewStatus.LAUNCHED: frozenset(),
    ReviewStatus.WITHDRAWN: frozenset(),
}
# Reviews still on the reviewer's or the business's desk.
OPEN_STATUSES = (
    ReviewStatus.SUBMITTED,
    ReviewStatus.OPINIONS,
    ReviewStatus.ESCALATED,
    ReviewStatus.ANSWERED,
)


class Conclusion(models.TextChoices):
    PASSED = "passed", _("通过")
    PASSED_WITH_CHANGES = "passed_with_changes", _("修改后通过")
    NOT_PASSED = "not_passed", _("不通过")


LAUNCHABLE = (Conclusion.PASSED, Conclusion.PASSED_WITH_CHANGES)


class OpinionKind(models.TextChoices):
    MANDATORY = "mandatory", _("必须采纳")
    ADVISORY = "advisory", _("建议采纳")


class Severity(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Response(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("不采纳")


class Decision(models.TextChoices):
    """The 分管行领导's decision on a rejected mandatory opinion."""

    UPHELD = "upheld", _("维持意见，须采纳")
    WAIVED = "waived", _("同意不采纳")


class ProductKind(models.TextChoices):
    WEALTH = "wealth", _("理财")
    FUND = "fund", _("代销基金")
    INSURANCE = "insurance", _("保险")
    STRUCTURED_DEPOSIT = "structured_deposit", _("结构性存款")
    PRECIOUS_METAL = "precious_metal", _("贵金属")
    TRUST = "trust", _("信托")
    DEPOSIT = "deposit", _("存款")
    LOAN = "loan", _("贷款")
    CARD = "card", _("银行卡")
    OTHER = "other", _("其他")


class Grade(models.TextChoices):
    R1 = "R1", _("R1（谨慎型）")
    R2 = "R2", _("R2（稳健型）")
    R3 = "R3", _("R3（平衡型）")
    R4 = "R4", _("R4（进取型）")
    R5 = "R5", _("R5（激进型）")


class RiskClass(models.TextChoices):
    C1 = "C1", _("C1（保守型）")
    C2 = "C2", _("C2（稳健型）")
    C3 = "C3", _("C3（平衡型）")
    C4 = "C4", _("C4（成长型）")
    C5 = "C5", _("C5（进取型）")


def level(code: str) -> int:
    """1–5 for R1…R5 and C1…C5: a product fits a customer when its level is not above theirs."""
    return int(code[1:])


def higher_grade(a: str, b: str) -> str:
    """The effective grade is the higher of the issuer's and the seller's (孰高, never downward)."""
    return a if level(a) >= level(b) else b


class ProductStatus(models.TextChoices):
    DESIGN = "design", _("设计中")
    ON_SALE = "on_sale", _("在售")
    SUSPENDED = "suspended", _("暂停")
    WITHDRAWN = "withdrawn", _("下架")


class AgeBand(models.TextChoices):
    UNDER_40 = "under_40", _("40岁以下")
    FROM_40 = "40_59", _("40至59岁")
    FROM_60 = "60_64", _("60至64岁")
    FROM_65 = "65_plus", _("65岁及以上")


class InvestorType(models.TextChoices):
    ORDINARY = "ordinary", _("普通投资者")
    PROFESSIONAL = "professional", _("专业投资者")


class Channel(models.TextChoices):
    COUNTER = "counter", _("柜面")
    MOBILE = "mobile", _("手机银行")
    ONLINE = "online", _("网上银行")
    SELF_SERVICE = "self_service", _("自助设备")


class CheckResult(models.TextChoices):
    MATCHED = "matched", _("匹配")
    WARNED = "warned", _("提示后确认")
    BLOCKED = "blocked", _("拦截")


class CheckSource(models.TextChoices):
    API = "api", _("接口校验")
    IMPORT = "import", _("批量导入")


class Flag(models.TextChoices):
    """Suitability flags raised on a sale check or an imported sale."""

    NO_PROFILE = "no_profile", _("无有效风险测评")
    GRADE_ABOVE_CLASS = "grade_above_class", _("产品风险等级高于客户风险承受能力")
    EXPIRED_PROFILE = "expired_profile", _("风险测评已过期")
    RETEST_ANOMALY = "retest_anomaly", _("当日多次重测且结果调高")
    ELDERLY_TOP_GRADE = "elderly_top_grade", _("高龄客户购买高风险等级产品")
    NO_DUAL_RECORDING = "no_dual_recording", _("无双录编号")
    PRODUCT_NOT_ON_SALE = "product_not_on_sale", _("产品不在售")
    READVICE_OWED = "readvice_owed", _("产品风险等级上调，须重新告知持有客户")


# Flags that stop a sale; the others warn and must be confirmed.
BLOCKING_FLAGS = frozenset(
    {Flag.NO_PROFILE, Flag.GRADE_ABOVE_CLASS, Flag.EXPIRED_PROFILE, Flag.PRODUCT_NOT_ON_SALE}
)
