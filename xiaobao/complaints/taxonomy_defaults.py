"""The default taxonomies loaded by the data migration (JR/T 0169-2018 names, domain.md).

The official numeric codes were not available, so codes here are stable mnemonics; an administrator
may load official codes as new terms and retire these. Never rename a shipped code: migrations and
old cases refer to it.
Each entry is (code, Chinese name, English name, children) — children only for sub-categories.
"""

from __future__ import annotations

Entry = tuple[str, str, str, tuple[tuple[str, str, str], ...]]

BUSINESS_CHANNELS: tuple[Entry, ...] = (
    ("COUNTER", "营业网点", "Branch counter", ()),
    ("SELF_SERVICE", "自助机具", "Self-service machine", ()),
    (
        "ELECTRONIC",
        "电子渠道",
        "Electronic channel",
        (
            ("E_ONLINE", "网上银行", "Online banking"),
            ("E_PHONE", "电话银行", "Phone banking"),
            ("E_MOBILE", "手机银行/客户端", "Mobile app"),
            ("E_SOCIAL", "网络公众平台", "Social media account"),
            ("E_SMS", "短信", "SMS"),
            ("E_OTHER", "其他电子渠道", "Other electronic"),
        ),
    ),
    ("THIRD_PARTY", "第三方渠道", "Third party", ()),
    ("BACK_OFFICE", "中后台", "Middle and back office", ()),
    ("OTHER", "其他", "Other", ()),
)

BUSINESS_CATEGORIES: tuple[Entry, ...] = (
    ("DEPOSIT", "人民币储蓄", "RMB savings", ()),
    (
        "LOAN",
        "贷款",
        "Loans",
        (
            ("LOAN_MORTGAGE", "个人住房贷款", "Mortgage"),
            ("LOAN_CONSUMER", "个人消费贷款", "Consumer loan"),
            ("LOAN_BUSINESS", "个人经营贷款", "Small-business loan"),
            ("LOAN_OTHER", "其他贷款", "Other loan"),
        ),
    ),
    (
        "CARD",
        "银行卡",
        "Bank cards",
        (
            ("CARD_DEBIT", "借记卡", "Debit card"),
            ("CARD_CREDIT", "信用卡", "Credit card"),
        ),
    ),
    ("PAYMENT", "支付结算", "Payment and settlement", ()),
    ("CASH", "人民币管理", "Cash management", ()),
    ("PERSONAL_INFO", "个人金融信息", "Personal financial information", ()),
    ("FX", "外汇", "Foreign exchange", ()),
    ("PRECIOUS_METALS", "贵金属", "Precious metals", ()),
    ("TREASURY", "国库", "Treasury", ()),
    ("WEALTH", "自营理财", "Own wealth products", ()),
    (
        "AGENCY",
        "银行代理业务",
        "Agency business",
        (
            ("AGENCY_INSURANCE", "代理保险", "Bancassurance"),
            ("AGENCY_FUND", "代理基金", "Funds"),
            ("AGENCY_OTHER", "其他代理业务", "Other agency"),
        ),
    ),
    ("OTHER_INTERMEDIARY", "其他中间业务", "Other intermediary business", ()),
    ("DEBT_COLLECTION", "债务催收", "Debt collection", ()),
    ("INS_CLAIMS", "保险理赔", "Insurance claims", ()),
    ("INS_MISSELLING", "保险销售误导", "Insurance mis-selling", ()),
    ("OTHER", "其他", "Other", ()),
)

CAUSES: tuple[Entry, ...] = (
    ("SERVICE", "服务态度及服务质量", "Service attitude and quality", ()),
    ("FACILITIES", "服务设施、设备、业务系统", "Facilities, equipment, systems", ()),
    ("RULES", "管理制度、业务规则与流程", "Rules and processes", ()),
    ("MARKETING", "营销方式和手段", "Marketing methods", ()),
    ("DISCLOSURE", "信息披露", "Information disclosure", ()),
    ("CHOICE", "自主选择权", "Freedom of choice", ()),
    ("PRICING", "定价收费", "Pricing and fees", ()),
    ("RETURNS", "产品收益", "Product returns", ()),
    ("CONTRACT", "合同条款", "Contract terms", ()),
    ("FUNDS_SAFETY", "消费者资金安全", "Safety of funds", ()),
    ("INFO_SAFETY", "消费者信息安全", "Safety of information", ()),
    ("COLLECTION", "债务催收方式和手段", "Debt-collection methods", ()),
    ("OTHER", "其他", "Other", ()),
)

DEMANDS: tuple[Entry, ...] = (
    ("REFUND", "退还费用", "Refund", ()),
    ("EXPLANATION", "解释说明", "Explanation", ()),
    ("COMPENSATION", "赔偿损失", "Compensation", ()),
    ("STOP_HARASSMENT", "停止骚扰", "Stop harassment", ()),
    ("SPEED_UP", "加快办理", "Speed up", ()),
    ("RESTORE", "恢复服务", "Restore service", ()),
    ("CORRECT_RECORD", "更正记录（含征信）", "Correct records (incl. credit report)", ()),
    ("APOLOGY", "赔礼道歉", "Apology", ()),
    ("CANCEL", "解除合同/退保", "Cancel contract", ()),
    ("DISCIPLINE", "处理相关人员", "Discipline staff", ()),
    ("OTHER", "其他", "Other", ()),
)

LEVELS: tuple[Entry, ...] = (
    ("NORMAL", "普通", "Normal", ()),
    ("COMPLEX", "复杂", "Complex", ()),
    ("MAJOR", "重大", "Major", ()),
)

TAGS: tuple[Entry, ...] = (
    ("REGULATOR", "监管转办", "Regulator-referred", ()),
    ("MEDIA", "媒体/舆情风险", "Media / public-opinion risk", ()),
    ("LITIGATION", "涉诉", "Litigation", ()),
    ("PETITION", "信访", "Petition", ()),
    ("AGGRESSIVE", "过激行为", "Aggressive behaviour", ()),
    ("ELDERLY", "老年客户", "Elderly consumer", ()),
    ("DISABLED", "残障客户", "Disabled consumer", ()),
    ("REPEAT", "重复投诉", "Repeat complaint", ()),
)

# (code, name, English, referral?) — how the complaint reached us (not the business channel).
INTAKE_CHANNELS: tuple[tuple[str, str, str, bool], ...] = (
    ("COUNTER", "柜面/现场", "Counter / in person", False),
    ("HOTLINE", "客服热线", "Phone hotline", False),
    ("LETTER", "信函", "Letter", False),
    ("EMAIL", "电子邮件", "E-mail", False),
    ("WEB_APP", "网站/手机银行", "Website / app", False),
    ("OPINION_BOOK", "意见簿/意见箱", "Opinion book / box", False),
    ("R12345", "12345政务服务便民热线", "12345 government hotline", True),
    ("R12363", "12363人民银行热线", "12363 PBoC hotline", True),
    ("R12378", "12378金融监管热线", "12378 NFRA hotline", True),
    ("R12315", "12315市场监管热线", "12315 market-regulation hotline", True),
    ("REGULATOR_LETTER", "监管转送函", "Regulator letter", True),
    ("MEDIA", "媒体", "Media", False),
    ("PORTAL", "消费者门户", "Consumer portal", False),
    ("OTHER", "其他", "Other", False),
)
