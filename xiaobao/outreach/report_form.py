"""The campaign report form: which counters and breakdowns a campaign reports, in which order.

A campaign stores an ordered list of column keys; two presets ship (3·15 宣传周 and 金融教育宣传周/月)
and HQ may pick any other set. Every column reads one figure of `selectors.Figures`, so the XLSX,
the campaign page and the metrics print the same numbers.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaobao.outreach.choices import CampaignKind, KeyGroup

BASE_COLUMNS: dict[str, Any] = {
    "activities": _("活动场次"),
    "activities_offline": _("线下活动场次"),
    "activities_online": _("线上活动场次"),
    "outlets_covered": _("开展活动网点数"),
    "staff": _("参与员工人次"),
    "audience": _("线下受众人次"),
    "audience_online": _("线上参与人次（平台统计）"),
    "audience_sign_in": _("其中签到人次"),
    "audience_estimate": _("其中估算人次"),
    "divisions_reached": _("覆盖县/乡镇/村（个）"),
    "materials": _("发放宣传资料（份）"),
    "sms": _("发送短信（条）"),
    "posts": _("发布信息（篇）"),
    "reads": _("阅读/观看量"),
    "media_reports": _("媒体报道（篇）"),
    "consultations": _("解答咨询（人次）"),
    "complaints": _("现场受理投诉（件）"),
}


def columns() -> dict[str, Any]:
    """Every column a report form may use, key → label (key groups give one column each)."""
    out = dict(BASE_COLUMNS)
    for group in KeyGroup:
        out[f"group_{group.value}"] = _("其中%(group)s人次") % {"group": group.label}
    return out


PRESETS: dict[str, list[str]] = {
    CampaignKind.WEEK_315: [
        "activities",
        "activities_offline",
        "activities_online",
        "outlets_covered",
        "staff",
        "audience",
        "materials",
        "sms",
        "posts",
        "reads",
        "media_reports",
        "consultations",
        "complaints",
    ],
    CampaignKind.EDU_MONTH: [
        "activities_offline",
        "activities_online",
        "outlets_covered",
        "staff",
        "audience",
        *(f"group_{g.value}" for g in KeyGroup if g != KeyGroup.RURAL),
        "audience_online",
        "materials",
        "posts",
        "reads",
        "media_reports",
    ],
}


def preset_for(kind: str) -> list[str]:
    """The shipped form for a kind of campaign; other kinds start from the 3·15 form."""
    return list(PRESETS.get(kind, PRESETS[CampaignKind.WEEK_315]))


def clean_columns(keys: list[str]) -> list[str]:
    """Known keys, each once, in the given order; raises ValueError naming an unknown key."""
    known = columns()
    seen: list[str] = []
    for key in keys:
        if key not in known:
            raise ValueError(key)
        if key not in seen:
            seen.append(key)
    return seen
