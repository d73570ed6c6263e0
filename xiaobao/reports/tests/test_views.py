"""The reports pages: who may see them, what they show, and the documents they hand out."""

from __future__ import annotations

import json
import re
from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from xiaobao.jobs.services import run_pending
from xiaobao.reports.models import Alert, ReportRun, TypicalCase
from xiaobao.reports.services import early_warning_run

pytestmark = pytest.mark.django_db

Q1 = {"received_from": "2026-01-01", "received_to": "2026-03-31"}
PAGES = [
    "reports:dashboard",
    "reports:causes",
    "reports:units",
    "reports:timeliness",
    "reports:explore",
]


@pytest.fixture
def hq(client, people):
    client.force_login(people.hq_officer)
    return client


def test_login_and_permission_required(client, people):
    for name in [*PAGES, "reports:workbook", "reports:typical_list", "reports:alert_list"]:
        assert client.get(reverse(name)).status_code == 302
    client.force_login(people.handler_a)  # handlers have no reports permissions
    for name in [*PAGES, "reports:workbook", "reports:summary", "reports:typical_list"]:
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_dashboard_pages_render_in_chinese_with_tables_charts_and_links(name, hq, quarter):
    response = hq.get(reverse(name), Q1)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="zh-hans"' in body and "统计口径" in body
    assert "echarts.common.min.js" in body
    if name != "reports:explore":
        assert 'data-chart="chart-' in body
        charts = re.findall(
            r'<script id="(chart-[\w-]+)" type="application/json">(.*?)</script>', body
        )
        assert charts and all(json.loads(c)["option"]["series"] for _id, c in charts)
        assert "/complaints/?" in body  # drill-down to the registry


def test_trend_page_figures(hq, quarter):
    body = hq.get(reverse("reports:dashboard"), Q1).content.decode()
    assert "83.3%" in body  # timely rate 5/6
    assert "2026年1月" in body and "2026年3月" in body
    link = re.search(r'href="(/complaints/\?[^"]*received_from=2026-02-01[^"]*)"', body)
    assert link and "received_to=2026-02-28" in link.group(1).replace("&amp;", "&")


def test_causes_page_links_carry_registry_parameters(hq, quarter):
    body = hq.get(reverse("reports:causes"), Q1).content.decode().replace("&amp;", "&")
    assert "cause=PRICING" in body
    assert (
        "business_category=CARD&business_category=CARD_CREDIT&business_category=CARD_DEBIT" in body
    )
    assert "银行卡/信用卡" in body  # the sub-category table


def test_branch_b_sees_only_its_own(client, people, quarter):
    client.force_login(people.officer_b)
    body = client.get(reverse("reports:units"), Q1).content.decode()
    assert "B支行" in body and "A分行" not in body and "A支行" not in body
    response = client.get(reverse("reports:dashboard"), {**Q1, "unit": "BR-a"})
    assert response.status_code == 200 and "A分行" not in response.content.decode()


def test_invalid_range_shows_the_error(hq, quarter):
    body = hq.get(
        reverse("reports:dashboard"), {"received_from": "2026-03-01", "received_to": "2026-01-01"}
    ).content.decode()
    assert "开始日期不能晚于结束日期" in body


def test_explore_and_export(hq, quarter):
    params = {**Q1, "dimensions": ["unit", "cause"], "rollup": "on"}
    body = hq.get(reverse("reports:explore"), params).content.decode()
    assert "定价收费" in body and "A分行" in body
    response = hq.get(reverse("reports:explore"), {**params, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "受理量" in values and 9 in values
    too_many = hq.get(
        reverse("reports:explore"), {**Q1, "dimensions": ["unit", "cause", "level", "tag"]}
    )
    assert "最多选择3个统计维度" in too_many.content.decode()


def test_workbook_download_and_background(hq, quarter, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = hq.get(reverse("reports:workbook"), {"period": "2026q1"})
    assert response.status_code == 200
    assert "filename*=UTF-8''HQ-2026Q1" in response["Content-Disposition"]
    assert load_workbook(BytesIO(response.content)).sheetnames[0] == "填报说明"
    run_pending()  # the fixture's own jobs (notices of its assignments) go first
    response = hq.get(
        reverse("reports:workbook"), {"period": "2026Q1", "unit": "BR-a", "background": "on"}
    )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert run.unit.code == "BR-a" and run.status == "queued"
    assert run_pending() == 1
    run.refresh_from_db()
    assert run.status == "done"
    files = hq.get(reverse("reports:files")).content.decode()
    assert "已生成" in files
    download = hq.get(reverse("reports:file_download", args=[run.pk]))
    book = load_workbook(BytesIO(b"".join(download.streaming_content)))
    assert "A分行" in str(book["业务类别×机构"]["A2"].value)


def test_files_are_scoped(client, people, quarter, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from xiaobao.reports.services import report_run_build, report_run_request

    run = report_run_request(
        actor=people.officer_a,
        kind="regulator_workbook",
        unit=people.officer_a.unit,
        params={"period": "2026Q1"},
    )
    report_run_build(run_id=run.pk)
    client.force_login(people.officer_b)
    assert client.get(reverse("reports:file_download", args=[run.pk])).status_code == 404


def test_summary_download(hq, quarter):
    response = hq.get(reverse("reports:summary"), {"first": "2026-01-01", "last": "2026-03-31"})
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(BytesIO(response.content)).paragraphs)
    assert "共受理消费投诉9起" in text


def test_typical_case_pages(client, people, quarter):
    client.force_login(people.officer_a)
    a1 = quarter.cases["a1"]
    response = client.post(
        reverse("reports:typical_new"), {"registry_no": a1.registry_no, "tags": "年费"}
    )
    case = TypicalCase.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reports:typical_detail", args=[case.pk]
    )
    b1 = quarter.cases["b1"]
    response = client.post(reverse("reports:typical_new"), {"registry_no": b1.registry_no})
    assert "未找到该台账编号" in response.content.decode()  # branch B's case is out of scope
    detail = reverse("reports:typical_detail", args=[case.pk])
    response = client.post(
        detail,
        {"title": "年费告知", "write_up": "客户电话13912345678。", "lessons": "", "tags": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.write_up == "客户电话139****5678。"
    client.post(detail, {"publish": "1"})
    case.refresh_from_db()
    assert case.published_at is not None
    listing = client.get(
        reverse("reports:typical_list"), {"q": "告知", "category": "CARD"}
    ).content.decode()
    assert "年费告知" in listing
    export = client.get(reverse("reports:typical_list"), {"format": "docx"})
    assert "案例1：年费告知" in "\n".join(
        p.text for p in Document(BytesIO(export.content)).paragraphs
    )
    client.force_login(people.officer_b)
    assert client.get(detail).status_code == 404


def test_alert_pages(client, people, make_case, org):
    from xiaobao.complaints.tests.conftest import at

    from .test_warning import AS_OF, history, this_week

    history(make_case, org, per_week=1)
    this_week(make_case, org, 8)
    make_case.move(at(2026, 4, 1, 6))
    early_warning_run(as_of=AS_OF)
    alert = Alert.objects.get(subject_key="cause:PRICING")
    client.force_login(people.hq_officer)
    listing = client.get(reverse("reports:alert_list")).content.decode()
    assert "投诉原因：定价收费" in listing and "max(均值 + 3×标准差, 均值 + 3)" in listing
    detail = client.get(reverse("reports:alert_detail", args=[alert.pk])).content.decode()
    assert "消费风险提示" in detail and "预警阈值" in detail
    action = reverse("reports:alert_action", args=[alert.pk])
    client.post(action, {"action": "close", "note": ""})
    alert.refresh_from_db()
    assert alert.status == "open"  # closing needs a note
    client.post(action, {"action": "acknowledge", "note": ""})
    client.post(action, {"risk_notice": "消费风险提示：测试\n请联系 13800138000"})
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and "138****8000" in alert.risk_notice
    client.post(action, {"action": "close", "note": "已开展专项排查"})
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.handled_by == people.hq_officer
    word = client.get(reverse("reports:alert_notice", args=[alert.pk]))
    assert Document(BytesIO(word.content)).paragraphs[0].text == "消费风险提示：测试"
    client.force_login(people.officer_b)
    assert client.get(reverse("reports:alert_detail", args=[alert.pk])).status_code == 404
    assert date(2026, 3, 25) == alert.period_start
