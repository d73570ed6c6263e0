"""The workbench through HTTP: scope, masking, forms, actions, exports, attachments."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from xiaobao.complaints.choices import Status
from xiaobao.complaints.models import Attachment, Complaint, SavedFilter
from xiaobao.privacy.models import PersonalDataAccess

from .conftest import PHONE, VALID_ID, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def test_registry_lists_only_the_users_scope_and_masks_nothing_personal(
    client, notified, register, people, org, frozen
):
    frozen(at(2026, 1, 12, 16))
    other = register(unit=org.sub_b, actor=people.handler_b, title="B行的投诉")
    client.force_login(people.officer_a)
    page = client.get(reverse("complaints:registry")).content.decode()
    assert notified.registry_no in page and other.registry_no not in page
    assert PHONE not in page
    client.force_login(people.officer_b)
    page = client.get(reverse("complaints:registry")).content.decode()
    assert other.registry_no in page and notified.registry_no not in page


def test_registry_filters_and_keyset_pagination(client, register, people, frozen, monkeypatch):
    from xiaobao.complaints import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    frozen(at(2026, 1, 10, 16))
    cases = [register(received_at=at(2026, 1, day, 10), title=f"第{day}号") for day in range(2, 8)]
    register(received_at=at(2026, 1, 8, 10), cause="SERVICE", title="服务态度差")
    client.force_login(people.officer_a)
    page = client.get(reverse("complaints:registry"), {"cause": "PRICING"})
    assert [c.registry_no for c in page.context["rows"]] == [
        cases[5].registry_no,
        cases[4].registry_no,
    ]
    nxt = client.get(reverse("complaints:registry") + page.context["next_url"])
    assert [c.registry_no for c in nxt.context["rows"]] == [
        cases[3].registry_no,
        cases[2].registry_no,
    ]
    by_due = client.get(reverse("complaints:registry"), {"sort": "due", "cause": "PRICING"})
    assert by_due.context["rows"][0].pk == cases[0].pk
    date_range = client.get(
        reverse("complaints:registry"), {"received_from": "2026-01-07", "received_to": "2026-01-08"}
    )
    assert {c.title for c in date_range.context["rows"]} == {"第7号", "服务态度差"}
    # A top-level category matches its sub-categories (cases are filed under 信用卡).
    card = client.get(
        reverse("complaints:registry"), {"business_category": "CARD", "cause": "PRICING"}
    )
    assert len(card.context["rows"]) == 2 and card.context["next_url"]


def test_registry_export_is_masked_and_matches_the_view(client, notified, people):
    client.force_login(people.officer_a)
    response = client.get(reverse("complaints:export"), {"status": "notified"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "台账编号" and rows[1][0] == notified.registry_no and len(rows) == 2
    flat = repr(rows)
    assert PHONE not in flat and "138****8000" in flat and "张*" in flat


def test_saved_filters(client, people):
    client.force_login(people.officer_a)
    client.post(
        reverse("complaints:saved_filter_create"), {"name": "本行超期", "query": "due=overdue"}
    )
    saved = SavedFilter.objects.get(owner=people.officer_a)
    assert saved.query == "due=overdue"
    assert "本行超期" in client.get(reverse("complaints:registry")).content.decode()


def _form(**overrides):
    from xiaobao.complaints.models import TaxonomyTerm

    def term(axis, code):
        return TaxonomyTerm.objects.get(axis=axis, code=code).pk

    data = {
        "intake_channel": term("intake_channel", "COUNTER"),
        "received_at": "2026-01-05T10:00",
        "unit": None,
        "title": "信用卡年费争议",
        "narrative": "客户称未被告知年费。",
        "level": term("level", "NORMAL"),
        "business_channel": term("business_channel", "COUNTER"),
        "cause": term("cause", "PRICING"),
        "group_size": 1,
        "role": "self",
        "name": "张伟",
        "id_type": "resident_id",
        "id_number": VALID_ID,
        "phone": PHONE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_through_the_form_and_warn_about_duplicates(client, people, org, frozen):
    frozen(at(2026, 1, 5, 11))
    client.force_login(people.handler_a)
    response = client.post(reverse("complaints:register"), _form(unit=org.sub_a.pk))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "complaints:detail", args=[complaint.pk]
    )
    # Same phone again: a warning and nothing registered until confirmed.
    again = client.post(reverse("complaints:register"), _form(unit=org.sub_a.pk))
    # Re-rendered with the warning as a form error (400) until the handler confirms.
    assert again.status_code == 400 and "重复投诉" in again.content.decode()
    assert Complaint.objects.count() == 1
    confirmed = client.post(
        reverse("complaints:register"), _form(unit=org.sub_a.pk, confirm_duplicate="on")
    )
    assert confirmed.status_code == 302 and Complaint.objects.count() == 2


def test_register_errors_are_specific_and_in_chinese(client, people, org, frozen):
    from xiaobao.complaints.models import TaxonomyTerm

    frozen(at(2026, 1, 5, 11))
    client.force_login(people.handler_a)
    referral = TaxonomyTerm.objects.get(axis="intake_channel", code="R12345").pk
    page = client.post(
        reverse("complaints:register"), _form(unit=org.sub_a.pk, intake_channel=referral)
    ).content.decode()
    assert "转办的投诉须填写转办编号" in page
    page = client.post(
        reverse("complaints:register"), _form(unit=org.sub_a.pk, id_number="110105194912310021")
    ).content.decode()
    assert "校验不通过" in page
    # A unit outside the scope is not even a valid choice.
    page = client.post(reverse("complaints:register"), _form(unit=org.sub_b.pk)).content.decode()
    assert "选择一个有效的选项" in page or "Select a valid choice" in page
    assert Complaint.objects.count() == 0


def test_case_page_masks_and_reveal_logs_with_reason(client, notified, people):
    client.force_login(people.handler_a)
    url = reverse("complaints:detail", args=[notified.pk])
    page = client.get(url).content.decode()
    assert "138****8000" in page and PHONE not in page and VALID_ID not in page
    assert "2026年01月20日" in page or "2026-01-20" in page  # the deadline and how it was computed
    person = notified.complainants.get()
    refused = client.post(
        reverse("complaints:reveal", args=[notified.pk]),
        {"complainant": person.pk, "field": "phone", "reason": ""},
    )
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    shown = client.post(
        reverse("complaints:reveal", args=[notified.pk]),
        {"complainant": person.pk, "field": "phone", "reason": "电话回访需要"},
    )
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert PersonalDataAccess.objects.count() == 1


def test_auditor_sees_the_case_but_no_actions_and_cannot_act(client, accepted, people):
    client.force_login(people.auditor)
    page = client.get(reverse("complaints:detail", args=[accepted.pk]))
    assert page.status_code == 200 and "可执行的操作" not in page.content.decode()
    response = client.post(
        reverse("complaints:action", args=[accepted.pk, "pause"]),
        {"pause-reason": "mediation", "pause-told_by": "sms"},
    )
    assert response.status_code == 403 and "没有执行此操作的权限" in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.status == "accepted"


def test_other_branch_gets_404_everywhere(client, accepted, people, media):
    client.force_login(people.officer_b)
    for url in [
        reverse("complaints:detail", args=[accepted.pk]),
    ]:
        assert client.get(url).status_code == 404
    for url in [
        reverse("complaints:action", args=[accepted.pk, "pause"]),
        reverse("complaints:reveal", args=[accepted.pk]),
        reverse("complaints:attachment_upload", args=[accepted.pk]),
        reverse("complaints:extension_decide", args=[accepted.pk, 1]),
    ]:
        assert client.post(url, {}).status_code == 404


def test_lifecycle_through_the_action_forms(client, accepted, people, frozen):
    frozen(at(2026, 1, 12, 9))
    client.force_login(people.handler_a)
    bad = client.post(
        reverse("complaints:action", args=[accepted.pk, "decide"]), {"decide-outcome": "upheld"}
    )
    assert bad.status_code == 400
    assert re.search(r"(这个|该)字段是必填项", bad.content.decode())
    ok = client.post(
        reverse("complaints:action", args=[accepted.pk, "decide"]),
        {
            "decide-verified_facts": "核实属实",
            "decide-outcome": "upheld",
            "decide-basis": "合同第5条",
            "decide-reasons": "应退还",
            "decide-routes": ["review", "litigation"],
        },
    )
    assert ok.status_code == 302
    frozen(at(2026, 1, 12, 15))
    client.force_login(people.handler_a)
    client.post(
        reverse("complaints:action", args=[accepted.pk, "notify"]),
        {
            "notify-method": "sms",
            "notify-given_at": "2026-01-12T14:00",
            "notify-evidence": "短信流水 1",
        },
    )
    accepted.refresh_from_db()
    assert accepted.status == "notified" and accepted.timely is True
    # An action the state no longer allows is refused with the Chinese reason.
    again = client.post(
        reverse("complaints:action", args=[accepted.pk, "pause"]),
        {"pause-reason": "mediation", "pause-told_by": "sms"},
    )
    assert again.status_code == 409 and "不能执行" in again.content.decode()


def test_a_refusal_with_values_is_shown_in_the_language_of_the_page(client, notified, people):
    client.force_login(people.handler_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("complaints:action", args=[notified.pk, "pause"]),
        {"pause-reason": "mediation", "pause-told_by": "sms"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    with translation.override("en"):
        status, action = str(Status.NOTIFIED.label), gettext("中止计时")
    assert action != "中止计时"
    assert f"The complaint is “{status}”; “{action}” is not allowed." in page
    assert "不能执行" not in page


def test_extension_approval_from_the_case_page(client, accepted, people, more_people, frozen):
    from xiaobao.complaints import services

    frozen(at(2026, 1, 10, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="复杂"
    )
    client.force_login(more_people.head_sub_a)
    mine = client.get(reverse("front:home")).content.decode()
    assert accepted.registry_no in mine and "待我审批的延期申请" in mine
    response = client.post(
        reverse("complaints:extension_decide", args=[accepted.pk, extension.pk]),
        {"ext-decision": "approve", "ext-note": "同意"},
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.due_date == date(2026, 2, 4)
    assert "已批准延期至30日。" in client.get(response.url).content.decode()


def test_the_flash_message_of_an_action_is_shown_in_the_language_of_the_page(
    client, accepted, people, more_people, frozen
):
    from xiaobao.complaints import services

    frozen(at(2026, 1, 10, 9))
    extension = services.extension_request(
        actor=people.handler_a, complaint=accepted, target_days=30, reason="复杂"
    )
    client.force_login(more_people.head_sub_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("complaints:extension_decide", args=[accepted.pk, extension.pk]),
        {"ext-decision": "approve", "ext-note": "同意"},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain and response.status_code == 200
    assert "Extension to 30 days approved." in page
    assert "已批准延期" not in page


def test_attachments_are_checked_for_type_size_and_content(
    client, accepted, people, media, settings
):
    client.force_login(people.handler_a)
    url = reverse("complaints:attachment_upload", args=[accepted.pk])
    exe = client.post(
        url,
        {
            "file": SimpleUploadedFile(
                "证据.exe", b"MZ\x90\x00", content_type="application/octet-stream"
            )
        },
    )
    assert exe.status_code == 400 and "不支持的文件类型" in exe.content.decode()
    fake_pdf = client.post(url, {"file": SimpleUploadedFile("凭证.pdf", b"MZ\x90\x00not a pdf")})
    assert fake_pdf.status_code == 400 and "文件内容与扩展名" in fake_pdf.content.decode()
    settings.XIAOBAO_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = client.post(
        url, {"file": SimpleUploadedFile("大.pdf", b"%PDF" + b"0" * (1024 * 1024 + 1))}
    )
    assert big.status_code == 400 and "文件过大" in big.content.decode()
    good = client.post(
        url, {"file": SimpleUploadedFile("回单.pdf", b"%PDF-1.4 test"), "description": "转账回单"}
    )
    assert good.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "回单.pdf" and attachment.size == 13
    assert accepted.events.filter(action="attachment_add").exists()
    download = client.get(
        reverse("complaints:attachment_download", args=[accepted.pk, attachment.pk])
    )
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    client.force_login(people.officer_b)
    assert (
        client.get(
            reverse("complaints:attachment_download", args=[accepted.pk, attachment.pk])
        ).status_code
        == 404
    )


def test_registry_filters_update_in_place_with_htmx(client, accepted, people):
    client.force_login(people.officer_a)
    partial = client.get(
        reverse("complaints:registry"), {"status": "accepted"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert accepted.registry_no in body
    empty = client.get(reverse("complaints:registry"), {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert (
        accepted.registry_no not in empty.content.decode()
        and "没有符合条件的投诉" in empty.content.decode()
    )


def _person_rows(client, value, query=""):
    """Post the number (never in a URL), follow to the registry with the lookup token."""
    response = client.post(reverse("complaints:person_lookup"), {"person": value, "query": query})
    assert response.status_code == 302
    location = response["Location"]
    assert "person_token=" in location
    assert re.sub(r"\D", "", value) not in re.sub(r"person_token=[^&]*", "", location)
    return client.get(location).context["rows"], location


def test_all_cases_of_one_person_by_phone_or_id_without_decrypting(
    client, register, people, frozen
):
    from .conftest import person

    frozen(at(2026, 1, 9, 11))
    first = register(received_at=at(2026, 1, 5, 10))
    second = register(received_at=at(2026, 1, 8, 10))
    other = register(complainants=[person(phone="13911112222", id_number="")])
    client.force_login(people.officer_a)
    rows, _ = _person_rows(client, "138 0013 8000")
    assert {c.pk for c in rows} == {first.pk, second.pk}
    rows, _ = _person_rows(client, VALID_ID.lower())
    assert {c.pk for c in rows} == {first.pk, second.pk}
    rows, _ = _person_rows(client, PHONE)
    assert other not in rows


def test_person_lookup_never_puts_the_number_in_urls_or_saved_filters(
    client, register, people, frozen
):
    frozen(at(2026, 1, 9, 11))
    case = register(received_at=at(2026, 1, 5, 10))
    client.force_login(people.officer_a)
    # The old GET parameter is not a filter any more: a number in a URL finds nothing special.
    assert client.get(reverse("complaints:registry"), {"person": PHONE}).status_code == 200
    rows, location = _person_rows(client, PHONE, query="status=registered")
    assert [c.pk for c in rows] == [case.pk] and "status=registered" in location
    page = client.get(location).content.decode()
    assert PHONE not in page
    token = location.split("person_token=")[1].split("&")[0]
    client.post(
        reverse("complaints:saved_filter_create"),
        {"name": "某投诉人", "query": location.split("?", 1)[1]},
    )
    saved = SavedFilter.objects.get(owner=people.officer_a, name="某投诉人")
    assert "person" not in saved.query and token not in saved.query
    # Another member of staff cannot use the token: it finds nothing rather than everything.
    client.force_login(people.head_a)
    assert list(client.get(location).context["rows"]) == []
    # A blank lookup is explained, not a 500.
    client.force_login(people.officer_a)
    response = client.post(reverse("complaints:person_lookup"), {"person": " "}, follow=True)
    assert "请输入投诉人的联系电话或证件号码" in response.content.decode()


def test_classification_is_confirmed_or_corrected_on_the_case_page(client, accepted, people):
    from xiaobao.complaints.models import TaxonomyTerm

    client.force_login(people.handler_a)
    page = client.get(reverse("complaints:detail", args=[accepted.pk])).content.decode()
    assert 'id="action-classify"' in page
    service = TaxonomyTerm.objects.get(axis="cause", code="SERVICE")
    response = client.post(
        reverse("complaints:action", args=[accepted.pk, "classify"]), {"classify-cause": service.pk}
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.cause == service
    event = accepted.events.get(action="classify")
    assert (event.data["before"]["cause"], event.data["after"]["cause"]) == ("PRICING", "SERVICE")


def test_tag_and_person_filters_list_each_case_once_without_distinct(
    client, register, people, frozen
):
    """A case under both chosen tags, or with two complainants sharing a phone, is one row; and
    no filter makes the registry's query DISTINCT (which would sort every match first)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import person

    frozen(at(2026, 1, 9, 11))
    both = register(
        tags=["ELDERLY", "MEDIA"],
        complainants=[person(), person(name="李娜", id_number="", role="agent", represents="张伟")],
    )
    register(tags=["MEDIA"], complainants=[person(phone="13911112222", id_number="")])
    client.force_login(people.officer_a)
    url = reverse("complaints:registry")
    lookup = client.post(reverse("complaints:person_lookup"), {"person": PHONE})["Location"]
    with CaptureQueriesContext(connection) as queries:
        rows = client.get(url, {"tag": ["ELDERLY", "MEDIA"]}).context["rows"]
        assert len(rows) == 2 and sum(c.pk == both.pk for c in rows) == 1
        rows = client.get(lookup).context["rows"]
        assert [c.pk for c in rows] == [both.pk]
        rows = client.get(url, {"status": ["registered", "accepted"], "cause": "PRICING"})
        assert len(rows.context["rows"]) == 2
    listed = [
        q["sql"] for q in queries.captured_queries if 'FROM "complaints_complaint"' in q["sql"]
    ]
    assert listed and not any("DISTINCT" in sql for sql in listed)
