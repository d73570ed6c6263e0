"""The working calendar's upkeep: is next year's holiday table known, and a year's holidays and
make-up working days (调休) entered in one go.

The `chinesecalendar` package carries the State Council's table only up to the year it was
released for; a later year silently falls back to Monday–Friday, which puts every legal deadline
that crosses the Spring Festival days off. From 1 November (the State Council publishes the next
year's dates around then) administrators are told while next year is unknown: a banner on every
page for those who may enter calendar days, and a system check (shown by `migrate`, i.e. at
every deployment, and by `manage.py check --database default`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import chinese_calendar
from django.core import checks
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from xiaobao.audit.services import audit_record
from xiaobao.complaints.models import CalendarDay
from xiaobao.lib import memo
from xiaobao.lib.errors import DomainError, PermissionDeniedError

WARN_FROM = (11, 1)  # month, day: from then on, next year's table must be known
MAX_DAYS_PER_LINE = 31
_LINE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:~|～|至|到|—|--)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*(.*)$"
)


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        return False
    return True


def year_known(year: int) -> bool:
    """The package covers `year`, or an administrator entered its holidays (at least one day
    off that is not a weekend: a table, not a stray correction)."""
    if package_knows(year):
        return True
    # Asked on every page an administrator opens (the banner): kept under the calendar stamp.
    return memo.remembered(("year_known", year), lambda: _entered(year), stamp=memo.CALENDAR)


def _entered(year: int) -> bool:
    days = CalendarDay.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31), is_workday=False
    ).values_list("date", flat=True)
    return any(d.weekday() < 5 for d in days)


def unknown_year(today: date | None = None) -> int | None:
    """The year whose holidays should be known by `today` but are not (this year at any time,
    next year from 1 November), or None."""
    today = today or timezone.localdate()
    if not year_known(today.year):
        return today.year
    if (today.month, today.day) >= WARN_FROM and not year_known(today.year + 1):
        return today.year + 1
    return None


def warning_text(year: int) -> str:
    return gettext(
        "%(year)s年的法定节假日和调休安排尚未录入：系统将按周一至周五计算%(year)s年的工作日，"
        "期限可能有误。请在国务院办公厅公布后，于“工作日历调整”中批量录入。"
    ) % {"year": year}


def calendar_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """System check (needs the database, so it runs with `migrate` and `check --database`)."""
    if not databases:
        return []
    try:
        year = unknown_year()
    except DatabaseError:  # not migrated yet
        return []
    if year is None:
        return []
    return [
        checks.Warning(
            f"{year} holidays and make-up working days are unknown: deadlines in {year} fall "
            "back to Monday-Friday.",
            hint="Enter them at /complaints/calendar/ (工作日历调整 → 批量录入) as soon as the "
            "State Council publishes them, or upgrade the chinesecalendar package.",
            id="xiaobao.W025",
        )
    ]


@dataclass(frozen=True)
class DayEntry:
    day: date
    note: str


def parse_days(text: str, *, year: int, field: str) -> list[DayEntry]:
    """One date or range a line (2027-02-10 or 2027-02-10~2027-02-16), with an optional note;
    every date must fall in `year`. Errors name the line and the field."""
    entries: list[DayEntry] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise DomainError(
                "第%(number)s行“%(line)s”不是日期：请写成 2027-02-10 或 2027-02-10~2027-02-16，可在后面加说明。",
                params={"number": number, "line": line.strip()},
                code="invalid",
                field=field,
            )
        try:
            start = date.fromisoformat(_pad(match.group(1)))
            end = date.fromisoformat(_pad(match.group(2))) if match.group(2) else start
        except ValueError:
            raise DomainError(
                "第%(number)s行“%(line)s”中的日期不存在。",
                params={"number": number, "line": line.strip()},
                code="invalid",
                field=field,
            ) from None
        if end < start or (end - start).days >= MAX_DAYS_PER_LINE:
            raise DomainError(
                "第%(number)s行的日期范围有误（结束早于开始，或超过%(max_days)s天）。",
                params={"number": number, "max_days": MAX_DAYS_PER_LINE},
                code="invalid",
                field=field,
            )
        if start.year != year or end.year != year:
            raise DomainError(
                "第%(number)s行的日期不在%(year)s年内。",
                params={"number": number, "year": year},
                code="invalid",
                field=field,
            )
        note = match.group(3).strip()[:100]
        day = start
        while day <= end:
            entries.append(DayEntry(day, note))
            day += timedelta(days=1)
    return entries


def _pad(text: str) -> str:
    y, m, d = text.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


@transaction.atomic
def calendar_year_set(
    *, actor: Any, year: int, holidays: str, workdays: str, replace: bool = True
) -> dict[str, int]:
    """Enter a year's holidays and make-up working days in one go (all or nothing).

    With `replace`, the year's earlier entries are removed first, so the year reads exactly as
    entered. Returns how many days of each kind were saved."""
    if not actor.has_perm("complaints.add_calendarday"):
        raise PermissionDeniedError("只有系统管理员或总行消保部门可以录入工作日历。")
    if not 2000 <= year <= 2100:
        raise DomainError("年份应在2000至2100之间。", code="invalid", field="year")
    off = parse_days(holidays, year=year, field="holidays")
    on = parse_days(workdays, year=year, field="workdays")
    if not off:
        raise DomainError("请至少录入一个法定节假日。", code="required", field="holidays")
    both = sorted({e.day for e in off} & {e.day for e in on})
    if both:
        raise DomainError(
            "%(day)s 既在节假日中又在调休上班日中。",
            params={"day": both[0].isoformat()},
            code="invalid",
            field="workdays",
        )
    year_days = CalendarDay.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
    removed = year_days.count() if replace else 0
    if replace:
        year_days.delete()
    for entries, is_workday in ((off, False), (on, True)):
        for entry in entries:
            CalendarDay.objects.update_or_create(
                date=entry.day, defaults={"is_workday": is_workday, "note": entry.note}
            )
    saved = {"holidays": len({e.day for e in off}), "workdays": len({e.day for e in on})}
    marker = CalendarDay.objects.filter(date=off[0].day).first()
    assert marker is not None
    audit_record(
        actor=actor,
        action="calendar_year_set",
        obj=marker,
        summary=f"{year}年工作日历：节假日{saved['holidays']}天，调休上班{saved['workdays']}天",
        data={
            "year": year,
            "holidays": [e.day.isoformat() for e in off],
            "workdays": [e.day.isoformat() for e in on],
            "replaced": removed,
        },
    )
    return saved
