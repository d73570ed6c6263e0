"""Demo data of outreach: this year's 3·15 week (locked) and 金融教育宣传月 (reporting) at 锦程银行.

Activities across the outlets of the three branches, replayed at the time they happened: most
approved, some returned, some submitted after the deadline, one joint activity of two outlets,
one photo re-used from another outlet's activity, and outlets that never reported.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation.models import Unit, User
from xiaobao.outreach import services
from xiaobao.outreach.choices import CampaignKind, CampaignStatus
from xiaobao.outreach.models import Campaign, Material, Topic

BRANCHES = {"JC100": "hz", "JC200": "nj", "JC300": "cd"}


def demo_photo(name: str, seed: int) -> SimpleUploadedFile:
    """A small real JPEG: a coloured 'banner' over a random scene; the seed picks the picture."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), (rng.randrange(120, 230),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(300), rng.randrange(60, 230)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(20, 90), y + rng.randrange(20, 60)), fill=colour)
    draw.rectangle((20, 15, 300, 55), fill=(190, 20, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _materials() -> list[Material]:
    rows = [
        ("XC-ZP-01", "防范电信网络诈骗宣传折页", "折页", "ANTI_FRAUD"),
        ("XC-ZP-02", "远离非法集资 守护钱袋子", "折页", "ILLEGAL_FUNDRAISING"),
        ("XC-SC-01", "金融消费者权益保护手册", "手册", "PERSONAL_INFO"),
    ]
    out = []
    for code, title, fmt, topic in rows:
        material, _ = Material.objects.get_or_create(
            code=code, version="2026", defaults={"title": title, "format": fmt}
        )
        material.topics.set(Topic.objects.filter(code=topic))
        out.append(material)
    return out


class _Seeder:
    def __init__(self, year: int) -> None:
        self.year = year
        self.hq_officer = User.objects.get(username="hq_officer")
        self.materials = _materials()
        self.topics = {t.code: t for t in Topic.objects.all()}
        self.seed = 1000

    def photos(self, n: int, reuse: int | None = None) -> list[SimpleUploadedFile]:
        out = []
        for i in range(n):
            self.seed += 1
            seed = reuse if reuse is not None and i == 0 else self.seed
            out.append(demo_photo(f"现场照片{i + 1}.jpg", seed))
        return out

    def campaign(self, kind: str, name: str, first: date, last: date, deadline: date) -> Campaign:
        with replay(_at(first - timedelta(days=14), 10)):
            campaign = services.campaign_create(
                actor=self.hq_officer,
                data=services.CampaignData(
                    name=name,
                    kind=kind,
                    unit=Unit.objects.get(code="JC0001"),
                    starts_on=first,
                    ends_on=last,
                    report_deadline=deadline,
                    theme="保障金融权益 助力美好生活",
                    notice_issuer="锦程银行总行消费者权益保护部",
                    notice_no=f"锦银消保发〔{self.year}〕{3 if kind == CampaignKind.WEEK_315 else 21}号",
                    key_groups=["elderly", "youth", "new_citizens", "rural"],
                    required_topics=[self.topics["ANTI_FRAUD"], self.topics["ILLEGAL_FUNDRAISING"]],
                ),
            )
            return services.campaign_advance(
                actor=self.hq_officer, campaign=campaign, to=CampaignStatus.PUBLISHED
            )

    def activity(
        self,
        campaign: Campaign,
        outlet: Unit,
        day: date,
        *,
        n: int,
        outcome: str = "approved",
        submit_after: int = 1,
        reuse: int | None = None,
        co_units: list[Unit] | None = None,
        **fields: Any,
    ) -> Any:
        sub, branch = outlet.parent, outlet.parent.parent  # type: ignore[union-attr]
        prefix = BRANCHES[branch.code]  # type: ignore[union-attr]
        index = sub.code[-1]  # type: ignore[union-attr]
        recorder = User.objects.filter(username=f"{prefix}{index}1_handler", unit=outlet).first()
        recorder = recorder or User.objects.get(username=f"{prefix}{index}_handler")
        officer = User.objects.get(username=f"{prefix}_officer")
        group_counts = fields.pop("groups", {})
        data = services.ActivityData(
            campaign=campaign,
            unit=outlet,
            starts_at=_at(day, 9 + n % 6),
            ends_at=_at(day, 11 + n % 6),
            co_units=co_units or [],
            topics=[self.topics["ANTI_FRAUD"], self.topics["PENSION"]],
            key_groups=list(group_counts),
            audience_by_group=group_counts,
            materials={self.materials[n % 3]: 100 + 20 * n},
            no_marketing=True,
            **fields,
        )
        with replay(_at(day, 18)):
            activity = services.activity_create(
                actor=recorder, data=data, photos=self.photos(2, reuse=reuse)
            )
        with replay(_at(day + timedelta(days=submit_after), 10)):
            activity = services.activity_submit(actor=recorder, activity=activity)
        with replay(_at(day + timedelta(days=submit_after + 1), 15)):
            if outcome == "approved":
                activity = services.activity_approve(actor=officer, activity=activity)
            elif outcome == "returned":
                activity = services.activity_return(
                    actor=officer,
                    activity=activity,
                    reason="照片未体现活动横幅和受众，请补充现场照片及签到表。",
                )
        return activity

    def week_315(self) -> Campaign:
        first = date(self.year, 3, 15)
        campaign = self.campaign(
            CampaignKind.WEEK_315,
            f"{self.year}年3·15金融消费者权益保护教育宣传周",
            first,
            first + timedelta(days=6),
            first + timedelta(days=13),
        )
        outlets = list(
            Unit.objects.filter(kind="outlet", parent__kind="sub_branch").order_by("path")
        )
        with replay(_at(first, 8)):
            campaign = services.campaign_advance(
                actor=self.hq_officer, campaign=campaign, to=CampaignStatus.REPORTING
            )
        reused_seed = 9001
        for n, outlet in enumerate(outlets):
            if n % 4 == 3:
                continue  # a quarter of the outlets never report
            day = first + timedelta(days=n % 7)
            kwargs: dict[str, Any] = {
                "title": f"{outlet.name}“3·15”厅堂及社区宣传",
                "form": "community" if n % 2 else "hall",
                "place": f"{outlet.name}营业厅及周边社区",
                "staff_count": 3 + n % 4,
                "audience_count": 60 + 15 * (n % 5),
                "counting_method": "sign_in" if n % 3 else "estimate",
                "groups": {"elderly": 20 + n % 10, "new_citizens": 5},
                "sms_sent": 100 * (n % 3),
                "consultations": 8 + n % 5,
            }
            outcome = "returned" if n in (5, 17) else "approved"
            late = 12 if n in (2, 14) else 1  # submitted after the reporting deadline
            reuse = reused_seed if n in (0, 9) else None  # outlet 9 re-uses outlet 0's photo
            co_units = [outlets[n + 1]] if n == 4 else None  # one joint activity
            if co_units:
                kwargs["title"] = f"{outlet.name}与{outlets[n + 1].name}联合户外集中宣传"
                kwargs["form"] = "outdoor"
            self.activity(
                campaign,
                outlet,
                day,
                n=n,
                outcome=outcome,
                submit_after=late,
                reuse=reuse,
                co_units=co_units,
                **kwargs,
            )
        with replay(_at(first + timedelta(days=20), 17)):
            return services.campaign_advance(
                actor=self.hq_officer, campaign=campaign, to=CampaignStatus.LOCKED
            )

    def edu_month(self) -> Campaign:
        first = date(self.year, 9, 1)
        campaign = self.campaign(
            CampaignKind.EDU_MONTH,
            f"{self.year}年金融教育宣传月",
            first,
            date(self.year, 9, 30),
            date(self.year, 10, 10),
        )
        with replay(_at(first, 8)):
            campaign = services.campaign_advance(
                actor=self.hq_officer, campaign=campaign, to=CampaignStatus.REPORTING
            )
        outlets = list(
            Unit.objects.filter(kind="outlet", parent__kind="sub_branch").order_by("path")
        )
        for n, outlet in enumerate(outlets[::2]):
            day = first + timedelta(days=3 * n % 28)
            school = n % 3 == 0
            self.activity(
                campaign,
                outlet,
                day,
                n=n,
                outcome="submitted" if n % 5 == 4 else "approved",
                title=f"{outlet.name}金融知识{'进校园' if school else '进社区'}",
                form="school" if school else "community",
                staff_count=2 + n % 3,
                audience_count=40 + 10 * (n % 6),
                counting_method="sign_in",
                groups={"youth": 30} if school else {"elderly": 25 + n % 10},
                division_code="330106" if outlet.code.startswith("JC1") else "",
            )
        # The month's online push: reads, never people reached.
        online = outlets[0]
        self.activity(
            campaign,
            online,
            first + timedelta(days=10),
            n=99,
            title="微信公众号“金融教育宣传月”系列推文",
            form="new_media",
            posts=6,
            reads=18_600,
            staff_count=1,
        )
        return campaign


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    if Campaign.objects.exists():
        stdout.write("宣传教育演示数据已存在，跳过。")
        return
    if not User.objects.filter(username="hq_officer").exists():
        return
    today = clock_now().astimezone(TZ).date()
    year = today.year if today >= date(today.year, 10, 12) else today.year - 1
    seeder = _Seeder(year)
    seeder.week_315()
    seeder.edu_month()
    stdout.write("已生成宣传教育演示数据：3·15宣传周、金融教育宣传月及各网点活动。")
