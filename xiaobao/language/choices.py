from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    """What a classifier predicts: one classification axis of the case."""

    CATEGORY = "category", _("业务类别")
    CAUSE = "cause", _("投诉原因")
    DEMAND = "demand", _("诉求")


class ModelStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("已替换")
    REJECTED = "rejected", _("未采用（效果不及在用模型）")
