from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordType(models.TextChoices):
    COMPLAINT = "complaint", _("投诉档案")
    SALES = "sales", _("销售及适当性记录")
    ACCESS_LOG = "access_log", _("个人信息查看记录")


class RequestKind(models.TextChoices):
    """Rights of the person under PIPL Art. 44–47."""

    ACCESS = "access", _("查阅")
    COPY = "copy", _("复制")
    CORRECT = "correct", _("更正、补充")
    DELETE = "delete", _("删除")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    FULFILLED = "fulfilled", _("已办理")
    RESTRICTED = "restricted", _("保存期内，已限制处理")
    REFUSED = "refused", _("不予办理")


FIELD_LABELS = {
    "name": _("姓名"),
    "id_number": _("证件号码"),
    "phone": _("联系电话"),
    "email": _("电子邮箱"),
    "address": _("联系地址"),
    "card_number": _("银行卡号"),
}

# Free text that may hold personal data typed in by staff or the consumer (privacy.sealing).
TEXT_FIELD_LABELS = {
    "title": _("标题"),
    "narrative": _("投诉事实与理由"),
    "demand_text": _("诉求说明"),
    "event_reason": _("处理过程说明"),
}
