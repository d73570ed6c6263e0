from django.db import models
from django.utils.translation import gettext_lazy as _


class Axis(models.TextChoices):
    """The taxonomies a complaint is classified on (JR/T 0169 axes plus common extras)."""

    BUSINESS_CHANNEL = "business_channel", _("业务办理渠道")
    BUSINESS_CATEGORY = "business_category", _("业务类别")
    CAUSE = "cause", _("投诉原因")
    DEMAND = "demand", _("诉求")
    LEVEL = "level", _("处理级别")
    TAG = "tag", _("敏感标签")
    INTAKE_CHANNEL = "intake_channel", _("投诉渠道")


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REVIEW = "review", _("核查")


class Status(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ACCEPTED = "accepted", _("处理中")
    PAUSED = "paused", _("中止计时")
    DECIDED = "decided", _("已作出决定")
    NOTIFIED = "notified", _("已告知")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤诉")
    DECLINED = "declined", _("不予受理")
    MERGED = "merged", _("已合并")


# The clock runs until the decision has been notified; these states still owe the consumer an answer.
OPEN_STATUSES = (Status.REGISTERED, Status.ACCEPTED, Status.PAUSED, Status.DECIDED)
TERMINAL_STATUSES = (Status.CLOSED, Status.WITHDRAWN, Status.DECLINED, Status.MERGED)


class ComplainantRole(models.TextChoices):
    SELF = "self", _("本人")
    GUARDIAN = "guardian", _("监护人")
    AGENT = "agent", _("委托代理人")
    HEIR = "heir", _("继承人")
    ORGANISATION = "organisation", _("单位")
    OTHER = "other", _("其他（非本人、非监护人或代理人）")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAU = "hk_macau", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")
    OTHER = "other", _("其他")


class PauseReason(models.TextChoices):
    APPRAISAL = "appraisal", _("鉴定")
    TESTING = "testing", _("检测")
    VALUATION = "valuation", _("评估")
    MEDIATION = "mediation", _("调解")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("诉求成立")
    PARTLY_UPHELD = "partly_upheld", _("部分成立")
    NOT_UPHELD = "not_upheld", _("诉求不成立")
    # Only imported historical cases whose ledger never said: excluded from outcome statistics.
    UNSTATED = "unstated", _("未注明")


# The outcomes a handler may choose; 未注明 exists only for cases moved in from old ledgers.
DECIDABLE_OUTCOMES = [(v, label) for v, label in Outcome.choices if v != Outcome.UNSTATED]
STATED_OUTCOMES = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)


class Route(models.TextChoices):
    """Routes still open to the consumer after a decision (Art. 19)."""

    REVIEW = "review", _("申请核查")
    MEDIATION = "mediation", _("调解")
    ARBITRATION = "arbitration", _("仲裁")
    LITIGATION = "litigation", _("诉讼")


class NoticeMethod(models.TextChoices):
    LETTER = "letter", _("书面函件")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    PHONE = "phone", _("电话")
    IN_PERSON = "in_person", _("当面告知")


class MajorReason(models.TextChoices):
    GROUP = "group", _("群体性投诉（20人以上）")
    DISASTER = "disaster", _("自然灾害")
    ACCIDENT = "accident", _("安全事故")
    PUBLIC_HEALTH = "public_health", _("公共卫生事件")
    REGULATOR = "regulator", _("监管部门认定")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("无法联系")


class PolicyKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉处理")
    REVIEW = "review", _("核查处理")
    REVIEW_REQUEST = "review_request", _("核查申请期限")
    REGULATOR_FORWARD = "regulator_forward", _("监管转送期限")
