"""Next year's holidays: the warning (banner and system check) and the bulk entry page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import checks
from django.urls import reverse

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints.calendar import calendar_check, package_knows, unknown_year
from xiaobao.complaints.clock import current_calendar
from xiaobao.complaints.models import CalendarDay
from xiaobao.organisation.choices import Role

from .conftest import at

pytestmark = pytest.mark.django_db

# The package (chinesecalendar 1.11.0) ends with 2026; the tests pick their days around that.
LAST = max(y for y in range(2020, 2040) if package_knows(y))
NEXT = LAST + 1

HOLIDAYS = f"""{NEXT}-01-01 元旦
{NEXT}-02-06~{NEXT}-02-12 春节
{NEXT}-10-01～{NEXT}-10-07 国庆节
"""
WORKDAYS = f"{NEXT}-02-14 春节调休\n{NEXT}-10-09 国庆调休\n"


@pytest.fixture
def sysadmin(org, make_user):
    return make_user("sysadmin", org.hq, Role.SYSADMIN, is_staff=True)


def test_from_november_next_year_must_be_known(frozen):
    assert unknown_year(date(LAST, 10, 31)) is None
    assert unknown_year(date(LAST, 11, 1)) == NEXT
    assert unknown_year(date(NEXT, 3, 1)) == NEXT  # and certainly once it has begun


def test_the_system_check_warns_with_the_database_only(frozen):
    frozen(at(LAST, 11, 2, 10))
    assert calendar_check(databases=None) == []
    [warning] = calendar_check(databases=["default"])
    assert isinstance(warning, checks.Warning) and warning.id == "xiaobao.W025"
    assert str(NEXT) in warning.msg
    # It is registered: `migrate` and `check --database default` run it.
    found = checks.run_checks(databases=["default"], tags=[checks.Tags.database])
    assert any(w.id == "xiaobao.W025" for w in found)


def test_administrators_see_a_banner_and_enter_the_year_in_one_go(client, sysadmin, people, frozen):
    frozen(at(LAST, 11, 2, 10))
    client.force_login(sysadmin)
    home = client.get(reverse("complaints:calendar")).content.decode()
    assert 'data-testid="calendar-warning"' in home and f"{NEXT}年的法定节假日" in home
    response = client.post(
        reverse("complaints:calendar"),
        {"year": NEXT, "holidays": HOLIDAYS, "workdays": WORKDAYS},
    )
    assert response.status_code == 302
    days = dict(CalendarDay.objects.filter(date__year=NEXT).values_list("date", "is_workday"))
    assert len([d for d, w in days.items() if not w]) == 1 + 7 + 7
    assert days[date(NEXT, 2, 14)] is True and days[date(NEXT, 2, 8)] is False
    calendar = current_calendar()
    assert not calendar.is_workday(date(NEXT, 10, 4)) and calendar.is_workday(date(NEXT, 10, 9))
    assert AuditEvent.objects.filter(action="calendar_year_set").count() == 1
    page = client.get(reverse("complaints:calendar")).content.decode()
    assert 'data-testid="calendar-warning"' not in page and "春节调休" in page
    # Entering the year again replaces it exactly.
    client.post(reverse("complaints:calendar"), {"year": NEXT, "holidays": f"{NEXT}-01-01 元旦"})
    assert CalendarDay.objects.filter(date__year=NEXT).count() == 1


@pytest.mark.parametrize(
    ("holidays", "workdays", "field", "message"),
    [
        ("2027-13-01", "", "holidays", "日期不存在"),
        ("春节", "", "holidays", "不是日期"),
        (f"{NEXT + 1}-01-01", "", "holidays", f"不在{NEXT}年内"),
        (f"{NEXT}-02-06~{NEXT}-02-01", "", "holidays", "日期范围有误"),
        (f"{NEXT}-02-06", f"{NEXT}-02-06", "workdays", "既在节假日中又在调休上班日中"),
        ("", "", "holidays", ""),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    client, sysadmin, frozen, holidays, workdays, field, message
):
    frozen(at(LAST, 11, 2, 10))
    client.force_login(sysadmin)
    holidays = holidays.replace("2027", str(NEXT))
    response = client.post(
        reverse("complaints:calendar"), {"year": NEXT, "holidays": holidays, "workdays": workdays}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    assert not CalendarDay.objects.exists()


def test_others_neither_see_the_banner_nor_reach_the_page(client, people, frozen):
    frozen(at(LAST, 11, 2, 10))
    client.force_login(people.handler_a)
    assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
    assert client.get(reverse("complaints:calendar")).status_code == 403
    response = client.post(
        reverse("complaints:calendar"), {"year": NEXT, "holidays": f"{NEXT}-01-01"}
    )
    assert response.status_code == 403 and not CalendarDay.objects.exists()
