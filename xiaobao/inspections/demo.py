"""Demo data of inspections at 锦程银行: this year's mystery-shopping plan across all outlets.

Two visits per outlet in random unannounced windows, by an internal inspector and a vendor's
mystery shopper; each visit replayed at the time it happened (recorded, submitted, published,
final after the appeal window). Outlets differ in quality, so scores spread from the 50s to 100.
Findings in every state (awaiting confirmation, being rectified, returned, awaiting acceptance,
rectified, confirmed by re-inspection, withdrawn on appeal), one failed test complaint, a
regulator's examination with penalties, and weekly service meetings at two outlets.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from xiaobao.deadlines.engine import TZ
from xiaobao.inspections import services
from xiaobao.inspections.choices import FindingStatus, ScoringType, Severity, VisitKind, VisitStatus
from xiaobao.inspections.models import Checklist, Finding, Visit
from xiaobao.lib.clock import now as clock_now
from xiaobao.lib.clock import replay
from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import Unit, User
from xiaobao.outreach.demo import demo_photo

I = services.ItemData  # noqa: E741
ITEMS = [
    I(
        "服务环境",
        "ENV-01",
        "营业厅公示收费标准及服务价目",
        ScoringType.YES_NO,
        10,
        severity=Severity.MEDIUM,
    ),
    I("服务环境", "ENV-02", "消保宣传区资料齐全、在有效期内", ScoringType.YES_NO, 5),
    I("服务规范", "SVC-01", "主动迎候并询问客户需求", ScoringType.SCALE, 10, scale_max=4),
    I(
        "服务规范",
        "SVC-02",
        "业务办理差错",
        ScoringType.DEDUCTION,
        10,
        deduction=5,
        severity=Severity.MEDIUM,
    ),
    I(
        "服务规范",
        "SVC-03",
        "不拒收现金",
        ScoringType.YES_NO,
        10,
        red_line=True,
        severity=Severity.HIGH,
    ),
    I(
        "适当性",
        "SUIT-01",
        "理财销售前完成风险测评",
        ScoringType.YES_NO,
        15,
        red_line=True,
        severity=Severity.HIGH,
    ),
    I("适当性", "SUIT-02", "理财销售全程双录", ScoringType.YES_NO, 15, severity=Severity.HIGH),
    I("投诉处理", "CMP-01", "公示投诉电话及处理流程", ScoringType.YES_NO, 10),
    I(
        "投诉处理",
        "CMP-02",
        "首问负责、当场受理投诉",
        ScoringType.SCALE,
        10,
        scale_max=4,
        severity=Severity.MEDIUM,
    ),
    I(
        "个人信息",
        "PI-01",
        "客户信息不被他人看到或听到",
        ScoringType.YES_NO,
        10,
        severity=Severity.MEDIUM,
    ),
]
NEW_IN_V2 = I("服务环境", "ENV-03", "爱心窗口及无障碍设施可用", ScoringType.YES_NO, 5)
SCENARIOS = ["account_opening", "large_cash", "wealth", "elderly", "fees", "complaint"]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


class _Seeder:
    def __init__(self) -> None:
        self.now = clock_now()
        self.today = timezone.localdate(self.now)
        self.rng = random.Random(2026)
        self.hq = Unit.objects.get(parent__isnull=True)
        self.office = User.objects.get(username="hq_officer")
        self.photo_seed = 9000

    def _past(self, moment: datetime) -> datetime:
        return min(moment, self.now - timedelta(minutes=5))

    def accounts(self) -> tuple[User, User]:
        from xiaobao.organisation import services as org

        inspector = User.objects.filter(username="inspector").first() or org.user_create(
            actor=None,
            username="inspector",
            password=None,
            unit=self.hq,
            roles=[Role.INSPECTOR],
            display_name="秦明",
            title="服务检查员",
            email="inspector@demo.xiaobao.local",
        )
        vendor = User.objects.filter(username="vendor_shopper").first() or org.user_create(
            actor=None,
            username="vendor_shopper",
            password=None,
            unit=self.hq,
            roles=[Role.INSPECTION_VENDOR],
            display_name="暗访员07",
            title="第三方暗访人员",
            email="vendor@demo.xiaobao.local",
        )
        User.objects.filter(pk__in=[inspector.pk, vendor.pk]).update(
            password=make_password(_demo_password())
        )
        return inspector, vendor

    def checklists(self) -> Checklist:
        year = self.today.year
        with replay(_at(date(year - 1, 1, 5), 10)):
            old = services.checklist_create(
                actor=self.office, code="MS", name="神秘人暗访检查清单", items=ITEMS
            )
            services.checklist_activate(actor=self.office, checklist=old)
        with replay(_at(date(year - 1, 12, 28), 10)):  # drawn up for the coming year
            new = services.checklist_create(
                actor=self.office,
                code="MS",
                name="神秘人暗访检查清单",
                items=[*ITEMS[:2], NEW_IN_V2, *ITEMS[2:]],
                previous=old,
            )
            return services.checklist_activate(actor=self.office, checklist=new)

    def _answers(self, checklist: Checklist, quality: float) -> dict[str, tuple[str, str]]:
        out = {}
        for item in checklist.items.all():
            ok = self.rng.random() < (0.985 if item.red_line else quality)
            if item.scoring_type == ScoringType.YES_NO:
                value = "yes" if ok else "no"
                if item.code == "SUIT-02" and self.rng.random() < 0.2:
                    value = "na"
            elif item.scoring_type == ScoringType.SCALE:
                value = str(item.scale_max if ok else self.rng.randint(0, item.scale_max - 1))
            else:
                value = "0" if ok else str(self.rng.randint(1, 2))
            note = (
                ""
                if ok
                else self.rng.choice(["现场核实", "见照片", "柜员未执行", "客户等候时未告知"])
            )
            out[item.code] = (value, note)
        return out

    def visits(self, checklist: Checklist, inspector: User, vendor: User) -> list[Visit]:
        year = self.today.year
        with replay(_at(date(year - 1, 12, 29), 9)):  # planned before the year begins
            plan = services.plan_create(
                actor=self.office,
                data=services.PlanData(
                    name=f"{year}年度神秘人暗访",
                    kind=VisitKind.MYSTERY,
                    unit=self.hq,
                    checklist=checklist,
                    starts_on=date(year, 1, 10),
                    ends_on=date(year, 12, 31),
                    visits_per_outlet=2,
                    window_days=14,
                    vendor_name="申城消费者调研有限公司",
                ),
            )
            planned = services.plan_schedule(
                actor=self.office, plan=plan, inspectors=[inspector, vendor], seed=2026
            )
        quality = {
            o.pk: self.rng.choice([0.62, 0.75, 0.82, 0.88, 0.9, 0.93, 0.95, 0.97])
            for o in Unit.objects.filter(kind=UnitKind.OUTLET)
        }
        done = []
        for visit in sorted(planned, key=lambda v: v.window_start or self.today):
            day = (visit.window_start or self.today) + timedelta(days=self.rng.randint(0, 9))
            if day >= self.today - timedelta(days=1):
                continue  # still to come: stays planned (and unannounced)
            with replay(_at(day, 10, self.rng.randint(0, 59))) as at:
                answers = self._answers(checklist, quality[visit.outlet_id])
                self.photo_seed += 1
                services.visit_record(
                    actor=visit.inspector,
                    visit=visit,
                    data=services.RecordData(
                        results=answers,
                        visited_at=at,
                        scenario=self.rng.choice(SCENARIOS),
                        summary="按清单完成暗访，过程见照片。",
                    ),
                    photos=[demo_photo(f"visit{visit.pk}.jpg", self.photo_seed)],
                )
            with replay(self._past(_at(day, 17))):
                services.visit_submit(actor=visit.inspector, visit=visit)
            if day >= self.today - timedelta(days=3):
                continue  # submitted, awaiting the office
            with replay(self._past(_at(day + timedelta(days=2), 11))):
                services.visit_publish(actor=self.office, visit=visit)
            visit.refresh_from_db()
            done.append(visit)
        return done

    def finalise(self, visits: list[Visit]) -> None:
        """Appeals for two visits (one upheld in part, one rejected); the rest final after the
        window; recent ones still inside their window."""
        appealed = 0
        for visit in visits:
            visit.refresh_from_db()
            if visit.appeal_due is None or visit.appeal_due >= self.today:
                continue
            failing = [f.item_code for f in visit.findings.all() if f.item_code]
            if failing and appealed < 2:
                appealed += 1
                with replay(_at(visit.appeal_due, 10)):
                    services.visit_appeal(
                        actor=self.office_for_appeal(visit),
                        visit=visit,
                        reason="暗访当日系统故障，已向客户说明并登记，请复核。",
                        items=failing[:1],
                    )
                upheld = appealed == 1
                with replay(_at(visit.appeal_due + timedelta(days=1), 15)):
                    item = visit.checklist.items.get(code=failing[0])
                    passing = (
                        "yes"
                        if item.scoring_type == ScoringType.YES_NO
                        else str(item.scale_max if item.scoring_type == ScoringType.SCALE else 0)
                    )
                    services.visit_decide_appeal(
                        actor=self.office,
                        visit=visit,
                        decision="partly" if upheld else "rejected",
                        reply="经调取监控核实，该项申诉成立。"
                        if upheld
                        else "监控显示未执行，维持原结论。",
                        overturn={failing[0]: passing} if upheld else None,
                    )
                continue
            with replay(_at(visit.appeal_due + timedelta(days=1), 9)):
                services.visit_finalise(actor=self.office, visit=visit, now=clock_now())

    def office_for_appeal(self, visit: Visit) -> User:
        staff = User.objects.filter(unit=visit.outlet, is_active=True).first()
        if staff and staff.has_perm("inspections.appeal_visit"):
            return staff
        return (
            User.objects.filter(
                unit=visit.outlet.parent, groups__name=str(Role.UNIT_HEAD.label)
            ).first()
            or self.office
        )

    def _reporter(self, finding: Finding) -> User:
        task = finding.task
        if task is not None and task.responsible is not None:
            return task.responsible
        branch = finding.unit
        while branch.parent is not None and branch.kind != UnitKind.BRANCH:
            branch = branch.parent
        return (
            User.objects.filter(unit=branch, username__endswith="_officer").first() or self.office
        )

    def rectify(self) -> None:
        """Old findings mostly rectified and accepted (a few late, a few returned once); recent
        ones in progress or awaiting acceptance; some confirmed by a later visit."""
        for n, finding in enumerate(
            Finding.objects.filter(status=FindingStatus.OPEN)
            .select_related("task", "unit")
            .order_by("found_on", "pk")
        ):
            assert finding.task is not None and finding.due_date is not None
            start = timezone.localdate(finding.task.created_at)
            if (self.today - start).days < 8:
                continue  # just sent for rectification
            late = n % 9 == 4
            done_on = (
                finding.due_date + timedelta(days=5)
                if late
                else start + timedelta(days=self.rng.randint(3, 15))
            )
            if done_on >= self.today - timedelta(days=1):
                continue  # still being rectified (some of them overdue)
            who = self._reporter(finding)
            with replay(_at(done_on, 16)):
                services.finding_submit(
                    actor=who,
                    finding=finding,
                    note="已整改，附整改前后照片及培训签到表。",
                    files=[_pdf(f"整改{finding.pk}.pdf")],
                )
            check_on = done_on + timedelta(days=2)
            if check_on >= self.today:
                continue  # awaiting acceptance
            if n % 11 == 5:
                continue  # awaiting acceptance
            if n % 7 == 3:
                with replay(_at(check_on, 10)):
                    services.finding_return(
                        actor=self.office,
                        finding=finding,
                        reason="照片未体现整改后的公示内容，请补充。",
                    )
                continue
            with replay(_at(check_on, 11)):
                services.finding_accept(actor=self.office, finding=finding, note="整改材料齐全。")
            if n % 4 == 0 and check_on + timedelta(days=30) < self.today:
                with replay(_at(check_on + timedelta(days=30), 10)):
                    services.finding_confirm(actor=self.office, finding=finding)

    def test_complaint(self, inspector: User) -> None:
        """A mystery shopper voiced a complaint at one outlet; the outlet never registered it."""
        outlet = Unit.objects.filter(kind=UnitKind.OUTLET).order_by("path")[4]
        day = self.today - timedelta(days=40)
        checklist = Checklist.objects.get(code="MS", status="active")
        with replay(_at(day, 9)):
            visit = services.visit_create(
                actor=self.office,
                outlet=outlet,
                kind=VisitKind.MYSTERY,
                scenario="complaint",
                checklist=checklist,
                inspector=inspector,
            )
        with replay(_at(day, 14)) as at:
            answers = {
                i.code: (
                    "yes"
                    if i.scoring_type == ScoringType.YES_NO
                    else str(i.scale_max if i.scoring_type == ScoringType.SCALE else 0),
                    "",
                )
                for i in checklist.items.all()
            }
            answers["CMP-02"] = ("1", "提出投诉后被告知“回去打客服电话”")
            services.visit_record(
                actor=inspector,
                visit=visit,
                data=services.RecordData(
                    results=answers,
                    visited_at=at,
                    scenario="complaint",
                    test_complaint=True,
                    test_complaint_at=at - timedelta(minutes=30),
                    test_complaint_keyword="理财赎回到账慢",
                    summary="暗访人员以理财赎回到账慢为由当场提出投诉。",
                ),
                photos=[demo_photo("complaint.jpg", 8800)],
            )
            services.visit_submit(actor=inspector, visit=visit)
        with replay(_at(day + timedelta(days=1), 10)):
            services.visit_publish(actor=self.office, visit=visit)
        with replay(_at(day + timedelta(days=5), 9)) as at:
            services.test_complaints_sweep(now=at)
        visit.refresh_from_db()
        assert visit.appeal_due is not None
        with replay(_at(visit.appeal_due + timedelta(days=1), 9)) as at:
            services.visit_finalise(actor=self.office, visit=visit, now=at)

    def recent(self, checklist: Checklist, inspector: User) -> None:
        """Yesterday's visit, published this morning: its findings await the appeal window."""
        outlet = Unit.objects.filter(kind=UnitKind.OUTLET).order_by("path")[7]
        day = self.today - timedelta(days=1)
        with replay(_at(day, 9)):
            visit = services.visit_create(
                actor=self.office,
                outlet=outlet,
                kind=VisitKind.MYSTERY,
                scenario="elderly",
                checklist=checklist,
                inspector=inspector,
            )
        with replay(_at(day, 15)) as at:
            answers = self._answers(checklist, 0.7)
            answers["ENV-03"] = ("no", "爱心窗口未开放")
            services.visit_record(
                actor=inspector,
                visit=visit,
                data=services.RecordData(
                    results=answers, visited_at=at, scenario="elderly", summary="老年客户场景暗访。"
                ),
                photos=[demo_photo("recent.jpg", 8900)],
            )
            services.visit_submit(actor=inspector, visit=visit)
        with replay(self._past(_at(self.today, 9))):
            services.visit_publish(actor=self.office, visit=visit)

    def examination(self) -> None:
        branch = Unit.objects.get(code="JC200")
        outlets = list(
            Unit.objects.filter(path__startswith=branch.path, kind=UnitKind.OUTLET).order_by(
                "path"
            )[:2]
        )
        day = self.today - timedelta(days=75)
        with replay(_at(day, 10)):
            exam = services.examination_create(
                actor=self.office,
                data=services.ExaminationData(
                    regulator="国家金融监督管理总局江苏监管局",
                    notice_no=f"苏金检〔{day.year}〕37号",
                    notice_date=day,
                    unit=branch,
                    scope="金融消费者权益保护工作专项检查（销售适当性、投诉处理、收费公示）",
                    starts_on=day + timedelta(days=7),
                    ends_on=day + timedelta(days=18),
                    report_back_due=day + timedelta(days=60),
                ),
                notice=_pdf("检查通知.pdf"),
            )
        with replay(_at(day + timedelta(days=7), 9)):
            services.examination_advance(actor=self.office, examination=exam, to="onsite")
        with replay(_at(day + timedelta(days=18), 16)):
            services.examination_add_finding(
                actor=self.office,
                examination=exam,
                unit=outlets[0],
                title="理财产品销售未完整执行双录",
                severity=Severity.HIGH,
                due_date=day + timedelta(days=50),
                penalty="罚款30万元，责任人警告",
                penalty_amount=Decimal(300000),
            )
            services.examination_add_finding(
                actor=self.office,
                examination=exam,
                unit=outlets[1],
                title="投诉处理流程未公示",
                severity=Severity.MEDIUM,
                due_date=day + timedelta(days=50),
            )
            services.examination_advance(actor=self.office, examination=exam, to="rectifying")
        for finding in exam.findings.select_related("task"):
            with replay(_at(day + timedelta(days=40), 15)):
                services.finding_submit(
                    actor=self._reporter(finding),
                    finding=finding,
                    note="已完成整改并组织培训。",
                    files=[_pdf("整改报告附件.pdf")],
                )
            with replay(_at(day + timedelta(days=42), 10)):
                services.finding_accept(actor=self.office, finding=finding)
        with replay(_at(day + timedelta(days=55), 10)):
            services.examination_report_back(
                actor=self.office, examination=exam, report=_pdf("整改报告.pdf")
            )

    def meetings(self) -> None:
        for outlet in (
            Unit.objects.filter(kind=UnitKind.OUTLET, staff__isnull=False)
            .distinct()
            .order_by("path")[:2]
        ):
            staff = list(User.objects.filter(unit=outlet, is_active=True))
            monday = self.today - timedelta(days=self.today.weekday())
            topics = [
                "上周服务检查问题复盘",
                "老年客户服务要点",
                "投诉首问负责制演练",
                "收费公示检查",
            ]
            for week in range(1, 9):
                held = monday - timedelta(weeks=week)
                # Every fifth week someone is on leave.
                present, absent = (staff[:1], staff[1:]) if week % 5 == 0 else (staff, [])
                with replay(_at(held, 8, 30)):
                    services.meeting_record(
                        actor=staff[0],
                        unit=outlet,
                        held_on=held,
                        topic=self.rng.choice(topics),
                        minutes="通报上周服务情况，明确本周改进事项。",
                        present=present,
                        absent=absent,
                    )


def _demo_password() -> str:
    from xiaobao.organisation.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    if Checklist.objects.exists():
        stdout.write("服务检查演示数据已存在，跳过。")
        return
    if not User.objects.filter(username="hq_officer").exists():
        return
    seeder = _Seeder()
    inspector, vendor = seeder.accounts()
    checklist = seeder.checklists()
    published = seeder.visits(checklist, inspector, vendor)
    seeder.finalise(published)
    seeder.test_complaint(inspector)
    seeder.rectify()
    seeder.recent(checklist, inspector)
    seeder.examination()
    seeder.meetings()
    counts = {s: Visit.objects.filter(status=s).count() for s in VisitStatus.values}
    stdout.write(
        f"已生成服务检查演示数据：检查{sum(counts.values())}次，发现问题{Finding.objects.count()}项。"
    )
