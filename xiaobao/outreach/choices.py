"""Statuses, kinds and the transition tables of campaigns and activities."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    WEEK_315 = "week_315", _("3·15金融消费者权益保护教育宣传周")
    EDU_MONTH = "edu_month", _("金融教育宣传周/月")
    WANLIXING = "wanlixing", _("普及金融知识万里行")
    SPECIAL = "special", _("专项宣传")
    ROUTINE = "routine", _("常态化宣传")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    REPORTING = "reporting", _("报送中")
    LOCKED = "locked", _("已锁定")


# The one table of allowed campaign transitions.
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.PUBLISHED}),
    CampaignStatus.PUBLISHED: frozenset({CampaignStatus.REPORTING}),
    CampaignStatus.REPORTING: frozenset({CampaignStatus.LOCKED}),
    CampaignStatus.LOCKED: frozenset(),
}
# Activities may be recorded against a campaign only while it is open.
CAMPAIGN_OPEN = frozenset({CampaignStatus.PUBLISHED, CampaignStatus.REPORTING})


class ActivityForm(models.TextChoices):
    HALL = "hall", _("厅堂宣传")
    OUTDOOR = "outdoor", _("户外集中宣传")
    COMMUNITY = "community", _("进社区")
    SCHOOL = "school", _("进校园")
    RURAL = "rural", _("进农村")
    ENTERPRISE = "enterprise", _("进企业")
    BUSINESS_DISTRICT = "business_district", _("进商圈")
    LECTURE = "lecture", _("讲座")
    LIVE = "live", _("线上直播")
    NEW_MEDIA = "new_media", _("新媒体推送")
    MEDIA_INTERVIEW = "media_interview", _("媒体访谈")


# Forms that happen on a screen: their reach is reads and platform counts, never people on site.
ONLINE_FORMS = frozenset({ActivityForm.LIVE, ActivityForm.NEW_MEDIA})


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")
    LOCKED = "locked", _("已锁定")


# The one table of allowed activity transitions (reopen: approved/locked → draft, with a reason).
ACTIVITY_TRANSITIONS: dict[str, frozenset[str]] = {
    ActivityStatus.DRAFT: frozenset({ActivityStatus.SUBMITTED}),
    ActivityStatus.SUBMITTED: frozenset({ActivityStatus.APPROVED, ActivityStatus.RETURNED}),
    ActivityStatus.RETURNED: frozenset({ActivityStatus.SUBMITTED}),
    ActivityStatus.APPROVED: frozenset({ActivityStatus.LOCKED, ActivityStatus.DRAFT}),
    ActivityStatus.LOCKED: frozenset({ActivityStatus.DRAFT}),
}
# Only these count in totals and metrics; the rest are work in progress.
COUNTED = (ActivityStatus.APPROVED, ActivityStatus.LOCKED)
EDITABLE = frozenset({ActivityStatus.DRAFT, ActivityStatus.RETURNED})


class CountingMethod(models.TextChoices):
    SIGN_IN = "sign_in", _("签到")
    ESTIMATE = "estimate", _("估算")
    PLATFORM = "platform", _("平台统计")


class KeyGroup(models.TextChoices):
    ELDERLY = "elderly", _("老年人")
    YOUTH = "youth", _("青少年")
    NEW_CITIZENS = "new_citizens", _("新市民")
    WORKERS_FARMERS = "workers_farmers", _("务工务农人员")
    DISABLED = "disabled", _("残障人士")
    FOREIGNERS = "foreigners", _("外籍来华人士")
    RURAL = "rural", _("农村居民")
