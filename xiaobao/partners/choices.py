"""Partner types and statuses, the one transition table, and the checklists of the partner list."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerType(models.TextChoices):
    INTERNET_PLATFORM = "internet_platform", _("互联网平台")
    LOAN_ASSIST = "loan_assist", _("助贷机构")
    GUARANTEE = "guarantee", _("融资担保·增信")
    COLLECTION = "collection", _("催收机构")
    MARKETING = "marketing", _("营销外包")
    AGENCY = "agency", _("代销·保险中介")
    DATA = "data", _("数据服务")
    IT = "it", _("信息技术外包")
    MYSTERY = "mystery", _("神秘客调查")
    PRINTING = "printing", _("印刷宣传")
    OTHER = "other", _("其他")


class PartnerStatus(models.TextChoices):
    PROPOSED = "proposed", _("拟准入")
    LISTED = "listed", _("在册")
    WATCH = "watch", _("观察")
    SUSPENDED = "suspended", _("暂停")
    EXITED = "exited", _("退出")


# The one table of allowed partner transitions. 拟准入 → 在册 only through an approved admission
# review; → 退出 only through an exit whose every step is confirmed (see services).
PARTNER_TRANSITIONS: dict[str, frozenset[str]] = {
    PartnerStatus.PROPOSED: frozenset({PartnerStatus.LISTED}),
    PartnerStatus.LISTED: frozenset({PartnerStatus.WATCH, PartnerStatus.SUSPENDED}),
    PartnerStatus.WATCH: frozenset({PartnerStatus.LISTED, PartnerStatus.SUSPENDED}),
    PartnerStatus.SUSPENDED: frozenset(
        {PartnerStatus.LISTED, PartnerStatus.WATCH, PartnerStatus.EXITED}
    ),
    PartnerStatus.EXITED: frozenset(),
}
# Partners a unit may work with (new business); suspended ones may only be wound down.
USABLE = (PartnerStatus.LISTED, PartnerStatus.WATCH)
# Partners still on the list, to be evaluated and watched for expired licences.
ACTIVE = (PartnerStatus.LISTED, PartnerStatus.WATCH, PartnerStatus.SUSPENDED)


class Criterion(models.TextChoices):
    """The seven admission criteria (consumer protection written into admission, 000 §13, §19)."""

    LICENSED = "licensed", _("依法设立，经营资质齐全有效")
    OWNERSHIP = "ownership", _("股权结构与实际控制人清晰")
    SOUND = "sound", _("经营稳健，财务状况良好")
    GOVERNANCE = "governance", _("公司治理与内部控制健全")
    CLEAN_RECORD = "clean_record", _("近三年无重大违法违规和监管处罚")
    COMPLAINTS = "complaints", _("投诉处理机制健全，投诉情况良好")
    DATA_PROTECTION = "data_protection", _("信息安全与个人信息保护能力达标")


class Clause(models.TextChoices):
    """The consumer-protection clauses an agreement must carry (004, 000 §19, 001)."""

    NO_MISLEADING = "no_misleading", _("不得误导销售")
    NO_VIOLENT_COLLECTION = "no_violent_collection", _("不得暴力催收")
    NO_TIED_SALES = "no_tied_sales", _("不得强制搭售")
    NO_DOUBLE_CHARGING = "no_double_charging", _("不得就同一服务向机构与消费者重复收费")
    NO_ARBITRARY_FEES = "no_arbitrary_fees", _("不得巧立名目多收费、滥收费")
    NO_ILLEGAL_DATA = "no_illegal_data", _("不得非法获取客户个人信息")
    NO_OUTLET_SELLING = "no_outlet_selling", _("不得在银行网点内开办业务或营销产品")
    COMPLAINT_COOPERATION = "complaint_cooperation", _("投诉处理配合义务")
    DATA_SCOPE = "data_scope", _("客户信息以合作范围为限、要素最小化")
    AUDIT_RIGHTS = "audit_rights", _("检查审计权")
    EXIT_ARRANGEMENTS = "exit_arrangements", _("退出安排（客户过渡、数据返还或销毁）")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    EFFECTIVE = "effective", _("生效")
    TERMINATED = "terminated", _("终止")


AGREEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.EFFECTIVE}),
    AgreementStatus.EFFECTIVE: frozenset({AgreementStatus.TERMINATED}),
    AgreementStatus.TERMINATED: frozenset(),
}


class AdmissionDecision(models.TextChoices):
    APPROVED = "approved", _("准入")
    REJECTED = "rejected", _("不予准入")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("评价中")
    CONCLUDED = "concluded", _("已定论")


class EvaluationResult(models.TextChoices):
    CONTINUE = "continue", _("继续合作")
    RECTIFY = "rectify", _("限期整改（观察）")
    SUSPEND = "suspend", _("暂停合作")
    EXIT = "exit", _("退出")


# What a concluded evaluation does to the partner's status (None: it stays as it is).
RESULT_STATUS: dict[str, str] = {
    EvaluationResult.CONTINUE: PartnerStatus.LISTED,
    EvaluationResult.RECTIFY: PartnerStatus.WATCH,
    EvaluationResult.SUSPEND: PartnerStatus.SUSPENDED,
    EvaluationResult.EXIT: PartnerStatus.SUSPENDED,
}


class ExitStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("退出中")
    COMPLETED = "completed", _("已完成")


class ExitStep(models.TextChoices):
    """What must be confirmed, each with evidence, before an exit is complete."""

    CUSTOMERS = "customers", _("客户过渡已完成")
    DATA = "data", _("客户数据已返还或销毁")
    ACCESS = "access", _("系统权限已撤销")


class LinkRole(models.TextChoices):
    """How a partner is involved in a complaint (涉及合作机构)."""

    SELLER = "seller", _("营销/销售")
    SERVICER = "servicer", _("提供服务")
    COLLECTOR = "collector", _("催收")
    DATA = "data", _("信息处理")
    OTHER = "other", _("其他")
