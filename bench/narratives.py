"""Chinese complaint narratives built from the real texts in ../shared/data, with variation.

The texts are third-party competition data without a licence statement: they are read from the
shared folder at run time and never copied into the repository. Each narrative takes one or more
real fragments (bank-product comments with their BANK/PRODUCT annotations, 黑猫投诉 summaries and
the few citizen messages about banks), swaps the bank and product names, amounts and dates, and
wraps them in an intake opener and a demand sentence. Classification codes follow the words the
fragments use, so a narrative about 年费 lands in 定价收费 and a search for 年费 finds it.

Standard library only: the peer's separate virtual environment imports this module too.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

BANK_COMMENTS = "cn_bank_product_comments__bdci2021_dev.csv"
HEIMAO = "cn_heimao_tousu_example__3rows.csv"
GOV_MESSAGES = "cn_gov_messages_labeled_sample__tipdm2020_att2.csv"

# topic -> (keywords, business-category code, products a swap may put in)
TOPICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "collection": ("催收|骚扰|威胁|恐吓|辱骂", "DEBT_COLLECTION", ("信用卡", "消费贷", "信用贷")),
    "mortgage": (
        "房贷|按揭|公积金贷|组合贷",
        "LOAN_MORTGAGE",
        ("个人住房贷款", "房贷", "组合贷款"),
    ),
    "loan": (
        "贷款|借款|贷|还款|逾期|分期|担保费|利息",
        "LOAN_CONSUMER",
        ("消费贷", "信用贷", "快贷", "装修贷", "车贷"),
    ),
    "wealth": (
        "理财|基金|净值|收益|存单|大额存单",
        "WEALTH",
        ("理财产品", "净值型理财", "结构性存款", "大额存单"),
    ),
    "insurance": ("保险|保单|理赔|退保", "AGENCY_INSURANCE", ("分红险", "年金险", "重疾险")),
    "info": ("征信|个人信息|泄露|信息", "PERSONAL_INFO", ("征信报告", "征信查询")),
    "debit": (
        "储蓄卡|借记卡|销户|冻结|被封|柜台|存款|社保卡|转账|工资卡",
        "CARD_DEBIT",
        ("借记卡", "储蓄卡", "社保卡", "工资卡"),
    ),
    "card": (
        "信用卡|额度|提额|降额|年费|卡|账单|临额|白金|批",
        "CARD_CREDIT",
        ("信用卡", "白金信用卡", "联名信用卡", "车主卡", "金卡"),
    ),
}
OTHER_PRODUCTS = ("手机银行", "网上银行", "代发工资", "ATM取款")

CAUSES: tuple[tuple[str, str], ...] = (
    ("催收|骚扰|威胁|恐吓|辱骂", "COLLECTION"),
    ("年费|手续费|利息|利率|费率|收费|担保费|会员费|扣费|息费", "PRICING"),
    ("收益|亏损|净值|亏", "RETURNS"),
    ("泄露|个人信息|征信", "INFO_SAFETY"),
    ("盗刷|被骗|冻结|被封|资金", "FUNDS_SAFETY"),
    ("营销|推销|广告|宣传", "MARKETING"),
    ("没说|未告知|不清楚|没告诉|告知", "DISCLOSURE"),
    ("合同|条款|协议", "CONTRACT"),
    ("系统|App|APP|闪退|ATM|网银|手机银行", "FACILITIES"),
    ("态度|客服|排队|效率|慢", "SERVICE"),
    ("降额|提额|批|拒|审核|额度|销卡|规定|流程", "RULES"),
)
DEMANDS_FOR_CAUSE: dict[str, tuple[str, ...]] = {
    "PRICING": ("REFUND", "EXPLANATION"),
    "RULES": ("RESTORE", "EXPLANATION"),
    "COLLECTION": ("STOP_HARASSMENT", "APOLOGY"),
    "SERVICE": ("APOLOGY", "DISCIPLINE"),
    "RETURNS": ("COMPENSATION", "EXPLANATION"),
    "FUNDS_SAFETY": ("COMPENSATION", "RESTORE"),
    "INFO_SAFETY": ("CORRECT_RECORD", "EXPLANATION"),
    "MARKETING": ("STOP_HARASSMENT", "EXPLANATION"),
    "DISCLOSURE": ("REFUND", "EXPLANATION"),
    "CONTRACT": ("CANCEL", "EXPLANATION"),
    "FACILITIES": ("RESTORE", "SPEED_UP"),
    "OTHER": ("EXPLANATION", "SPEED_UP"),
}
TITLES: dict[str, tuple[str, ...]] = {
    "PRICING": ("{product}费用扣收有异议", "{product}多收费用{amt}", "对{product}收费标准不认可"),
    "RULES": (
        "{product}被降额/拒批无合理解释",
        "{product}额度调整有异议",
        "{product}办理流程不合理",
    ),
    "COLLECTION": ("{product}催收方式不当", "催收人员频繁骚扰", "{product}逾期后被暴力催收"),
    "SERVICE": ("{outlet}服务态度差", "客服处理{product}问题推诿", "{product}业务办理效率低"),
    "RETURNS": ("{product}收益与宣传不符", "{product}亏损{amt}要求赔偿"),
    "INFO_SAFETY": ("个人信息疑被泄露", "{product}相关征信记录有误"),
    "FUNDS_SAFETY": ("{product}资金被冻结", "{product}账户异常扣款{amt}"),
    "MARKETING": ("{product}营销电话骚扰", "{product}营销宣传误导"),
    "DISCLOSURE": ("{product}费用未充分告知", "办理{product}时未说明风险"),
    "CONTRACT": ("{product}合同条款不公平", "要求解除{product}合同"),
    "FACILITIES": ("{product}系统故障影响使用", "{outlet}自助设备故障"),
    "OTHER": ("关于{product}的投诉", "{product}问题长期未解决"),
}
OPENERS = (
    "本人于{date}在{outlet}办理{product}业务。",
    "我是贵行{product}客户，{date}遇到以下问题：",
    "{date}，我通过客服热线反映{product}问题，至今未解决。",
    "本人在贵行{outlet}开户多年，",
    "",
    "",
)
DEMAND_PHRASES: dict[str, tuple[str, ...]] = {
    "REFUND": ("要求退还相关费用{amt}。", "请退还多收取的{amt}。"),
    "EXPLANATION": ("请给出书面解释。", "希望银行说明具体依据。"),
    "COMPENSATION": ("要求赔偿损失{amt}。", "请依法赔偿本人损失{amt}。"),
    "STOP_HARASSMENT": ("要求立即停止骚扰。", "请停止向本人及家人拨打电话。"),
    "SPEED_UP": ("请尽快办理。", "希望加快处理进度。"),
    "RESTORE": ("要求恢复原额度和正常使用。", "请尽快恢复账户正常使用。"),
    "CORRECT_RECORD": ("要求更正征信记录。", "请撤销不实的征信记录。"),
    "APOLOGY": ("要求相关人员赔礼道歉。", "希望得到正式道歉。"),
    "CANCEL": ("要求解除合同并退还款项{amt}。", "申请退保并全额退款。"),
    "DISCIPLINE": ("要求处理相关工作人员。", "请对经办人员严肃处理。"),
}
CLOSERS = ("", "", "望尽快处理。", "如不处理将向监管部门反映。", "请尽快答复，谢谢。")
OTHER_BANKS = ("贵行", "你行", "该行", "贵行", "锦程银行")
CITIES = ("杭州市", "南京市", "成都市", "上海市", "苏州市", "宁波市")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|万|千|元|块|[kK])")
_FULL_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_SHORT_DATE = re.compile(r"(?<![年\d])\d{1,2}月\d{1,2}日")
_GOV_PLACE = re.compile(r"[A-Z]\d*(?:市|区|县)")
_SPACE = re.compile(r"\s+|_x000D_")


@dataclass(frozen=True)
class Fragment:
    """One real text with its annotated bank and product spans (start, end, label)."""

    text: str
    source: str
    spans: tuple[tuple[int, int, str], ...] = ()
    subject: str = ""
    topic: str = "other"
    cause: str = "OTHER"


@dataclass(frozen=True)
class Narrative:
    title: str
    body: str
    topic: str
    category: str
    cause: str
    demands: tuple[str, ...]
    amount: Decimal | None
    product: str
    source: str


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


def _topic(text: str) -> str:
    for name, (words, _category, _products) in TOPICS.items():
        if re.search(words, text):
            return name
    return "other"


def _cause(text: str) -> str:
    for words, code in CAUSES:
        if re.search(words, text):
            return code
    return "OTHER"


def _spans(text: str, tags: str) -> tuple[tuple[int, int, str], ...]:
    labels = tags.split()
    if len(labels) != len(text):
        return ()
    out: list[tuple[int, int, str]] = []
    start, kind = -1, ""
    for i, label in enumerate([*labels, "O"]):
        if start >= 0 and not (label.startswith("I-") and label[2:] == kind):
            out.append((start, i, kind))
            start = -1
        if label.startswith("B-") and label[2:] in ("BANK", "PRODUCT"):
            start, kind = i, label[2:]
    return tuple(out)


def _clean(text: str) -> str:
    text = _SPACE.sub("", text).replace("??", "").replace("…", "").rstrip(".。，,")
    return text + "。" if text and text[-1] not in "。！？!?" else text


def _make(
    text: str, source: str, spans: tuple[tuple[int, int, str], ...] = (), **kw: str
) -> Fragment:
    return Fragment(
        text=text,
        source=source,
        spans=spans,
        topic=_topic(text + kw.get("subject", "")),
        cause=_cause(text),
        **kw,
    )


@dataclass
class Corpus:
    """Every usable fragment, and for each topic the fragments about it."""

    fragments: list[Fragment]
    by_topic: dict[str, list[Fragment]] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> Corpus:
        fragments: list[Fragment] = []
        relevant = re.compile("|".join(words for words, _c, _p in TOPICS.values()) + "|投诉")
        with open(data_dir / BANK_COMMENTS, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                raw = row["text"]
                # Negative comments all count; neutral ones only when they are about a product
                # problem (most neutral ones are chat: "羡慕", "这特么是4万4").
                if row["class"] == "0" or (
                    row["class"] == "2" and len(raw) > 12 and relevant.search(raw)
                ):
                    spans = _spans(raw, row["BIO_anno"])
                    fragments.append(_make(raw, "bank_comment", spans))
        with open(data_dir / HEIMAO, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["summary"].replace(row["title"], "{partner}")
                fragments.append(_make(text, "heimao"))
        bank_words = re.compile("银行|储蓄|信用卡|贷款|理财|社保卡")
        with open(data_dir / GOV_MESSAGES, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                body = _SPACE.sub("", row["留言详情"])
                if "银行" in body and bank_words.search(row["留言主题"] + body[:200]):
                    fragments.append(
                        _make(body[:240].rsplit("。", 1)[0], "gov_message", subject=row["留言主题"])
                    )
        if not fragments:
            raise RuntimeError(f"no usable complaint texts found in {data_dir}")
        corpus = cls(fragments)
        for f in fragments:
            corpus.by_topic.setdefault(f.topic, []).append(f)
        return corpus

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.fragments:
            out[f.source] = out.get(f.source, 0) + 1
        return out


def _amount(rng: random.Random, topic: str) -> Decimal:
    lo, hi = {
        "card": (50, 50_000),
        "loan": (1_000, 200_000),
        "mortgage": (10_000, 2_000_000),
        "wealth": (10_000, 1_000_000),
        "insurance": (2_000, 300_000),
        "collection": (1_000, 80_000),
    }.get(topic, (20, 20_000))
    # Log-uniform: small sums are far more common than large ones.
    value = lo * (hi / lo) ** rng.random()
    step = 1 if value < 1000 else 100
    return Decimal(int(value) // step * step).quantize(Decimal("0.01"))


def _money(value: Decimal) -> str:
    whole = int(value)
    if whole >= 10_000 and whole % 1000 == 0:
        return f"{whole / 10_000:g}万元"
    return f"{whole}元"


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class Composer:
    """Turns the corpus into narratives; deterministic for a given random generator."""

    def __init__(self, corpus: Corpus, institution: str = "锦程银行") -> None:
        self.corpus = corpus
        self.institution = institution
        by_source: dict[str, list[Fragment]] = {}
        for f in corpus.fragments:
            by_source.setdefault(f.source, []).append(f)
        self.bank = by_source.get("bank_comment", [])
        self.other = [f for s, fs in by_source.items() if s != "bank_comment" for f in fs]
        products = [f.text[a:b] for f in self.bank for a, b, kind in f.spans if kind == "PRODUCT"]
        self.seen_products = products or list(OTHER_PRODUCTS)

    def _swap(self, rng: random.Random, frag: Fragment, product: str, received: date) -> str:
        text = frag.text
        # Replace annotated spans right to left so earlier offsets stay valid.
        for start, end, kind in sorted(frag.spans, reverse=True):
            if kind == "BANK":
                new = _pick(rng, OTHER_BANKS)
            else:
                new = product if rng.random() < 0.6 else _pick(rng, self.seen_products)
            text = text[:start] + new + text[end:]
        if frag.source == "heimao":
            text = text.replace("{partner}", _pick(rng, ("贵行合作的借款平台", "贵行", "合作机构")))
        if frag.source == "gov_message":
            text = _GOV_PLACE.sub(lambda _m: _pick(rng, CITIES), text).replace("西地省", "浙江省")

        def amount(m: re.Match[str]) -> str:
            value = float(m.group(1)) * rng.uniform(0.5, 2.0)
            whole = "." not in m.group(1)
            shown = f"{max(1, round(value))}" if whole else f"{value:.1f}"
            return shown + m.group(2)

        text = _AMOUNT.sub(amount, text)
        text = _FULL_DATE.sub(
            lambda _m: _cn_date(received - timedelta(days=rng.randint(3, 400))), text
        )
        text = _SHORT_DATE.sub(
            lambda _m: "{d.month}月{d.day}日".format(
                d=received - timedelta(days=rng.randint(1, 90))
            ),
            text,
        )
        return _clean(text)

    def compose(self, rng: random.Random, *, received: date, outlet: str) -> Narrative:
        """One narrative for a complaint received on `received` about `outlet`."""
        roll = rng.random()
        first = _pick(rng, self.other) if (roll < 0.12 and self.other) else _pick(rng, self.bank)
        topic = first.topic
        category_products = TOPICS[topic][2] if topic in TOPICS else OTHER_PRODUCTS
        product = _pick(rng, category_products)
        parts = [self._swap(rng, first, product, received)]
        # One or two more comments on the same topic make the longer, rambling narratives.
        same = self.corpus.by_topic.get(topic) or self.bank
        for _ in range(int(rng.random() * 3)):
            extra = _pick(rng, same)
            if extra is not first and extra.source == "bank_comment":
                parts.append(self._swap(rng, extra, product, received))
        cause = (
            first.cause
            if first.cause != "OTHER" or rng.random() < 0.5
            else _pick(rng, ("SERVICE", "RULES", "PRICING"))
        )
        wanted = DEMANDS_FOR_CAUSE.get(cause, DEMANDS_FOR_CAUSE["OTHER"])
        demands = (wanted[0],) if rng.random() < 0.6 else wanted[:2]
        money = topic in ("card", "loan", "mortgage", "wealth", "insurance", "collection")
        amount = _amount(rng, topic) if money and rng.random() < 0.75 else None
        slots = {
            "date": _cn_date(received - timedelta(days=rng.randint(1, 60))),
            "outlet": outlet,
            "product": product,
            "amt": _money(amount) if amount is not None else "",
        }
        opener = _pick(rng, OPENERS).format_map(slots)
        wants = "".join(_pick(rng, DEMAND_PHRASES[d]).format_map(slots) for d in demands)
        body = opener + "".join(parts) + wants + _pick(rng, CLOSERS)
        if first.subject and rng.random() < 0.7:
            title = _GOV_PLACE.sub(lambda _m: _pick(rng, CITIES), first.subject)
        else:
            title = _pick(rng, TITLES.get(cause, TITLES["OTHER"])).format_map(slots)
        category = TOPICS[topic][1] if topic in TOPICS else "OTHER"
        return Narrative(
            title=title[:60],
            body=body,
            topic=topic,
            category=category,
            cause=cause,
            demands=demands,
            amount=amount,
            product=product,
            source=first.source,
        )
