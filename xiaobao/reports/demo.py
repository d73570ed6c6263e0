"""Demo data of the reports app: a few typical cases from the demo year, and today's alerts."""

from __future__ import annotations

from typing import Any

from xiaobao.complaints.choices import Kind, Status
from xiaobao.complaints.models import Complaint
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import User
from xiaobao.reports.models import TypicalCase
from xiaobao.reports.services import (
    early_warning_run,
    typical_case_mark,
    typical_case_publish,
)

LESSONS = {
    "CARD": "信用卡年费、分期手续费等收费事项须在办卡和营销环节以显著方式告知，并留存告知记录。",
    "LOAN": "贷款提前还款、利率调整等规则应在合同签订时讲清楚，客户来询时要主动解释。",
    "WEALTH": "销售理财产品须做好风险测评和双录，确保产品风险等级与客户风险承受能力相匹配。",
}


def seed_demo(*, stdout: Any) -> None:
    if TypicalCase.objects.exists():
        stdout.write("典型案例演示数据已存在，跳过。")
        return
    author = User.objects.filter(username="hq_officer").first()
    if author is None:
        return
    marked = 0
    seen: set[str] = set()
    cases = (
        Complaint.objects.filter(kind=Kind.COMPLAINT, status=Status.CLOSED, at_fault=True)
        .select_related("business_category__parent")
        .order_by("-received_at")
    )
    for complaint in cases[:200]:
        category = complaint.business_category
        top = (category.parent or category).code if category else ""
        if top in seen or marked >= 4:
            continue
        try:
            case = typical_case_mark(
                actor=author,
                complaint=complaint,
                lessons=LESSONS.get(
                    top, "加强员工培训，规范业务办理和告知流程，从源头减少同类投诉。"
                ),
                tags=category.name if category else "",
            )
            if marked < 3:
                typical_case_publish(actor=author, case=case)
        except DomainError:
            continue
        seen.add(top)
        marked += 1
    alerts = early_warning_run()
    stdout.write(f"已生成典型案例 {marked} 个，今日风险预警 {len(alerts)} 条。")
